//! Triage on the Tokens page (SPEC §9): the Show deleted switch and its list, and Find a token by value
//! for owners and admins cleaning up after a leak.

use crate::db::tokens::TokenRecord;
use crate::domain::{DeletedVia, LabelSelector, TokenRole};
use crate::service::{self, PageNumber};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format::Moment;
use crate::web::pager::{requested_page, Pager};
use crate::web::tokens::row::{TokenRow, Viewer};
use crate::web::tokens::tokens_url;
use crate::web::{render, Layout, ProjectPage, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// The one answer to a value that is not an active token of the project, whatever it is instead:
/// malformed, a failed checksum, another project's, a registration token, deleted, or unknown.
pub const NOT_A_TOKEN: &str = "This is not an active token of this project.";

fn find_url(project_id: &str) -> String {
    format!("{}/find", tokens_url(project_id))
}

/// What the Tokens page shows besides the active list: the Show deleted switch, the find form (for
/// those who may use it), and the deleted tokens when the switch is on.
pub struct Triage {
    pub tokens_url: String,
    pub show_deleted: bool,
    pub find: Option<FindView>,
    pub deleted: Option<DeletedList>,
}

impl Triage {
    /// Reads `?deleted=1&page=N` and loads the deleted tokens if they are asked for.
    pub async fn load(
        state: &AppState,
        page: &ProjectPage,
        query: &str,
    ) -> Result<Self, HtmlError> {
        let deleted = if wants_deleted(query) {
            Some(DeletedList::load(state, page, requested_page(query)).await?)
        } else {
            None
        };
        Ok(Triage {
            tokens_url: tokens_url(page.id()),
            show_deleted: deleted.is_some(),
            find: FindView::for_member(page, None),
            deleted,
        })
    }

    /// Whether the triage disclosure starts open: while its tools are in use (deleted tokens listed, a
    /// search answered).
    pub fn is_open(&self) -> bool {
        self.show_deleted || self.find.as_ref().is_some_and(|find| find.result.is_some())
    }

    /// The page's title before the project's name.
    pub fn title(&self) -> &'static str {
        if self.show_deleted {
            "Deleted tokens"
        } else {
            "Tokens"
        }
    }
}

#[derive(serde::Deserialize)]
struct DeletedQuery {
    deleted: Option<String>,
}

/// Whether the Show deleted switch is on: `?deleted=1` (or `true`/`on`).
fn wants_deleted(query: &str) -> bool {
    web::Query::<DeletedQuery>::from_query(query)
        .ok()
        .and_then(|q| q.deleted.clone())
        .is_some_and(|v| matches!(v.trim(), "1" | "true" | "on"))
}

// ---------- Show deleted ----------

/// A deleted token: greyed, with no actions.
pub struct DeletedRow {
    pub name: String,
    /// The value's first characters, to tell which leaked value this was.
    pub hint: String,
    pub description: Option<String>,
    pub label_selector: Option<LabelSelector>,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub created: Moment,
    pub deleted: Option<Moment>,
    /// An email, a token name, or `leak report`.
    pub deleted_by: String,
    /// `console`, `API` or `leak report`.
    pub how: &'static str,
}

impl DeletedRow {
    fn new(token: TokenRecord) -> Self {
        DeletedRow {
            role_label: token.role.label(),
            is_admin: token.role == TokenRole::Admin,
            created: Moment::date(token.created_at),
            deleted: token.deleted_at.map(Moment::exact),
            deleted_by: token.deleted_by.unwrap_or_else(|| "—".to_owned()),
            how: how_deleted(token.deleted_via),
            name: token.name,
            hint: token.hint,
            description: token.description,
            label_selector: token.label_selector,
        }
    }
}

/// The How column: the deletion cause in words.
fn how_deleted(via: Option<DeletedVia>) -> &'static str {
    match via {
        Some(DeletedVia::Console) => "console",
        Some(DeletedVia::Api) => "API",
        Some(DeletedVia::Cli) => "command line",
        Some(DeletedVia::LeakReport) => "leak report",
        None => "—",
    }
}

/// One page of the project's deleted tokens, most recently deleted first.
pub struct DeletedList {
    pub rows: Vec<DeletedRow>,
    pub pager: Option<Pager>,
}

impl DeletedList {
    async fn load(
        state: &AppState,
        page: &ProjectPage,
        requested: PageNumber,
    ) -> Result<Self, HtmlError> {
        let project_id = page.id().to_owned();
        let records = service::blocking(&state.tokens, move |tokens| {
            tokens.deleted_page(&project_id, requested)
        })
        .await?;
        let pager = Pager::of(&records, deleted_link(page.id()));
        let rows = records.rows.into_iter().map(DeletedRow::new).collect();
        Ok(DeletedList { rows, pager })
    }
}

/// The link to page `p` of the deleted tokens: the switch stays on.
fn deleted_link(project_id: &str) -> impl Fn(i64) -> String {
    let base = tokens_url(project_id);
    move |p| format!("{base}?deleted=1&page={p}")
}

// ---------- Find a token by value ----------

/// The find form, and the answer to the last search (the value itself is never rendered back).
pub struct FindView {
    pub url: String,
    pub csrf: String,
    pub result: Option<FindResult>,
}

impl FindView {
    /// The form for owners and admins; `None` for anyone else (they do not see it).
    fn for_member(page: &ProjectPage, result: Option<FindResult>) -> Option<Self> {
        page.access.role.can_audit().then(|| FindView {
            url: find_url(page.id()),
            csrf: page.who.csrf_token(),
            result,
        })
    }
}

/// What a search found: the name of the matching token of this project, or nothing.
pub struct FindResult {
    pub found: Option<String>,
}

impl FindResult {
    pub fn not_found_message(&self) -> &'static str {
        NOT_A_TOKEN
    }
}

/// The found token's row, in place of the list (`#token-list`), so that the page never holds two rows
/// with the same id and the row's Delete works as it does in the list.
pub struct FoundList {
    pub rows: Vec<TokenRow>,
    pub tokens_url: String,
    /// Replaces the list section out of band (htmx).
    pub oob: bool,
}

#[derive(Template)]
#[template(path = "token_find.html")]
struct FindPage {
    layout: Layout,
    tokens_url: String,
    find: FindView,
    found: Option<FoundList>,
}

#[derive(Template)]
#[template(path = "token_find_result.html")]
struct FindFragment {
    result: FindResult,
    found: Option<FoundList>,
    /// For the "Show all tokens" link that replaces an earlier search's row when nothing is found.
    tokens_url: String,
}

/// The pasted value and the CSRF token. No `Debug`: the value must never be printed.
#[derive(serde::Deserialize)]
pub struct FindForm {
    #[serde(default)]
    token: String,
    csrf_token: Option<String>,
}

/// 403 unless the account is an owner or admin of the project.
fn require_finder(page: &ProjectPage) -> Result<(), HtmlError> {
    if page.access.role.can_audit() {
        Ok(())
    } else {
        Err(HtmlError::Forbidden)
    }
}

fn find_page(
    page: &ProjectPage,
    result: Option<FindResult>,
    found: Option<FoundList>,
) -> Result<FindPage, HtmlError> {
    Ok(FindPage {
        layout: page.layout("Find a token by value"),
        tokens_url: tokens_url(page.id()),
        find: FindView::for_member(page, result).ok_or(HtmlError::Forbidden)?,
        found,
    })
}

/// `GET /projects/{project_id}/tokens/find`: the form on a page of its own (without JavaScript, or a bookmark).
pub async fn find_form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let page = ProjectPage::open(&state, who, &path).await?;
    require_finder(&page)?;
    Ok(render::page(&find_page(&page, None, None)?))
}

/// `POST /projects/{project_id}/tokens/find`: the active token of this project whose value was pasted.
/// Everything else gets the same answer, so that nobody learns about other projects' tokens; the value
/// is never logged, rendered back or put in a URL, and the answer is never cached.
#[tracing::instrument(name = "find_token_by_value", skip_all)]
pub async fn find(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    form: web::Form<FindForm>,
) -> Result<HttpResponse, HtmlError> {
    let FindForm { token, csrf_token } = form.into_inner();
    let page =
        ProjectPage::open_for_change(&state, &req, who, &path, csrf_token.as_deref()).await?;
    require_finder(&page)?;
    let project_id = page.id().to_owned();
    let record = service::blocking(&state.tokens, move |tokens| {
        tokens.find_by_value(&project_id, &token)
    })
    .await?;

    let result = FindResult {
        found: record.as_ref().map(|r| r.name.clone()),
    };
    let now = state.clock.now();
    let found = record.map(|record| FoundList {
        rows: vec![TokenRow::new(
            record,
            &Viewer::new(&page.who, &page.access),
            &state.tokens,
            now,
        )],
        tokens_url: tokens_url(page.id()),
        oob: page.who.htmx,
    });
    // 200 for "not found" too: it is an answer, not an error (and browsers log every 4xx).
    if page.who.htmx {
        return Ok(render::secret_page_with_status(
            StatusCode::OK,
            &FindFragment {
                result,
                found,
                tokens_url: tokens_url(page.id()),
            },
        ));
    }
    let view = find_page(&page, Some(result), found)?;
    Ok(render::secret_page_with_status(StatusCode::OK, &view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Page;

    #[test]
    fn the_switch_reads_deleted_from_the_query() {
        assert!(wants_deleted("deleted=1"));
        assert!(wants_deleted("page=2&deleted=true"));
        assert!(!wants_deleted(""));
        assert!(!wants_deleted("deleted=0"));
        assert!(!wants_deleted("deleted=yes-please"));
    }

    #[test]
    fn how_a_token_was_deleted_in_words() {
        assert_eq!(how_deleted(Some(DeletedVia::Console)), "console");
        assert_eq!(how_deleted(Some(DeletedVia::Cli)), "command line");
        assert_eq!(how_deleted(Some(DeletedVia::Api)), "API");
        assert_eq!(how_deleted(Some(DeletedVia::LeakReport)), "leak report");
        assert_eq!(how_deleted(None), "—");
    }

    #[test]
    fn deleted_pages_keep_the_switch_on() {
        let page = |number: &str, shown| Page {
            rows: vec![(); shown],
            total: 51,
            number: PageNumber::parse(Some(number)),
        };
        let first = Pager::of(&page("1", 50), deleted_link("p")).unwrap();
        assert_eq!(
            first.next.as_deref(),
            Some("/projects/p/tokens?deleted=1&page=2")
        );
        let second = Pager::of(&page("2", 1), deleted_link("p")).unwrap();
        assert_eq!((second.first, second.last), (51, 51));
        assert_eq!(
            second.prev.as_deref(),
            Some("/projects/p/tokens?deleted=1&page=1")
        );
    }
}
