//! Who is on the other end of a request: its address, as both edges (limits, audit, last use) see it.

use actix_web::HttpRequest;
use std::net::{IpAddr, Ipv4Addr};

/// The client's address as the socket sees it (proxies' headers are not trusted for rate limits).
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
