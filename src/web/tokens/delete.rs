//! Delete an access token after a confirmation: htmx removes the row in place, a plain form goes back to
//! the list.

use crate::domain::DeletedVia;
use crate::service::{self, TokenKey};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::tokens::list::ListView;
use crate::web::tokens::row::LastUse;
use crate::web::tokens::{token_url, tokens_url};
use crate::web::{render, Layout, ProjectPage, TokenChange, TokenRoute};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub struct DeleteView {
    pub token_id: String,
    pub name: String,
    /// The value's first characters (`mlpat_` and 4), to tell the token from a leaked value by eye.
    pub hint: String,
    /// When and from where it was last used (`None`: never), so nobody deletes a busy token unawares.
    pub usage: Option<LastUse>,
    pub csrf: String,
    pub full_page: bool,
    /// `DELETE` target for htmx.
    pub delete_url: String,
    /// `POST` target of the plain form.
    pub post_url: String,
    pub tokens_url: String,
}

#[derive(Template)]
#[template(path = "token_delete.html")]
struct DeletePage {
    layout: Layout,
    tokens_url: String,
    d: DeleteView,
}

#[derive(Template)]
#[template(path = "partials/delete_dialog.html")]
struct DeleteFragment {
    d: DeleteView,
}

#[derive(Template)]
#[template(path = "token_deleted_fragment.html")]
struct DeletedFragment {
    /// The empty state, out of band, when the last token is gone.
    list: Option<ListView>,
}

/// `GET /projects/{project_id}/tokens/{token_id}/delete`: the confirmation, as a dialog or a full page.
pub async fn confirm(
    state: web::Data<AppState>,
    route: TokenRoute,
) -> Result<HttpResponse, HtmlError> {
    let TokenRoute { page, token_id } = route;
    let token = page.manageable_token(&state, &token_id).await?;
    let url = token_url(page.id(), &token.id);
    let usage = LastUse::of(
        &token,
        state.tokens.unwritten_use(&token.id),
        state.clock.now(),
    );
    let d = DeleteView {
        usage,
        hint: token.hint,
        name: token.name,
        csrf: page.who.csrf_token(),
        full_page: !page.who.htmx,
        post_url: format!("{url}/delete"),
        delete_url: url,
        tokens_url: tokens_url(page.id()),
        token_id: token.id,
    };
    if page.who.htmx {
        return Ok(render::page(&DeleteFragment { d }));
    }
    Ok(render::page(&DeletePage {
        layout: page.layout("Delete access token"),
        tokens_url: tokens_url(page.id()),
        d,
    }))
}

/// The console's delete (the service checks SPEC §4's rule and ends the cached verification); returns how
/// many active tokens the project has left.
async fn delete_token(
    req: &HttpRequest,
    state: &AppState,
    page: &ProjectPage,
    token_id: String,
) -> Result<i64, HtmlError> {
    let project_id = page.id().to_owned();
    let actor = page.actor(req);
    Ok(service::blocking(&state.tokens, move |tokens| {
        let key = TokenKey::Id(token_id);
        tokens.delete(&project_id, &key, &actor, DeletedVia::Console)?;
        tokens.count_active(&project_id)
    })
    .await?)
}

/// `DELETE /projects/{project_id}/tokens/{token_id}` (htmx; CSRF in the `X-CSRF-Token` header, as
/// `hx-delete` sends no body): the row is removed in place and the confirmation closed.
#[tracing::instrument(name = "delete_token", skip_all)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    TokenChange(TokenRoute { page, token_id }): TokenChange,
) -> Result<HttpResponse, HtmlError> {
    let left = delete_token(&req, &state, &page, token_id).await?;
    let list = (left == 0).then(|| ListView::replacing(Vec::new(), &page.access));
    Ok(render::page(&DeletedFragment { list }))
}

/// `POST /projects/{project_id}/tokens/{token_id}/delete` (plain form): delete, then back to the list.
#[tracing::instrument(name = "delete_token_form", skip_all)]
pub async fn delete_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    TokenChange(TokenRoute { page, token_id }): TokenChange,
) -> Result<HttpResponse, HtmlError> {
    delete_token(&req, &state, &page, token_id).await?;
    Ok(render::see_other(&tokens_url(page.id())))
}
