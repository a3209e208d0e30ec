//! The Tokens page (SPEC §5, §9), one module per operation: the list (`list`), a row and what it links to
//! (`row`), create with its value shown once (`create`, its expiry choices in `expiration`), delete,
//! renew, the description edited in place, and the triage tools (`triage`: Show deleted, Find a token by
//! value). htmx gets fragments; without JavaScript every step is a full page with a plain form.

mod create;
mod delete;
mod description;
mod expiration;
mod list;
mod renew;
mod row;
mod triage;

pub use create::DUPLICATE_NAME;
pub use row::{LastUse, TokenRow, Viewer};
pub use triage::NOT_A_TOKEN;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    const TOKENS: &str = "/projects/{project_id}/tokens";
    const TOKEN: &str = "/projects/{project_id}/tokens/{token_id}";
    cfg.route(TOKENS, web::get().to(list::list))
        .route(TOKENS, web::post().to(create::create))
        .route(&format!("{TOKENS}/new"), web::get().to(create::new_form))
        .route(&format!("{TOKENS}/find"), web::get().to(triage::find_form))
        .route(&format!("{TOKENS}/find"), web::post().to(triage::find))
        .route(TOKEN, web::delete().to(delete::delete))
        .route(&format!("{TOKEN}/delete"), web::get().to(delete::confirm))
        .route(
            &format!("{TOKEN}/delete"),
            web::post().to(delete::delete_form),
        )
        .route(&format!("{TOKEN}/renew"), web::get().to(renew::confirm))
        .route(&format!("{TOKEN}/renew"), web::post().to(renew::renew))
        .route(
            &format!("{TOKEN}/description"),
            web::get().to(description::edit),
        )
        .route(
            &format!("{TOKEN}/description"),
            web::post().to(description::save),
        )
        .route(&format!("{TOKEN}/row"), web::get().to(row::row));
}

/// `/projects/{project_id}/tokens`: the Tokens page of a project.
pub fn tokens_url(project_id: &str) -> String {
    format!("/projects/{project_id}/tokens")
}

/// `/projects/{project_id}/tokens/{token_id}`.
fn token_url(project_id: &str, token_id: &str) -> String {
    format!("{}/{token_id}", tokens_url(project_id))
}
