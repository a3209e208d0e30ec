//! The audit log page (SPEC §9): a project's events and its members' logins, newest first, for owners and
//! admins. A plain page: filter and pager are GET links and forms.

use crate::db::audit::{event, AuditEvent};
use crate::domain::TokenRole;
use crate::service::{self, PageNumber};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format;
use crate::web::pager::Pager;
use crate::web::tokens::tokens_url;
use crate::web::{render, Layout, ProjectPage, SignedIn};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn audit_url(project_id: &str) -> String {
    format!("/projects/{project_id}/audit")
}

/// What `?page=N&event=NAME` asks for. Anything unreadable is the first page of all events.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    page: PageNumber,
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
        let page = PageNumber::parse(query.as_ref().and_then(|q| q.page.as_deref()));
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
            datetime: e.created_at.rfc3339(),
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

/// The link to page `p` of the log, keeping the filter.
fn page_link(project_id: &str, event: Option<&'static str>) -> impl Fn(i64) -> String {
    let base = audit_url(project_id);
    // Event names are `[a-z._]` (one of `event::ALL`), so they need no escaping in a URL.
    move |p| match event {
        Some(e) => format!("{base}?event={e}&page={p}"),
        None => format!("{base}?page={p}"),
    }
}

/// `GET /projects/{project_id}/audit`: owners and admins only; anyone else gets 404, like a non-member.
#[tracing::instrument(name = "audit_page", skip_all)]
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let page = ProjectPage::open(&state, who, &path).await?;
    if !page.access.role.can_audit() {
        return Err(HtmlError::NotFound);
    }
    let asked = Request::parse(req.query_string());
    let filter = asked.event;
    let project_id = page.id().to_owned();
    let events = service::blocking(&state.projects, move |projects| {
        projects.audit_page(&project_id, filter, asked.page)
    })
    .await?;
    let pager = Pager::of(&events, page_link(page.id(), filter));
    let rows: Vec<EventRow> = events.rows.into_iter().map(EventRow::new).collect();
    let view = AuditPage {
        layout: page.layout("Audit log"),
        project_name: page.name().to_owned(),
        tokens_url: tokens_url(page.id()),
        audit_url: audit_url(page.id()),
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
    Ok(render::page(&view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_a_page_and_a_known_event() {
        let all = |page: &str| Request {
            page: PageNumber::parse(Some(page)),
            event: None,
            unknown_event: false,
        };
        assert_eq!(Request::parse(""), all("1"));
        assert_eq!(Request::parse("page=3"), all("3"));
        assert_eq!(Request::parse("page=0"), all("1"));
        assert_eq!(Request::parse("page=x&event="), all("1"));
        assert_eq!(Request::parse("page=99999999999999999999"), all("1"));
        assert_eq!(
            Request::parse("event=token.created&page=2"),
            Request {
                page: PageNumber::parse(Some("2")),
                event: Some(event::TOKEN_CREATED),
                unknown_event: false
            }
        );
        assert_eq!(
            Request::parse("event=token.exploded"),
            Request {
                page: PageNumber::FIRST,
                event: None,
                unknown_event: true
            }
        );
        assert_eq!(
            Request::parse("event=login.failed&event=token.created"),
            all("1"),
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
    fn page_links_keep_the_filter() {
        let created = page_link("p", Some(event::TOKEN_CREATED));
        assert_eq!(created(2), "/projects/p/audit?event=token.created&page=2");
        assert_eq!(page_link("p", None)(1), "/projects/p/audit?page=1");
    }
}
