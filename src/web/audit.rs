//! The audit log page (SPEC §9): a project's events and its members' logins, newest first, for owners and
//! admins. A plain page: filter and pager are GET links and forms.

use crate::db::audit::{self, event, AuditEvent};
use crate::domain::TokenRole;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::error::HtmlError;
use crate::web::format;
use crate::web::tokens::Pager;
use crate::web::{project_access, render, Layout, SignedIn};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Events per page.
pub const PAGE_SIZE: i64 = crate::web::tokens::PAGE_SIZE;

fn audit_url(project_id: &str) -> String {
    format!("/projects/{project_id}/audit")
}

/// What `?page=N&event=NAME` asks for. Anything unreadable is the first page of all events.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    page: i64,
    /// One of `event::ALL`, or `None` for all events.
    event: Option<&'static str>,
    /// An event name was given that is not one of `event::ALL`.
    unknown_event: bool,
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    page: Option<String>,
    event: Option<String>,
}

impl Request {
    fn parse(query: &str) -> Self {
        let query = web::Query::<AuditQuery>::from_query(query).ok();
        let page = query
            .as_ref()
            .and_then(|q| q.page.as_deref())
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|&p| p >= 1)
            .unwrap_or(1);
        let asked = query
            .as_ref()
            .and_then(|q| q.event.as_deref())
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let event = asked.and_then(|e| event::ALL.into_iter().find(|&known| known == e));
        Request {
            page,
            event,
            unknown_event: asked.is_some() && event.is_none(),
        }
    }
}

/// One row of the table. Every field comes from the audit table, which holds names, emails, addresses and
/// roles, never a token value.
pub struct EventRow {
    /// Exact UTC time to the second, e.g. `2025-11-22 14:03:05 UTC`.
    pub at: String,
    /// RFC 3339, for `<time datetime>`.
    pub datetime: String,
    pub event: String,
    pub actor: String,
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub detail: Option<String>,
}

impl EventRow {
    fn new(e: AuditEvent) -> Self {
        EventRow {
            at: format::exact_seconds(e.created_at),
            datetime: crate::clock::rfc3339(e.created_at),
            detail: detail_text(e.detail.as_deref()),
            event: e.event,
            actor: e.actor,
            target: e.target,
            client_ip: e.client_ip,
        }
    }
}

/// The stored detail in words: a token role, or the way a token was deleted.
fn detail_text(detail: Option<&str>) -> Option<String> {
    let detail = detail.map(str::trim).filter(|d| !d.is_empty())?;
    Some(match detail {
        "USER" => format!("Role: {}", TokenRole::User.label()),
        "ADMIN" => format!("Role: {}", TokenRole::Admin.label()),
        "console" => "via console".to_owned(),
        "api" => "via API".to_owned(),
        "leak report" | "leak_report" => "via leak report".to_owned(),
        other => other.to_owned(),
    })
}

/// An entry of the Event filter.
pub struct EventOption {
    pub name: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    project_name: String,
    tokens_url: String,
    audit_url: String,
    options: Vec<EventOption>,
    filtered: bool,
    unknown_event: bool,
    rows: Vec<EventRow>,
    pager: Option<Pager>,
}

fn pager(
    project_id: &str,
    event: Option<&str>,
    page: i64,
    total: i64,
    shown: usize,
) -> Option<Pager> {
    let base = audit_url(project_id);
    // Event names are `[a-z._]` (one of `event::ALL`), so they need no escaping in a URL.
    let link = |p: i64| match event {
        Some(e) => format!("{base}?event={e}&page={p}"),
        None => format!("{base}?page={p}"),
    };
    Pager::new(page, total, shown, link)
}

/// `GET /projects/{project_id}/audit`: owners and admins only; anyone else gets 404, like a non-member.
#[tracing::instrument(name = "audit_page", skip_all)]
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let (projects, access) = project_access(&state, &who, &path).await?;
    if !access.role.can_audit() {
        return Err(HtmlError::NotFound);
    }
    let asked = Request::parse(req.query_string());
    let pool = state.pool.clone();
    let project_id = access.project.id.clone();
    let filter = asked.event;
    let (events, total, page) = web::block(move || -> Result<_, AppError> {
        let mut conn = pool.get()?;
        let offset = (asked.page - 1).saturating_mul(PAGE_SIZE);
        let (rows, total) = audit::for_project(&mut conn, &project_id, filter, offset, PAGE_SIZE)?;
        if rows.is_empty() && total > 0 {
            // Past the end: the last page rather than nothing.
            let last = (total + PAGE_SIZE - 1) / PAGE_SIZE;
            let (rows, total) = audit::for_project(
                &mut conn,
                &project_id,
                filter,
                (last - 1) * PAGE_SIZE,
                PAGE_SIZE,
            )?;
            return Ok((rows, total, last));
        }
        Ok((rows, total, asked.page))
    })
    .await??;
    let rows: Vec<EventRow> = events.into_iter().map(EventRow::new).collect();
    let pager = pager(&access.project.id, filter, page, total, rows.len());
    let page = AuditPage {
        layout: Layout::signed_in(
            format!("Audit log · {}", access.project.name),
            &who,
            &projects,
            Some(&access),
        ),
        project_name: access.project.name.clone(),
        tokens_url: format!("/projects/{}/tokens", access.project.id),
        audit_url: audit_url(&access.project.id),
        options: event::ALL
            .into_iter()
            .map(|name| EventOption {
                name,
                selected: filter == Some(name),
            })
            .collect(),
        filtered: filter.is_some(),
        unknown_event: asked.unknown_event,
        rows,
        pager,
    };
    Ok(render::page(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_a_page_and_a_known_event() {
        let all = |page| Request {
            page,
            event: None,
            unknown_event: false,
        };
        assert_eq!(Request::parse(""), all(1));
        assert_eq!(Request::parse("page=3"), all(3));
        assert_eq!(Request::parse("page=0"), all(1));
        assert_eq!(Request::parse("page=x&event="), all(1));
        assert_eq!(Request::parse("page=99999999999999999999"), all(1));
        assert_eq!(
            Request::parse("event=token.created&page=2"),
            Request {
                page: 2,
                event: Some(event::TOKEN_CREATED),
                unknown_event: false
            }
        );
        assert_eq!(
            Request::parse("event=token.exploded"),
            Request {
                page: 1,
                event: None,
                unknown_event: true
            }
        );
        assert_eq!(
            Request::parse("event=login.failed&event=token.created"),
            all(1),
            "a repeated field is unreadable"
        );
    }

    #[test]
    fn details_are_written_in_words() {
        assert_eq!(detail_text(Some("USER")).as_deref(), Some("Role: User"));
        assert_eq!(
            detail_text(Some("ADMIN")).as_deref(),
            Some("Role: Administrator")
        );
        assert_eq!(detail_text(Some("api")).as_deref(), Some("via API"));
        assert_eq!(
            detail_text(Some("leak report")).as_deref(),
            Some("via leak report")
        );
        assert_eq!(detail_text(Some("console")).as_deref(), Some("via console"));
        assert_eq!(detail_text(Some("  ")), None);
        assert_eq!(detail_text(None), None);
        assert_eq!(detail_text(Some("other")).as_deref(), Some("other"));
    }

    #[test]
    fn pager_links_keep_the_filter() {
        assert!(pager("p", None, 1, 50, 50).is_none());
        let first = pager("p", Some(event::TOKEN_CREATED), 1, 60, 50).unwrap();
        assert_eq!(
            first.next.as_deref(),
            Some("/projects/p/audit?event=token.created&page=2")
        );
        assert_eq!(first.prev, None);
        let second = pager("p", None, 2, 60, 10).unwrap();
        assert_eq!(second.prev.as_deref(), Some("/projects/p/audit?page=1"));
        assert_eq!((second.first, second.last, second.next), (51, 60, None));
    }
}
