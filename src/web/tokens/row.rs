//! One row of the token table: what it shows (with the token's last use) and the actions it links to.

use crate::auth::last_used::recent_ips;
use crate::db::projects::ProjectAccess;
use crate::db::tokens::TokenRecord;
use crate::domain::{Authority, LabelSelector, MemberRole, Timestamp, TokenRole};
use crate::service::{self, TokenStore};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format::{self, Moment};
use crate::web::tokens::tokens_url;
use crate::web::{render, ProjectPage, SignedIn, TokenRoute};
use actix_web::{web, HttpResponse};
use askama::Template;
use std::net::IpAddr;

/// Names up to this many characters keep to one line.
const LONG_NAME_CHARS: usize = 40;

/// One row of the token table. It owns its token's strings (moved, not copied, out of the record) and
/// writes its URLs and times straight into the page: a page is 50 of them.
pub struct TokenRow {
    pub id: String,
    project_id: String,
    pub name: String,
    /// The value's first characters (`mlpat_` and 4), shown under the name to match a leaked value by eye.
    pub hint: String,
    pub description: Option<String>,
    /// The jobs it is fixed to (SPEC §13), shown as a chip under the name.
    pub label_selector: Option<LabelSelector>,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub created: Moment,
    pub created_by: String,
    pub expires: Option<Moment>,
    pub expired: bool,
    pub expires_soon: Option<String>,
    /// `None`: never used.
    pub usage: Option<LastUse>,
    /// Whether the viewer may delete, renew and edit this token (SPEC §4).
    manageable: bool,
    /// Freshly created: highlighted once.
    pub new: bool,
}

impl TokenRow {
    /// The row of `token` as `viewer` sees it; its last use adds what the store noted in memory and has
    /// not written yet, so no page is up to a minute behind the API (a hash-map read per row).
    pub fn new(token: TokenRecord, viewer: &Viewer, tokens: &TokenStore, now: Timestamp) -> Self {
        let usage = LastUse::of(&token, tokens.unwritten_use(&token.id), now);
        TokenRow {
            role_label: token.role.label(),
            is_admin: token.role == TokenRole::Admin,
            created: Moment::date(token.created_at),
            expires: token.expires_at.map(Moment::date),
            expired: token.is_expired(now),
            expires_soon: token
                .expires_at
                .and_then(|at| format::expires_soon(at, now)),
            usage,
            manageable: viewer.may_manage(&token),
            new: false,
            id: token.id,
            project_id: token.project_id,
            name: token.name,
            hint: token.hint,
            description: token.description,
            label_selector: token.label_selector,
            created_by: token.issuer_name,
        }
    }

    /// A name this long may wrap anywhere; a shorter one never wraps (not even at its hyphens).
    pub fn long_name(&self) -> bool {
        self.name.chars().count() > LONG_NAME_CHARS
    }

    /// The delete confirmation, present exactly when the viewer may manage this token.
    pub fn delete_url(&self) -> Option<TokenUrl<'_>> {
        self.action_url("delete")
    }

    /// The renew confirmation, present exactly when the viewer may manage this token.
    pub fn renew_url(&self) -> Option<TokenUrl<'_>> {
        self.action_url("renew")
    }

    /// The description editor, present exactly when the viewer may manage this token.
    pub fn description_url(&self) -> Option<TokenUrl<'_>> {
        self.action_url("description")
    }

    fn action_url(&self, action: &'static str) -> Option<TokenUrl<'_>> {
        self.manageable.then_some(TokenUrl {
            project_id: &self.project_id,
            token_id: &self.id,
            action,
        })
    }
}

/// `/projects/{project_id}/tokens/{token_id}/{action}`, written into the page as it renders. It escapes
/// its own parts (ids are UUIDs, so in practice nothing changes), which lets askama write it in one piece
/// instead of through its escaping writer, a call per fragment: a page has 150 of these.
pub struct TokenUrl<'a> {
    project_id: &'a str,
    token_id: &'a str,
    action: &'static str,
}

impl std::fmt::Display for TokenUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use askama::filters::{Escaper, Html};
        f.write_str("/projects/")?;
        Html.write_escaped_str(&mut *f, self.project_id)?;
        f.write_str("/tokens/")?;
        Html.write_escaped_str(&mut *f, self.token_id)?;
        f.write_str("/")?;
        f.write_str(self.action)
    }
}

// Escaped by its own `Display` (the action is one of three literals).
impl askama::filters::HtmlSafe for TokenUrl<'_> {}

/// Who looks at the list, for the per-row actions.
pub struct Viewer {
    account_id: String,
    role: MemberRole,
}

impl Viewer {
    pub fn new(who: &SignedIn, access: &ProjectAccess) -> Self {
        Viewer {
            account_id: who.user.account_id.clone(),
            role: access.role,
        }
    }

    fn may_manage(&self, token: &TokenRecord) -> bool {
        let own = token.created_by(Some(&self.account_id));
        Authority::Member(self.role).may_manage_token(own)
    }
}

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
        recent: Option<(Timestamp, Vec<IpAddr>)>,
        now: Timestamp,
    ) -> Option<Self> {
        let (recent_at, recent) = recent.map_or((None, Vec::new()), |(at, ips)| (Some(at), ips));
        let at = token.last_used_at.max(recent_at)?;
        Some(LastUse {
            at: Moment::relative(at, now),
            exact: format::Exact {
                at: format::Civil::of(at),
                seconds: true,
            },
            ips: recent_ips(&recent, &token.last_used_ips),
        })
    }
}

#[derive(Template)]
#[template(path = "partials/token_row.html")]
pub(super) struct RowFragment {
    pub row: TokenRow,
}

impl RowFragment {
    /// The row of `token` for the viewer of `page`, as a fragment.
    pub fn of(state: &AppState, page: &ProjectPage, token: TokenRecord) -> Self {
        RowFragment {
            row: row_of(state, page, token),
        }
    }
}

/// The row of `token` for the viewer of `page`.
pub(super) fn row_of(state: &AppState, page: &ProjectPage, token: TokenRecord) -> TokenRow {
    let viewer = Viewer::new(&page.who, &page.access);
    TokenRow::new(token, &viewer, &state.tokens, state.clock.now())
}

/// `GET /projects/{project_id}/tokens/{token_id}/row` (htmx): the token's row as the list shows it, e.g.
/// to put back a row whose description editor was cancelled. Without htmx: the Tokens page.
pub async fn row(
    state: web::Data<AppState>,
    TokenRoute { page, token_id }: TokenRoute,
) -> Result<HttpResponse, HtmlError> {
    let project = page.id().to_owned();
    let token =
        service::blocking(&state.tokens, move |tokens| tokens.get(&project, &token_id)).await?;
    if !page.who.htmx {
        return Ok(render::see_other(&tokens_url(page.id())));
    }
    Ok(render::page(&RowFragment::of(&state, &page, token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_urls_escape_their_parts_in_the_page() {
        #[derive(Template)]
        #[template(source = "<a href=\"{{ url }}\">", ext = "html")]
        struct Link<'a> {
            url: TokenUrl<'a>,
        }
        let url = |project_id, token_id| TokenUrl {
            project_id,
            token_id,
            action: "renew",
        };
        assert_eq!(
            Link {
                url: url("p1", "t-2")
            }
            .render()
            .unwrap(),
            "<a href=\"/projects/p1/tokens/t-2/renew\">"
        );
        assert_eq!(
            Link {
                url: url("a\"b", "<x>&")
            }
            .render()
            .unwrap(),
            "<a href=\"/projects/a&#34;b/tokens/&#60;x&#62;&#38;/renew\">"
        );
    }

    fn record(last_used_at: Option<i64>, ips: &str) -> TokenRecord {
        TokenRecord {
            id: "t".into(),
            project_id: "p".into(),
            name: "n".into(),
            role: TokenRole::User,
            hint: "mlpat_abcd".into(),
            description: None,
            created_at: Timestamp::from_ms(0),
            created_by_account_id: None,
            issuer_name: "a@x".into(),
            expires_at: None,
            lifetime: None,
            last_used_at: last_used_at.map(Timestamp::from_ms),
            last_used_ips: ips.into(),
            deleted_at: None,
            deleted_by: None,
            deleted_via: None,
            label_selector: None,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    // 2025-11-22 14:03:00 UTC
    const NOW: Timestamp = Timestamp::from_ms(1_763_820_180_000);

    #[test]
    fn a_token_never_used_has_no_last_use() {
        assert!(LastUse::of(&record(None, ""), None, NOW).is_none());
    }

    #[test]
    fn uses_in_memory_are_newer_than_the_database() {
        let stored = record(Some(NOW.as_ms() - 3_600_000), "10.0.0.1,10.0.0.2");
        let recent = (NOW.plus_ms(-5_000), vec![ip("192.0.2.1"), ip("10.0.0.2")]);
        let merged = LastUse::of(&stored, Some(recent), NOW).unwrap();
        assert_eq!(merged.at.text().to_string(), "just now");
        assert_eq!(merged.exact.to_string(), "Nov 22, 2025, 14:02:55 UTC");
        assert_eq!(merged.ips, ["192.0.2.1", "10.0.0.2", "10.0.0.1"]);
        let only_stored = LastUse::of(&stored, None, NOW).unwrap();
        assert_eq!(only_stored.at.text().to_string(), "1 hour ago");
        assert_eq!(only_stored.ips, ["10.0.0.1", "10.0.0.2"]);
    }
}
