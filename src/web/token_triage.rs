//! Triage on the Tokens page (SPEC §9): the Show deleted switch and its list, the details of a token's
//! last use, and Find a token by value for owners and admins cleaning up after a leak.

use crate::auth::last_used::recent_ips;
use crate::db::projects::ProjectAccess;
use crate::db::tokens::{self, TokenRecord};
use crate::domain::secret::{digest_of, parse_kind};
use crate::domain::{SecretKind, TokenRole};
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::error::HtmlError;
use crate::web::format::{self, Moment};
use crate::web::tokens::{requested_page, Pager, TokenRow, Viewer, PAGE_SIZE};
use crate::web::{project_access, render, Layout, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::net::IpAddr;

/// The one answer to a value that is not an active token of the project, whatever it is instead:
/// malformed, a failed checksum, another project's, a registration token, deleted, or unknown.
pub const NOT_A_TOKEN: &str = "This is not an active token of this project.";

fn tokens_url(project_id: &str) -> String {
    format!("/projects/{project_id}/tokens")
}

fn find_url(project_id: &str) -> String {
    format!("/projects/{project_id}/tokens/find")
}

// ---------- Last used ----------

/// A token's last use as the Last used cell shows it: the relative time, and in its details the exact
/// time and the last distinct client addresses.
pub struct LastUse {
    pub at: Moment,
    /// To the second, UTC.
    pub exact: format::Exact,
    /// Most recent first, at most 5.
    pub ips: Vec<String>,
}

impl LastUse {
    /// What the database holds about `token`, merged with the uses noted in memory and not yet
    /// written (`recent`, see `auth::last_used`), which are newer. `None`: never used.
    pub fn of(
        token: &TokenRecord,
        recent: Option<(i64, Vec<IpAddr>)>,
        now_ms: i64,
    ) -> Option<Self> {
        let (recent_at, recent) = recent.map_or((None, Vec::new()), |(at, ips)| (Some(at), ips));
        let at = token.last_used_at.max(recent_at)?;
        Some(LastUse {
            at: Moment::relative(at, now_ms),
            exact: format::Exact {
                at: format::Civil::of(at),
                seconds: true,
            },
            ips: recent_ips(&recent, &token.last_used_ips),
        })
    }
}

// ---------- The Tokens page's triage tools ----------

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
        state: &web::Data<AppState>,
        who: &SignedIn,
        access: &ProjectAccess,
        query: &str,
    ) -> Result<Self, HtmlError> {
        let deleted = if wants_deleted(query) {
            Some(DeletedList::load(state, access, requested_page(query)).await?)
        } else {
            None
        };
        Ok(Triage {
            tokens_url: tokens_url(&access.project.id),
            show_deleted: deleted.is_some(),
            find: FindView::for_member(who, access, None),
            deleted,
        })
    }

    pub fn title(&self, project_name: &str) -> String {
        if self.show_deleted {
            format!("Deleted tokens · {project_name}")
        } else {
            format!("Tokens · {project_name}")
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
    pub description: Option<String>,
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
    fn new(token: &TokenRecord) -> Self {
        let role = token.role();
        DeletedRow {
            name: token.name.clone(),
            description: token.description.clone(),
            role_label: role.label(),
            is_admin: role == TokenRole::Admin,
            created: Moment::date(token.created_at),
            deleted: token.deleted_at.map(Moment::exact),
            deleted_by: token.deleted_by.clone().unwrap_or_else(|| "—".to_owned()),
            how: how_deleted(token.deleted_via.as_deref()),
        }
    }
}

/// The How column: the `deleted_via` column in words.
fn how_deleted(via: Option<&str>) -> &'static str {
    match via {
        Some("console") => "console",
        Some("api") => "API",
        Some("leak report") => "leak report",
        _ => "—",
    }
}

/// One page of the project's deleted tokens, most recently deleted first.
pub struct DeletedList {
    pub rows: Vec<DeletedRow>,
    pub pager: Option<Pager>,
}

impl DeletedList {
    async fn load(
        state: &web::Data<AppState>,
        access: &ProjectAccess,
        requested: i64,
    ) -> Result<Self, HtmlError> {
        let pool = state.pool.clone();
        let project_id = access.project.id.clone();
        let (records, total, page) = web::block(move || -> Result<_, AppError> {
            let mut conn = pool.get()?;
            let offset = (requested - 1).saturating_mul(PAGE_SIZE);
            let (rows, total) = tokens::list_deleted(&mut conn, &project_id, offset, PAGE_SIZE)?;
            if rows.is_empty() && total > 0 {
                // Past the end: the last page rather than nothing.
                let last = (total + PAGE_SIZE - 1) / PAGE_SIZE;
                let (rows, total) = tokens::list_deleted(
                    &mut conn,
                    &project_id,
                    (last - 1) * PAGE_SIZE,
                    PAGE_SIZE,
                )?;
                return Ok((rows, total, last));
            }
            Ok((rows, total, requested))
        })
        .await??;
        let rows: Vec<DeletedRow> = records.iter().map(DeletedRow::new).collect();
        let pager = deleted_pager(&access.project.id, page, total, rows.len());
        Ok(DeletedList { rows, pager })
    }
}

fn deleted_pager(project_id: &str, page: i64, total: i64, shown: usize) -> Option<Pager> {
    Pager::new(page, total, shown, |p| {
        format!("{}?deleted=1&page={p}", tokens_url(project_id))
    })
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
    fn for_member(
        who: &SignedIn,
        access: &ProjectAccess,
        result: Option<FindResult>,
    ) -> Option<Self> {
        access.role.can_audit().then(|| FindView {
            url: find_url(&access.project.id),
            csrf: who.csrf_token(),
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

/// The project access of an owner or admin; 404 for non-members, 403 for other members.
async fn finder_access(
    state: &web::Data<AppState>,
    who: &SignedIn,
    project_id: &str,
) -> Result<(Vec<ProjectAccess>, ProjectAccess), HtmlError> {
    let (projects, access) = project_access(state, who, project_id).await?;
    if !access.role.can_audit() {
        return Err(HtmlError::Forbidden);
    }
    Ok((projects, access))
}

fn find_page(
    who: &SignedIn,
    projects: &[ProjectAccess],
    access: &ProjectAccess,
    result: Option<FindResult>,
    found: Option<FoundList>,
) -> Result<FindPage, HtmlError> {
    Ok(FindPage {
        layout: Layout::signed_in(
            format!("Find a token by value · {}", access.project.name),
            who,
            projects,
            Some(access),
        ),
        tokens_url: tokens_url(&access.project.id),
        find: FindView::for_member(who, access, result).ok_or(HtmlError::Forbidden)?,
        found,
    })
}

/// `GET /projects/{project_id}/tokens/find`: the form on a page of its own (without JavaScript, or a bookmark).
pub async fn find_form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let (projects, access) = finder_access(&state, &who, &path).await?;
    Ok(render::page(&find_page(
        &who, &projects, &access, None, None,
    )?))
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
    who.require_csrf(&req, csrf_token.as_deref())?;
    let (projects, access) = finder_access(&state, &who, &path).await?;
    let value = token.trim();
    // A registration token or a mistyped value cannot be an active access token; no lookup needed.
    let digest = matches!(parse_kind(value), Ok(SecretKind::Access)).then(|| digest_of(value));
    drop(token);
    let record = match digest {
        Some(digest) => {
            let pool = state.pool.clone();
            web::block(move || -> Result<_, AppError> {
                let mut conn = pool.get()?;
                Ok(tokens::find_active_by_digest(&mut conn, &digest)?)
            })
            .await??
        }
        None => None,
    }
    .filter(|record| record.project_id == access.project.id);

    let now = state.clock.now_ms();
    let result = FindResult {
        found: record.as_ref().map(|r| r.name.clone()),
    };
    let found = record.map(|record| FoundList {
        rows: vec![TokenRow::new(
            record,
            &Viewer::new(&who, &access),
            &state.last_used,
            now,
        )],
        tokens_url: tokens_url(&access.project.id),
        oob: who.htmx,
    });
    // 200 for "not found" too: it is an answer, not an error (and browsers log every 4xx).
    if who.htmx {
        return Ok(render::secret_page_with_status(
            StatusCode::OK,
            &FindFragment {
                result,
                found,
                tokens_url: tokens_url(&access.project.id),
            },
        ));
    }
    let page = find_page(&who, &projects, &access, Some(result), found)?;
    Ok(render::secret_page_with_status(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(last_used_at: Option<i64>, ips: &str) -> TokenRecord {
        TokenRecord {
            id: "t".into(),
            project_id: "p".into(),
            name: "n".into(),
            role: "USER".into(),
            hint: "mlpat_abcd".into(),
            description: None,
            created_at: 0,
            created_by_account_id: None,
            issuer_name: "a@x".into(),
            expires_at: None,
            lifetime_secs: None,
            last_used_at,
            last_used_ips: ips.into(),
            deleted_at: None,
            deleted_by: None,
            deleted_via: None,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    // 2025-11-22 14:03:00 UTC
    const NOW: i64 = 1_763_820_180_000;

    #[test]
    fn a_token_never_used_has_no_last_use() {
        assert!(LastUse::of(&record(None, ""), None, NOW).is_none());
    }

    #[test]
    fn uses_in_memory_are_newer_than_the_database() {
        let stored = record(Some(NOW - 3_600_000), "10.0.0.1,10.0.0.2");
        let merged = LastUse::of(
            &stored,
            Some((NOW - 5_000, vec![ip("192.0.2.1"), ip("10.0.0.2")])),
            NOW,
        )
        .unwrap();
        assert_eq!(merged.at.text().to_string(), "just now");
        assert_eq!(merged.exact.to_string(), "2025-11-22 14:02:55 UTC");
        assert_eq!(merged.ips, ["192.0.2.1", "10.0.0.2", "10.0.0.1"]);
        let only_stored = LastUse::of(&stored, None, NOW).unwrap();
        assert_eq!(only_stored.at.text().to_string(), "1 hour ago");
        assert_eq!(only_stored.ips, ["10.0.0.1", "10.0.0.2"]);
    }

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
        assert_eq!(how_deleted(Some("console")), "console");
        assert_eq!(how_deleted(Some("api")), "API");
        assert_eq!(how_deleted(Some("leak report")), "leak report");
        assert_eq!(how_deleted(None), "—");
    }

    #[test]
    fn deleted_pages_keep_the_switch_on() {
        assert!(deleted_pager("p", 1, 50, 50).is_none());
        let first = deleted_pager("p", 1, 51, 50).unwrap();
        assert_eq!(
            first.next.as_deref(),
            Some("/projects/p/tokens?deleted=1&page=2")
        );
        let second = deleted_pager("p", 2, 51, 1).unwrap();
        assert_eq!((second.first, second.last), (51, 51));
        assert_eq!(
            second.prev.as_deref(),
            Some("/projects/p/tokens?deleted=1&page=1")
        );
    }
}
