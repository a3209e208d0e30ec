//! Liveness (touches nothing) and readiness (the database answers).

use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let ready = tokio::task::spawn_blocking(move || db.is_ready())
        .await
        .unwrap_or(false);
    if ready {
        HttpResponse::Ok().content_type("text/plain").body("ok")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable")
    }
}
