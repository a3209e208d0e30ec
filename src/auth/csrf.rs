//! CSRF: every state-changing console request carries the session's token, as a form field or the `X-CSRF-Token` header.

use crate::auth::TypedSession;
use actix_web::HttpRequest;

pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "csrf_token";

/// Whether the request proves it came from one of our pages: header first, then the form field.
pub fn is_valid(req: &HttpRequest, session: &TypedSession, form_field: Option<&str>) -> bool {
    let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
    session.csrf_matches(header.or(form_field))
}
