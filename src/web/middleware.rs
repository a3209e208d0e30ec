//! Headers every page carries, one log line per request (path only: queries never reach the log), and error
//! fragments for htmx.

use crate::web::error::HtmlError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, Next};
use std::time::Instant;

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
}

/// The longest path a log line holds in full, in bytes; a longer one is cut (and its length logged).
pub const LOGGED_PATH_BYTES: usize = 2048;

/// `path` as a log line shows it: cut at `LOGGED_PATH_BYTES` (on a character boundary), with `…`.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    // The one path that holds a secret (SPEC §11: an invitation's value) is logged without it.
    if path.starts_with(INVITATION_PATH) {
        return "/invitations/…".into();
    }
    if path.len() <= LOGGED_PATH_BYTES {
        return path.into();
    }
    let mut end = LOGGED_PATH_BYTES;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end]).into()
}

const INVITATION_PATH: &str = "/invitations/";

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path_bytes = req.path().len();
    let path = logged_path(req.path()).into_owned();
    let peer = req.peer_addr().map(|a| a.ip());
    let response = next.call(req).await;
    let status = match &response {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    tracing::info!(
        %method,
        %path,
        status,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        client = ?peer,
        path_bytes,
        "request"
    );
    response
}

/// A console error answering an htmx request becomes a dialog fragment (`HtmlError::htmx_response`) instead
/// of a whole page, so no handler has to pass the request down to its error type.
pub async fn htmx_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let htmx = crate::web::is_htmx(req.request());
    let res = next.call(req).await?;
    let fragment = htmx
        .then(|| res.response().error())
        .flatten()
        .and_then(|err| err.as_error::<HtmlError>())
        .and_then(HtmlError::htmx_response);
    Ok(match fragment {
        Some(fragment) => res.into_response(fragment).map_into_right_body(),
        None => res.map_into_left_body(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_in_the_log() {
        assert_eq!(logged_path("/api/v1/tokens"), "/api/v1/tokens");
        let long = format!("/{}", "é".repeat(3000));
        let shown = logged_path(&long);
        assert!(shown.len() <= LOGGED_PATH_BYTES + '…'.len_utf8());
        assert!(shown.ends_with('…') && long.starts_with(shown.trim_end_matches('…')));
    }

    #[test]
    fn invitation_values_never_reach_the_log() {
        let value = crate::domain::SecretValue::generate(crate::domain::SecretKind::Invitation);
        let path = format!("/invitations/{}", value.expose());
        assert_eq!(logged_path(&path), "/invitations/…");
        assert_eq!(
            logged_path("/projects/p/invitations/i/revoke"),
            "/projects/p/invitations/i/revoke"
        );
    }
}
