//! Rendering askama templates into responses, with render failures logged and turned into a plain 500.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

pub fn page<T: Template>(template: &T) -> HttpResponse {
    page_with_status(StatusCode::OK, template)
}

/// `page` for a template whose size the caller can foresee (a long list): its buffer is allocated once,
/// instead of doubling its way up from askama's estimate and copying what it holds each time.
pub fn page_sized<T: Template>(template: &T, bytes: usize) -> HttpResponse {
    respond(StatusCode::OK, template, bytes)
}

pub fn page_with_status<T: Template>(status: StatusCode, template: &T) -> HttpResponse {
    respond(status, template, T::SIZE_HINT)
}

/// Every page and fragment: a browser may keep it but asks the server again before reusing it, and no
/// shared cache keeps it (a project's token list is one account's view). Answers that carry a secret
/// replace it with `no-store` (`secret_page_with_status`).
pub const PAGE_CACHE_CONTROL: &str = "private, no-cache";

fn respond<T: Template>(status: StatusCode, template: &T, capacity: usize) -> HttpResponse {
    let mut body = String::with_capacity(capacity.max(T::SIZE_HINT));
    match template.render_into(&mut body) {
        Ok(()) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, PAGE_CACHE_CONTROL))
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("internal error")
        }
    }
}

/// A page or fragment that carries a secret value: never cached anywhere.
pub fn secret_page_with_status<T: Template>(status: StatusCode, template: &T) -> HttpResponse {
    let mut response = page_with_status(status, template);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// 303 to `location`: the answer to a successful plain form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
