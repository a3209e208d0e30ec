//! Liveness (touches nothing) and readiness (the database answers).

use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let ready = web::block(move || -> bool {
        pool.get()
            .map(|mut conn| conn.batch_execute("SELECT 1").is_ok())
            .unwrap_or(false)
    })
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
