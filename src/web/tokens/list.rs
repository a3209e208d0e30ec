//! `GET /projects/{project_id}/tokens`: the project's active tokens, newest first, 50 a page (with
//! `?deleted=1`, its deleted tokens instead).

use crate::db::projects::ProjectAccess;
use crate::service::{self, PageNumber};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::pager::{requested_page, Pager};
use crate::web::tokens::row::{TokenRow, Viewer};
use crate::web::tokens::tokens_url;
use crate::web::tokens::triage::Triage;
use crate::web::{render, Layout, ProjectPage, SignedIn};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// About what the Tokens page writes besides its rows, and per row (a 50-row page is ~81 KB), so its
/// buffer is allocated once.
const PAGE_HTML: usize = 12 * 1024;
const ROW_HTML: usize = 1536;

/// The list section (`#token-list`): the table (always present, so `#token-rows` can take an
/// out-of-band insert), the empty state, the pager.
pub struct ListView {
    pub rows: Vec<TokenRow>,
    pub can_create: bool,
    pub new_url: String,
    pub pager: Option<Pager>,
    /// Rendered as an out-of-band replacement of the section on the page.
    pub oob: bool,
}

impl ListView {
    pub fn new(rows: Vec<TokenRow>, access: &ProjectAccess, pager: Option<Pager>) -> Self {
        ListView {
            rows,
            can_create: access.role.can_create_any(),
            new_url: format!("{}/new", tokens_url(&access.project.id)),
            pager,
            oob: false,
        }
    }

    /// The section as an out-of-band swap with nothing in it but `rows`: the empty state when the last
    /// token goes, or the table when the first one comes.
    pub fn replacing(rows: Vec<TokenRow>, access: &ProjectAccess) -> Self {
        ListView {
            oob: true,
            ..ListView::new(rows, access, None)
        }
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    project_name: String,
    list: ListView,
    /// Shown to those who may read the audit log.
    audit_url: Option<String>,
    /// Show deleted, find by value, and the deleted tokens when the switch is on.
    triage: Triage,
}

#[tracing::instrument(name = "tokens_page", skip_all)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let page = ProjectPage::open(&state, who, &path).await?;
    page.who.session.remember_project(page.id());
    let triage = Triage::load(&state, &page, req.query_string()).await?;
    let list = if triage.deleted.is_some() {
        // The deleted tokens take the active list's place; the page head still offers Create.
        ListView::new(Vec::new(), &page.access, None)
    } else {
        active_list(&state, &page, requested_page(req.query_string())).await?
    };
    let view = TokensPage {
        layout: page.layout(triage.title()),
        project_name: page.name().to_owned(),
        list,
        audit_url: page
            .access
            .role
            .can_audit()
            .then(|| crate::web::audit::audit_url(page.id())),
        triage,
    };
    let rows = view.list.rows.len() + view.triage.deleted.as_ref().map_or(0, |d| d.rows.len());
    Ok(render::page_sized(&view, PAGE_HTML + rows * ROW_HTML))
}

/// One page of the active tokens, newest first.
async fn active_list(
    state: &AppState,
    page: &ProjectPage,
    requested: PageNumber,
) -> Result<ListView, HtmlError> {
    let project_id = page.id().to_owned();
    let records = service::blocking(&state.tokens, move |tokens| {
        tokens.active_page(&project_id, requested)
    })
    .await?;
    let now = state.clock.now();
    let viewer = Viewer::new(&page.who, &page.access);
    let base = tokens_url(page.id());
    let pager = Pager::of(&records, |p| format!("{base}?page={p}"));
    let rows = records
        .rows
        .into_iter()
        .map(|t| TokenRow::new(t, &viewer, &state.tokens, now))
        .collect();
    Ok(ListView::new(rows, &page.access, pager))
}
