//! The description (SPEC §9), edited in place on the row: htmx swaps the row for an editor and back;
//! without JavaScript the editor is a page of its own.

use crate::db::tokens::TokenRecord;
use crate::domain::Description;
use crate::service::{self, TokenKey};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::tokens::row::RowFragment;
use crate::web::tokens::{token_url, tokens_url};
use crate::web::{render, Layout, ProjectPage, SignedIn, TokenRoute};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

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
        page: &ProjectPage,
        token: &TokenRecord,
        description: String,
        error: Option<String>,
    ) -> Self {
        let token_url = token_url(page.id(), &token.id);
        EditView {
            token_id: token.id.clone(),
            name: token.name.clone(),
            description,
            error,
            csrf: page.who.csrf_token(),
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

fn render_editor(page: &ProjectPage, e: EditView) -> HttpResponse {
    // A refused value answers 200 too: the editor is re-rendered in place, and browsers log every 4xx.
    if page.who.htmx {
        return render::page(&EditRow { e });
    }
    render::page(&EditPage {
        layout: page.layout("Edit description"),
        tokens_url: tokens_url(page.id()),
        e,
    })
}

/// `GET /projects/{project_id}/tokens/{token_id}/description`: the editor, as a row (htmx) or a page.
pub async fn edit(
    state: web::Data<AppState>,
    TokenRoute { page, token_id }: TokenRoute,
) -> Result<HttpResponse, HtmlError> {
    let token = page.manageable_token(&state, &token_id).await?;
    let current = token.description.clone().unwrap_or_default();
    let e = EditView::new(&page, &token, current, None);
    Ok(render_editor(&page, e))
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
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<DescriptionForm>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    let (project_id, token_id) = path.into_inner();
    let csrf = form.csrf_token.as_deref();
    let page = ProjectPage::open_for_change(&state, &req, who, &project_id, csrf).await?;
    let token = page.manageable_token(&state, &token_id).await?;
    let description = match Description::parse(&form.description) {
        Ok(description) => description,
        Err(err) => {
            let e = EditView::new(&page, &token, form.description, Some(err.to_string()));
            return Ok(render_editor(&page, e));
        }
    };
    let (project, actor) = (page.id().to_owned(), page.actor(&req));
    let updated = service::blocking(&state.tokens, move |tokens| {
        tokens.set_description(&project, &TokenKey::Id(token.id), &description, &actor)
    })
    .await?;
    if !page.who.htmx {
        return Ok(render::see_other(&tokens_url(page.id())));
    }
    Ok(render::page(&RowFragment::of(&state, &page, updated)))
}
