//! Actions on one row of the Tokens page (SPEC §9): **Renew** (a new value, shown once, for the same token)
//! and the description edited in place. htmx gets fragments; without JavaScript every step is a full page
//! with a plain form. Who may do either is SPEC §4's rule for deleting.

use crate::db::projects::ProjectAccess;
use crate::db::tokens::TokenRecord;
use crate::domain::Description;
use crate::error::AppError;
use crate::service::{self, TokenKey};
use crate::startup::AppState;
use crate::web::error::HtmlError;
use crate::web::format::Moment;
use crate::web::tokens::{
    active_token, manageable_token, tokens_url, CreatedView, TokenRow, Viewer,
};
use crate::web::{project_access, render, Layout, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

fn token_url(project_id: &str, token_id: &str) -> String {
    format!("{}/{token_id}", tokens_url(project_id))
}

fn row_of(
    state: &AppState,
    token: &TokenRecord,
    who: &SignedIn,
    access: &ProjectAccess,
    now_ms: i64,
) -> TokenRow {
    // One row, off the list's path: a copy of the record is cheaper to reason about than a move here.
    TokenRow::new(
        token.clone(),
        &Viewer::new(who, access),
        &state.last_used,
        now_ms,
    )
}

#[derive(Template)]
#[template(path = "partials/token_row.html")]
struct RowFragment {
    row: TokenRow,
}

/// `GET /projects/{project_id}/tokens/{token_id}/row` (htmx): the token's row as the list shows it, e.g.
/// to put back a row whose description editor was cancelled. Without htmx: the Tokens page.
pub async fn row(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, token_id) = path.into_inner();
    let (_, access) = project_access(&state, &who, &project_id).await?;
    let token = active_token(&state, &access, &token_id).await?;
    if !who.htmx {
        return Ok(render::see_other(&tokens_url(&access.project.id)));
    }
    let now = state.clock.now_ms();
    Ok(render::page(&RowFragment {
        row: row_of(&state, &token, &who, &access, now),
    }))
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

// ---------- Renew ----------

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
#[template(path = "token_renewed.html")]
struct RenewedPage<'a> {
    layout: Layout,
    tokens_url: String,
    c: CreatedView<'a>,
}

#[derive(Template)]
#[template(path = "token_renewed_fragment.html")]
struct RenewedFragment<'a> {
    c: CreatedView<'a>,
    /// Replaces the token's row (its fresh expiry) in place.
    row: TokenRow,
}

/// `GET /projects/{project_id}/tokens/{token_id}/renew`: the confirmation, as a dialog or a full page.
pub async fn confirm_renew(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, token_id) = path.into_inner();
    let (projects, access) = project_access(&state, &who, &project_id).await?;
    let token = manageable_token(&state, &who, &access, &token_id).await?;
    let now = state.clock.now_ms();
    let url = tokens_url(&access.project.id);
    let r = RenewView {
        name: token.name.clone(),
        csrf: who.csrf_token(),
        full_page: !who.htmx,
        renew_url: format!("{}/renew", token_url(&access.project.id, &token.id)),
        tokens_url: url.clone(),
        expires: service::renewed_expiry(&token, now).0.map(Moment::date),
    };
    if who.htmx {
        return Ok(render::page(&RenewFragment { r }));
    }
    Ok(render::page(&RenewPage {
        layout: Layout::signed_in(
            format!("Renew access token · {}", access.project.name),
            &who,
            &projects,
            Some(&access),
        ),
        tokens_url: url,
        r,
    }))
}

/// `POST /projects/{project_id}/tokens/{token_id}/renew`: a new value for the token, shown once; the old
/// value stops working at once. htmx: the show-once dialog replaces the confirmation and the row is
/// refreshed in place; without JS: a full page.
#[tracing::instrument(name = "renew_token", skip_all)]
pub async fn renew(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    let (project_id, token_id) = path.into_inner();
    let (projects, access) = project_access(&state, &who, &project_id).await?;
    manageable_token(&state, &who, &access, &token_id).await?;
    let (secret, record) = state
        .renew_token(
            access.project.id.clone(),
            TokenKey::Id(token_id),
            who.actor(&req),
        )
        .await?;
    let now = state.clock.now_ms();
    let url = tokens_url(&access.project.id);
    let renewed = CreatedView::new(&secret, &record, &access, &who, true);
    if who.htmx {
        let fragment = RenewedFragment {
            c: renewed,
            row: row_of(&state, &record, &who, &access, now),
        };
        return Ok(render::secret_page_with_status(StatusCode::OK, &fragment));
    }
    let page = RenewedPage {
        layout: Layout::signed_in(
            format!("Access token renewed · {}", access.project.name),
            &who,
            &projects,
            Some(&access),
        ),
        tokens_url: url,
        c: renewed,
    };
    Ok(render::secret_page_with_status(StatusCode::OK, &page))
}

// ---------- Description ----------

/// The description editor: in the row for htmx, a page of its own without JS.
pub struct EditView {
    pub token_id: String,
    pub name: String,
    /// As stored, or as entered when it was refused.
    pub description: String,
    pub error: Option<String>,
    pub csrf: String,
    /// Where the form posts (and what the no-JS page is).
    pub url: String,
    /// The row fragment that Cancel (and Escape) puts back.
    pub row_url: String,
}

impl EditView {
    fn new(
        who: &SignedIn,
        access: &ProjectAccess,
        token: &TokenRecord,
        description: String,
        error: Option<String>,
    ) -> Self {
        let token_url = token_url(&access.project.id, &token.id);
        EditView {
            token_id: token.id.clone(),
            name: token.name.clone(),
            description,
            error,
            csrf: who.csrf_token(),
            url: format!("{token_url}/description"),
            row_url: format!("{token_url}/row"),
        }
    }
}

#[derive(Template)]
#[template(path = "partials/token_edit_row.html")]
struct EditRow {
    e: EditView,
}

#[derive(Template)]
#[template(path = "token_description.html")]
struct EditPage {
    layout: Layout,
    tokens_url: String,
    e: EditView,
}

fn render_editor(
    who: &SignedIn,
    projects: &[ProjectAccess],
    access: &ProjectAccess,
    e: EditView,
) -> HttpResponse {
    // A refused value answers 200 too: the editor is re-rendered in place, and browsers log every 4xx.
    if who.htmx {
        return render::page(&EditRow { e });
    }
    render::page(&EditPage {
        layout: Layout::signed_in(
            format!("Edit description · {}", access.project.name),
            who,
            projects,
            Some(access),
        ),
        tokens_url: tokens_url(&access.project.id),
        e,
    })
}

/// `GET /projects/{project_id}/tokens/{token_id}/description`: the editor, as a row (htmx) or a page.
pub async fn edit_description(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, token_id) = path.into_inner();
    let (projects, access) = project_access(&state, &who, &project_id).await?;
    let token = manageable_token(&state, &who, &access, &token_id).await?;
    let current = token.description.clone().unwrap_or_default();
    let e = EditView::new(&who, &access, &token, current, None);
    Ok(render_editor(&who, &projects, &access, e))
}

#[derive(serde::Deserialize)]
pub struct DescriptionForm {
    #[serde(default)]
    description: String,
    csrf_token: Option<String>,
}

/// `POST /projects/{project_id}/tokens/{token_id}/description`: sets the description (blank removes it).
/// htmx: the row comes back with it; without JS: back to the Tokens page. A refused value re-renders the
/// editor with the message next to the field and the entered text kept.
#[tracing::instrument(name = "set_description", skip_all)]
pub async fn save_description(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<DescriptionForm>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    let (project_id, token_id) = path.into_inner();
    let (projects, access) = project_access(&state, &who, &project_id).await?;
    let token = manageable_token(&state, &who, &access, &token_id).await?;
    let description = match Description::parse(&form.description) {
        Ok(description) => description,
        Err(err) => {
            let e = EditView::new(
                &who,
                &access,
                &token,
                form.description,
                Some(err.to_string()),
            );
            return Ok(render_editor(&who, &projects, &access, e));
        }
    };
    let pool = state.pool.clone();
    let now = state.clock.now_ms();
    let key = TokenKey::Id(token.id.clone());
    let project = access.project.id.clone();
    let actor = who.actor(&req);
    let updated = web::block(move || -> Result<_, AppError> {
        let mut conn = pool.get()?;
        service::set_description(&mut conn, now, &project, &key, description, &actor)
    })
    .await??;
    if !who.htmx {
        return Ok(render::see_other(&tokens_url(&access.project.id)));
    }
    Ok(render::page(&RowFragment {
        row: row_of(&state, &updated, &who, &access, now),
    }))
}
