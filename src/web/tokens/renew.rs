//! Renew (SPEC §9): a new value, shown once, for the same token; the old value stops working at once.

use crate::domain::lifecycle::renewed_expiry;
use crate::service::{self, TokenKey};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format::Moment;
use crate::web::tokens::create::{CreatedView, ShownPage};
use crate::web::tokens::row::{row_of, TokenRow};
use crate::web::tokens::{token_url, tokens_url};
use crate::web::{render, Layout, TokenChange, TokenRoute};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct RenewView {
    pub name: String,
    pub csrf: String,
    pub full_page: bool,
    pub renew_url: String,
    pub tokens_url: String,
    /// The expiry the renewed token will get; `None`: it never expires.
    pub expires: Option<Moment>,
}

#[derive(Template)]
#[template(path = "token_renew.html")]
struct RenewPage {
    layout: Layout,
    tokens_url: String,
    r: RenewView,
}

#[derive(Template)]
#[template(path = "partials/renew_dialog.html")]
struct RenewFragment {
    r: RenewView,
}

#[derive(Template)]
#[template(path = "token_renewed_fragment.html")]
struct RenewedFragment<'a> {
    c: CreatedView<'a>,
    /// Replaces the token's row (its fresh expiry) in place.
    row: TokenRow,
}

/// `GET /projects/{project_id}/tokens/{token_id}/renew`: the confirmation, as a dialog or a full page.
pub async fn confirm(
    state: web::Data<AppState>,
    TokenRoute { page, token_id }: TokenRoute,
) -> Result<HttpResponse, HtmlError> {
    let token = page.manageable_token(&state, &token_id).await?;
    let now = state.clock.now();
    let (expires, _) = renewed_expiry(token.created_at, token.expires_at, token.lifetime, now);
    let r = RenewView {
        name: token.name,
        csrf: page.who.csrf_token(),
        full_page: !page.who.htmx,
        renew_url: format!("{}/renew", token_url(page.id(), &token.id)),
        tokens_url: tokens_url(page.id()),
        expires: expires.map(Moment::date),
    };
    if page.who.htmx {
        return Ok(render::page(&RenewFragment { r }));
    }
    Ok(render::page(&RenewPage {
        layout: page.layout("Renew access token"),
        tokens_url: tokens_url(page.id()),
        r,
    }))
}

/// `POST /projects/{project_id}/tokens/{token_id}/renew`: a new value for the token, shown once. htmx:
/// the show-once dialog replaces the confirmation and the row is refreshed in place; without JS: a full
/// page.
#[tracing::instrument(name = "renew_token", skip_all)]
pub async fn renew(
    req: HttpRequest,
    state: web::Data<AppState>,
    TokenChange(TokenRoute { page, token_id }): TokenChange,
) -> Result<HttpResponse, HtmlError> {
    let (project, actor) = (page.id().to_owned(), page.actor(&req));
    let arrived = state.tokens.renewal_ticket();
    let (secret, record) = service::blocking(&state.tokens, move |tokens| {
        tokens.renew(&project, &TokenKey::Id(token_id), &actor, arrived)
    })
    .await?;
    let renewed = CreatedView::new(&secret, &record, &page, true);
    if page.who.htmx {
        let fragment = RenewedFragment {
            c: renewed,
            row: row_of(&state, &page, record.clone()),
        };
        return Ok(render::secret_page_with_status(StatusCode::OK, &fragment));
    }
    let view = ShownPage::new(&page, renewed);
    Ok(render::secret_page_with_status(StatusCode::OK, &view))
}
