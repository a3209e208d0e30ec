//! The Tokens page (SPEC §5): list, create (value shown once), delete. htmx gets fragments; without JavaScript
//! every step is a full page with a plain form.

use crate::auth::last_used::LastUsedRecorder;
use crate::db::projects::ProjectAccess;
use crate::db::tokens::{self, DeletedVia, TokenRecord};
use crate::domain::{Description, MemberRole, SecretValue, TokenName, TokenRole};
use crate::error::AppError;
use crate::service::{self, NewTokenSpec, TokenKey};
use crate::startup::AppState;
use crate::web::error::HtmlError;
use crate::web::format::{self, Moment};
use crate::web::token_triage::{self, LastUse};
use crate::web::{project_access, render, Layout, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Months, NaiveDate};

/// Rows per page of the token list.
pub const PAGE_SIZE: i64 = 50;

/// About what the Tokens page writes besides its rows, and per row (a 50-row page is ~81 KB), so its
/// buffer is allocated once.
const PAGE_HTML: usize = 12 * 1024;
const ROW_HTML: usize = 1536;

/// Shown next to the name when an active token of the project already has it.
pub const DUPLICATE_NAME: &str = "An active token of this project already has this name.";

pub(crate) fn tokens_url(project_id: &str) -> String {
    format!("/projects/{project_id}/tokens")
}

// ---------- View models ----------

/// One row of the token table. It owns its token's strings (moved, not copied, out of the record) and
/// writes its URLs and times straight into the page: a page is 50 of them.
pub struct TokenRow {
    pub id: String,
    project_id: String,
    pub name: String,
    pub description: Option<String>,
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
    /// The row of `token` as `viewer` sees it; its last use adds what `recorder` noted in memory and has
    /// not written yet, so no page is up to a minute behind the API (a hash-map read per row).
    pub fn new(
        token: TokenRecord,
        viewer: &Viewer,
        recorder: &LastUsedRecorder,
        now_ms: i64,
    ) -> Self {
        let own = token.created_by_account_id.as_deref() == Some(viewer.account_id.as_str());
        let role = token.role();
        let usage = LastUse::of(&token, recorder.peek(&token.id), now_ms);
        TokenRow {
            role_label: role.label(),
            is_admin: role == TokenRole::Admin,
            created: Moment::date(token.created_at),
            expires: token.expires_at.map(Moment::date),
            expired: token.is_expired(now_ms),
            expires_soon: token
                .expires_at
                .and_then(|at| format::expires_soon(at, now_ms)),
            usage,
            manageable: viewer.role.can_manage_token(own),
            new: false,
            id: token.id,
            project_id: token.project_id,
            name: token.name,
            description: token.description,
            created_by: token.issuer_name,
        }
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

/// Who looks at the list, for the per-row Delete buttons.
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
}

/// Previous/next links of a long list.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Previous/next links for page `page` of `total` items, `PAGE_SIZE` a page, of which `shown` are
    /// on this page; `None` when everything fits on one page. `link(n)` is the URL of page `n`.
    pub fn new(page: i64, total: i64, shown: usize, link: impl Fn(i64) -> String) -> Option<Pager> {
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if pages <= 1 {
            return None;
        }
        let first = (page - 1) * PAGE_SIZE + 1;
        Some(Pager {
            page,
            pages,
            total,
            first,
            last: first + shown as i64 - 1,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        })
    }
}

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
    fn new(rows: Vec<TokenRow>, access: &ProjectAccess, pager: Option<Pager>) -> Self {
        ListView {
            rows,
            can_create: access.role.can_create_any(),
            new_url: format!("{}/new", tokens_url(&access.project.id)),
            pager,
            oob: false,
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
    triage: token_triage::Triage,
}

/// Which page `?page=N` asks for; anything unreadable is the first.
pub fn requested_page(query: &str) -> i64 {
    web::Query::<PageQuery>::from_query(query)
        .ok()
        .and_then(|q| q.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok()))
        .filter(|&p| p >= 1)
        .unwrap_or(1)
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

fn pager(project_id: &str, page: i64, total: i64, shown: usize) -> Option<Pager> {
    Pager::new(page, total, shown, |p| {
        format!("{}?page={p}", tokens_url(project_id))
    })
}

/// `GET /projects/{project_id}/tokens`: the project's active tokens, newest first, 50 a page
/// (with `?deleted=1`, its deleted tokens instead).
#[tracing::instrument(name = "tokens_page", skip_all)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let (projects, access) = project_access(&state, &who, &path).await?;
    who.session.remember_project(&access.project.id);
    let triage = token_triage::Triage::load(&state, &who, &access, req.query_string()).await?;
    let list = if triage.deleted.is_some() {
        // The deleted tokens take the active list's place; the page head still offers Create.
        ListView::new(Vec::new(), &access, None)
    } else {
        active_list(&state, &who, &access, requested_page(req.query_string())).await?
    };
    let page = TokensPage {
        layout: Layout::signed_in(
            triage.title(&access.project.name),
            &who,
            &projects,
            Some(&access),
        ),
        project_name: access.project.name.clone(),
        list,
        audit_url: access
            .role
            .can_audit()
            .then(|| format!("/projects/{}/audit", access.project.id)),
        triage,
    };
    let rows = page.list.rows.len() + page.triage.deleted.as_ref().map_or(0, |d| d.rows.len());
    Ok(render::page_sized(&page, PAGE_HTML + rows * ROW_HTML))
}

/// One page of the active tokens, newest first.
async fn active_list(
    state: &web::Data<AppState>,
    who: &SignedIn,
    access: &ProjectAccess,
    requested: i64,
) -> Result<ListView, HtmlError> {
    let pool = state.pool.clone();
    let project_id = access.project.id.clone();
    let (records, total, page) = web::block(move || -> Result<_, AppError> {
        let mut conn = pool.get()?;
        let offset = (requested - 1).saturating_mul(PAGE_SIZE);
        let (rows, total) = tokens::list_active(&mut conn, &project_id, offset, PAGE_SIZE)?;
        if rows.is_empty() && total > 0 {
            // Past the end (e.g. the last rows were deleted): show the last page instead of nothing.
            let last = (total + PAGE_SIZE - 1) / PAGE_SIZE;
            let (rows, total) =
                tokens::list_active(&mut conn, &project_id, (last - 1) * PAGE_SIZE, PAGE_SIZE)?;
            return Ok((rows, total, last));
        }
        Ok((rows, total, requested))
    })
    .await??;
    let now = state.clock.now_ms();
    let viewer = Viewer::new(who, access);
    let rows: Vec<TokenRow> = records
        .into_iter()
        .map(|t| TokenRow::new(t, &viewer, &state.last_used, now))
        .collect();
    let pager = pager(&access.project.id, page, total, rows.len());
    Ok(ListView::new(rows, access, pager))
}

// ---------- Create ----------

/// What the create form was sent with, kept as typed so a re-rendered form shows it again.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub expiration: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub description: String,
    pub csrf_token: Option<String>,
}

/// A message per field of the create form.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub name: Option<String>,
    pub role: Option<String>,
    pub expiration: Option<String>,
    pub expires_on: Option<String>,
    pub description: Option<String>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.first().is_some()
    }

    /// The first invalid field in form order: it gets the focus.
    fn first(&self) -> Option<&'static str> {
        [
            ("name", &self.name),
            ("role", &self.role),
            ("expiration", &self.expiration),
            ("expires_on", &self.expires_on),
            ("description", &self.description),
        ]
        .into_iter()
        .find(|(_, e)| e.is_some())
        .map(|(field, _)| field)
    }
}

/// The create dialog's form, empty or re-rendered with the entered values and errors.
pub struct FormView {
    pub create_url: String,
    pub tokens_url: String,
    pub csrf: String,
    pub full_page: bool,
    pub can_admin: bool,
    pub name: String,
    pub role: String,
    pub expiration: String,
    pub expires_on: String,
    pub description: String,
    pub errors: FormErrors,
    pub min_date: String,
    pub max_date: String,
}

impl FormView {
    fn new(
        access: &ProjectAccess,
        csrf: String,
        full_page: bool,
        values: CreateForm,
        errors: FormErrors,
        now_ms: i64,
    ) -> Self {
        let today = crate::clock::from_ms(now_ms).date_naive();
        let (min, max) = custom_date_bounds(today);
        FormView {
            create_url: tokens_url(&access.project.id),
            tokens_url: tokens_url(&access.project.id),
            csrf,
            full_page,
            can_admin: access.role.can_create(TokenRole::Admin),
            name: values.name,
            role: if values.role.is_empty() {
                "user".into()
            } else {
                values.role
            },
            expiration: if values.expiration.is_empty() {
                "never".into()
            } else {
                values.expiration
            },
            expires_on: values.expires_on,
            description: values.description,
            errors,
            min_date: min.format("%Y-%m-%d").to_string(),
            max_date: max.format("%Y-%m-%d").to_string(),
        }
    }

    /// Whether `field` gets `autofocus`: the first invalid one, or the name on a fresh form.
    pub fn autofocus(&self, field: &str) -> bool {
        self.errors.first().unwrap_or("name") == field
    }
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    layout: Layout,
    tokens_url: String,
    f: FormView,
}

#[derive(Template)]
#[template(path = "partials/create_dialog.html")]
struct NewTokenFragment {
    f: FormView,
}

/// The value, shown once, and what it belongs to.
pub struct CreatedView<'a> {
    pub value: &'a str,
    pub name: String,
    pub role_label: &'static str,
    pub project_name: String,
    pub expires: Option<Moment>,
    pub tokens_url: String,
    pub full_page: bool,
    /// A renewal's new value rather than a new token's.
    pub renewed: bool,
}

impl<'a> CreatedView<'a> {
    /// The show-once view of `secret`, the value `record` has just been given.
    pub fn new(
        secret: &'a SecretValue,
        record: &TokenRecord,
        access: &ProjectAccess,
        who: &SignedIn,
        renewed: bool,
    ) -> Self {
        CreatedView {
            value: secret.expose(),
            name: record.name.clone(),
            role_label: record.role().label(),
            project_name: access.project.name.clone(),
            expires: record.expires_at.map(Moment::date),
            tokens_url: tokens_url(&access.project.id),
            full_page: !who.htmx,
            renewed,
        }
    }
}

#[derive(Template)]
#[template(path = "token_created.html")]
struct CreatedPage<'a> {
    layout: Layout,
    tokens_url: String,
    c: CreatedView<'a>,
}

#[derive(Template)]
#[template(path = "token_created_fragment.html")]
struct CreatedFragment<'a> {
    c: CreatedView<'a>,
    /// Inserted at the top of `#token-rows` out of band.
    new_row: Option<TokenRow>,
    /// Replaces `#token-list` out of band (the first token: the empty state goes away).
    list: Option<ListView>,
}

/// The custom expiry date must lie in this range: from tomorrow to ten years from today.
fn custom_date_bounds(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let min = today.succ_opt().unwrap_or(today);
    let max = today.checked_add_months(Months::new(120)).unwrap_or(today);
    (min, max)
}

/// Which field of the create form an expiration error belongs to.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpirationField {
    Expiration,
    ExpiresOn,
}

/// The token's lifetime in seconds (`None`: never expires) from the form's `expiration` choice
/// (`never|7|30|90|custom`) and, for `custom`, the date `expires_on` (YYYY-MM-DD, UTC): the token
/// then works until the end of that day.
pub fn parse_expiration(
    choice: &str,
    expires_on: &str,
    now_ms: i64,
) -> Result<Option<i64>, (ExpirationField, &'static str)> {
    const DAY_SECS: i64 = 24 * 60 * 60;
    match choice {
        "" | "never" => Ok(None),
        "7" => Ok(Some(7 * DAY_SECS)),
        "30" => Ok(Some(30 * DAY_SECS)),
        "90" => Ok(Some(90 * DAY_SECS)),
        "custom" => {
            let text = expires_on.trim();
            if text.is_empty() {
                return Err((ExpirationField::ExpiresOn, "Enter a date."));
            }
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| (ExpirationField::ExpiresOn, "Enter a date as YYYY-MM-DD."))?;
            let today = crate::clock::from_ms(now_ms).date_naive();
            let (min, max) = custom_date_bounds(today);
            if date < min {
                return Err((ExpirationField::ExpiresOn, "Choose a date after today."));
            }
            if date > max {
                return Err((
                    ExpirationField::ExpiresOn,
                    "Choose a date at most 10 years from today.",
                ));
            }
            let end_of_day = date
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|dt| dt.and_utc().timestamp_millis())
                .ok_or((ExpirationField::ExpiresOn, "Choose an earlier date."))?;
            // Whole seconds, rounded so that the expiry falls on the chosen day, not at midnight after it.
            Ok(Some((end_of_day - 1 - now_ms) / 1000))
        }
        _ => Err((ExpirationField::Expiration, "Choose an expiration.")),
    }
}

fn form_role(role: &str) -> Option<TokenRole> {
    match role {
        "user" => Some(TokenRole::User),
        "admin" => Some(TokenRole::Admin),
        _ => None,
    }
}

/// `GET /projects/{project_id}/tokens/new`: the create form, as a dialog fragment for htmx or a full page.
pub async fn new_form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let (projects, access) = project_access(&state, &who, &path).await?;
    if !access.role.can_create_any() {
        return Err(HtmlError::Forbidden);
    }
    let now = state.clock.now_ms();
    Ok(render_form(
        &who,
        &projects,
        &access,
        CreateForm::default(),
        FormErrors::default(),
        now,
    ))
}

fn render_form(
    who: &SignedIn,
    projects: &[ProjectAccess],
    access: &ProjectAccess,
    values: CreateForm,
    errors: FormErrors,
    now_ms: i64,
) -> HttpResponse {
    let full_page = !who.htmx;
    let f = FormView::new(access, who.csrf_token(), full_page, values, errors, now_ms);
    // Errors answer 200 too: the dialog is re-rendered in place, and browsers log every 4xx as an error.
    if full_page {
        render::page(&NewTokenPage {
            layout: Layout::signed_in(
                format!("Create access token · {}", access.project.name),
                who,
                projects,
                Some(access),
            ),
            tokens_url: tokens_url(&access.project.id),
            f,
        })
    } else {
        render::page(&NewTokenFragment { f })
    }
}

enum CreateOutcome {
    Invalid(FormErrors),
    Created {
        secret: crate::domain::SecretValue,
        record: Box<TokenRecord>,
        total: i64,
    },
}

/// The page a htmx request came from, from `HX-Current-URL` (`?page=N`); 1 when unknown.
fn htmx_current_page(req: &HttpRequest) -> i64 {
    req.headers()
        .get("HX-Current-URL")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once('?'))
        .map(|(_, query)| requested_page(query.split('#').next().unwrap_or("")))
        .unwrap_or(1)
}

/// `POST /projects/{project_id}/tokens`: validate, create, show the value once.
#[tracing::instrument(name = "create_token", skip_all)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    let (projects, access) = project_access(&state, &who, &path).await?;
    let role = form_role(&form.role);
    if !access.role.can_create_any() || role.is_some_and(|r| !access.role.can_create(r)) {
        return Err(HtmlError::Forbidden);
    }
    let now = state.clock.now_ms();

    let mut errors = FormErrors::default();
    let name = TokenName::parse(&form.name)
        .map_err(|e| errors.name = Some(e.to_string()))
        .ok();
    if role.is_none() {
        errors.role = Some("Choose a role.".into());
    }
    let lifetime = match parse_expiration(&form.expiration, &form.expires_on, now) {
        Ok(lifetime) => lifetime,
        Err((ExpirationField::Expiration, message)) => {
            errors.expiration = Some(message.into());
            None
        }
        Err((ExpirationField::ExpiresOn, message)) => {
            errors.expires_on = Some(message.into());
            None
        }
    };
    let description = Description::parse(&form.description)
        .map_err(|e| errors.description = Some(e.to_string()))
        .ok();

    let pool = state.pool.clone();
    let project_id = access.project.id.clone();
    let actor = who.actor(&req);
    let outcome = web::block(move || -> Result<CreateOutcome, AppError> {
        let mut conn = pool.get()?;
        // Checked with the other fields, so that every problem is reported at once.
        if let Some(name) = &name {
            if tokens::name_taken(&mut conn, &project_id, name.as_str())? {
                errors.name = Some(DUPLICATE_NAME.into());
            }
        }
        let (Some(name), Some(role), Some(description), false) =
            (name, role, description, errors.any())
        else {
            return Ok(CreateOutcome::Invalid(errors));
        };
        let spec = NewTokenSpec {
            project_id: project_id.clone(),
            name,
            role,
            description,
            lifetime_secs: lifetime,
        };
        match service::create_token(&mut conn, now, &spec, &actor) {
            Ok((secret, record)) => {
                let (_, total) = tokens::list_active(&mut conn, &project_id, 0, 0)?;
                Ok(CreateOutcome::Created {
                    secret,
                    record: Box::new(record),
                    total,
                })
            }
            // Lost a race with another request that took the name a moment ago.
            Err(AppError::Conflict { .. }) => Ok(CreateOutcome::Invalid(FormErrors {
                name: Some(DUPLICATE_NAME.into()),
                ..FormErrors::default()
            })),
            Err(err) => Err(err),
        }
    })
    .await??;

    let (secret, record, total) = match outcome {
        CreateOutcome::Invalid(errors) => {
            return Ok(render_form(&who, &projects, &access, form, errors, now));
        }
        CreateOutcome::Created {
            secret,
            record,
            total,
        } => (secret, record, total),
    };
    let created = CreatedView::new(&secret, &record, &access, &who, false);
    if !who.htmx {
        let page = CreatedPage {
            layout: Layout::signed_in(
                format!("Access token created · {}", access.project.name),
                &who,
                &projects,
                Some(&access),
            ),
            tokens_url: tokens_url(&access.project.id),
            c: created,
        };
        return Ok(render::secret_page_with_status(StatusCode::OK, &page));
    }
    // `created` still borrows the record.
    let mut row = TokenRow::new(
        (*record).clone(),
        &Viewer::new(&who, &access),
        &state.last_used,
        now,
    );
    row.new = true;
    let (new_row, list) = if total == 1 {
        // The page showed the empty state: replace the whole section.
        let list = ListView {
            oob: true,
            ..ListView::new(vec![row], &access, None)
        };
        (None, Some(list))
    } else if htmx_current_page(&req) == 1 {
        (Some(row), None)
    } else {
        // Newest tokens are on page 1; a later page stays as it is.
        (None, None)
    };
    Ok(render::secret_page_with_status(
        StatusCode::OK,
        &CreatedFragment {
            c: created,
            new_row,
            list,
        },
    ))
}

// ---------- Delete ----------

pub struct DeleteView {
    pub token_id: String,
    pub name: String,
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

/// The project's active token `token_id` (expired ones included); 404 when there is none.
pub(crate) async fn active_token(
    state: &web::Data<AppState>,
    access: &ProjectAccess,
    token_id: &str,
) -> Result<TokenRecord, HtmlError> {
    let pool = state.pool.clone();
    let project_id = access.project.id.clone();
    let token_id = token_id.to_owned();
    let token = web::block(move || -> Result<_, AppError> {
        let mut conn = pool.get()?;
        tokens::find_active(&mut conn, &project_id, &token_id)?.ok_or(AppError::NotFound)
    })
    .await??;
    Ok(token)
}

/// The active token `token_id`, if this account may delete, renew or describe it (SPEC §4; 403 otherwise).
pub(crate) async fn manageable_token(
    state: &web::Data<AppState>,
    who: &SignedIn,
    access: &ProjectAccess,
    token_id: &str,
) -> Result<TokenRecord, HtmlError> {
    let token = active_token(state, access, token_id).await?;
    let own = token.created_by_account_id.as_deref() == Some(who.user.account_id.as_str());
    if !access.role.can_manage_token(own) {
        return Err(HtmlError::Forbidden);
    }
    Ok(token)
}

/// `GET /projects/{project_id}/tokens/{token_id}/delete`: the confirmation, as a dialog or a full page.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, token_id) = path.into_inner();
    let (projects, access) = project_access(&state, &who, &project_id).await?;
    let token = manageable_token(&state, &who, &access, &token_id).await?;
    let url = tokens_url(&access.project.id);
    let d = DeleteView {
        token_id: token.id.clone(),
        name: token.name.clone(),
        csrf: who.csrf_token(),
        full_page: !who.htmx,
        delete_url: format!("{url}/{}", token.id),
        post_url: format!("{url}/{}/delete", token.id),
        tokens_url: url.clone(),
    };
    if who.htmx {
        return Ok(render::page(&DeleteFragment { d }));
    }
    Ok(render::page(&DeletePage {
        layout: Layout::signed_in(
            format!("Delete access token · {}", access.project.name),
            &who,
            &projects,
            Some(&access),
        ),
        tokens_url: url,
        d,
    }))
}

/// The one way the console deletes a token: permission check, then the service's soft delete with its
/// audit event. Anything that caches token verification must be invalidated here.
/// Returns how many active tokens the project has left.
async fn delete_token(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    who: &SignedIn,
    access: &ProjectAccess,
    token_id: &str,
) -> Result<i64, HtmlError> {
    manageable_token(state, who, access, token_id).await?;
    let project_id = access.project.id.clone();
    let actor = who.actor(req);
    state
        .delete_token(
            project_id.clone(),
            TokenKey::Id(token_id.to_owned()),
            actor,
            DeletedVia::Console,
        )
        .await?;
    let pool = state.pool.clone();
    let left = web::block(move || -> Result<i64, AppError> {
        let mut conn = pool.get()?;
        Ok(tokens::list_active(&mut conn, &project_id, 0, 0)?.1)
    })
    .await??;
    Ok(left)
}

/// `DELETE /projects/{project_id}/tokens/{token_id}` (htmx; CSRF in the `X-CSRF-Token` header, as
/// `hx-delete` sends no body): the row is removed in place and the confirmation closed.
#[tracing::instrument(name = "delete_token", skip_all)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, None)?;
    let (project_id, token_id) = path.into_inner();
    let (_, access) = project_access(&state, &who, &project_id).await?;
    let left = delete_token(&req, &state, &who, &access, &token_id).await?;
    let list = (left == 0).then(|| ListView {
        oob: true,
        ..ListView::new(Vec::new(), &access, None)
    });
    Ok(render::page(&DeletedFragment { list }))
}

#[derive(serde::Deserialize)]
pub struct DeleteForm {
    csrf_token: Option<String>,
}

/// `POST /projects/{project_id}/tokens/{token_id}/delete` (plain form): delete, then back to the list.
#[tracing::instrument(name = "delete_token_form", skip_all)]
pub async fn delete_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    let (project_id, token_id) = path.into_inner();
    let (_, access) = project_access(&state, &who, &project_id).await?;
    delete_token(&req, &state, &who, &access, &token_id).await?;
    Ok(render::see_other(&tokens_url(&access.project.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2025-11-22 14:03:00 UTC
    const NOW: i64 = 1_763_820_180_000;

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

    #[test]
    fn fixed_expirations_are_whole_days() {
        assert_eq!(parse_expiration("never", "", NOW), Ok(None));
        assert_eq!(parse_expiration("", "2030-01-01", NOW), Ok(None));
        assert_eq!(parse_expiration("7", "", NOW), Ok(Some(7 * 86_400)));
        assert_eq!(parse_expiration("30", "", NOW), Ok(Some(30 * 86_400)));
        assert_eq!(parse_expiration("90", "", NOW), Ok(Some(90 * 86_400)));
        assert_eq!(
            parse_expiration("365", "", NOW),
            Err((ExpirationField::Expiration, "Choose an expiration."))
        );
    }

    #[test]
    fn a_custom_date_lasts_until_the_end_of_that_day() {
        let secs = parse_expiration("custom", "2025-11-23", NOW)
            .unwrap()
            .unwrap();
        let expires_at = NOW + secs * 1000;
        assert_eq!(format::exact(expires_at), "2025-11-23 23:59 UTC");
        assert_eq!(format::date(expires_at), "Nov 23, 2025");
    }

    #[test]
    fn a_custom_date_must_be_in_the_next_ten_years() {
        let err = |date: &str| parse_expiration("custom", date, NOW).unwrap_err();
        assert_eq!(err(""), (ExpirationField::ExpiresOn, "Enter a date."));
        assert_eq!(
            err("23.11.2025"),
            (ExpirationField::ExpiresOn, "Enter a date as YYYY-MM-DD.")
        );
        assert_eq!(
            err("2025-11-22"),
            (ExpirationField::ExpiresOn, "Choose a date after today.")
        );
        assert_eq!(
            err("2024-01-01"),
            (ExpirationField::ExpiresOn, "Choose a date after today.")
        );
        assert_eq!(
            err("2035-11-23"),
            (
                ExpirationField::ExpiresOn,
                "Choose a date at most 10 years from today."
            )
        );
        assert!(parse_expiration("custom", "2035-11-22", NOW).is_ok());
    }

    #[test]
    fn page_numbers_default_to_the_first() {
        assert_eq!(requested_page(""), 1);
        assert_eq!(requested_page("page=3"), 3);
        assert_eq!(requested_page("page=0"), 1);
        assert_eq!(requested_page("page=-2"), 1);
        assert_eq!(requested_page("page=abc"), 1);
        assert_eq!(requested_page("page=99999999999999999999"), 1);
    }

    #[test]
    fn the_pager_appears_only_for_more_than_one_page() {
        assert!(pager("p", 1, 50, 50).is_none());
        let first = pager("p", 1, 60, 50).unwrap();
        assert_eq!((first.first, first.last, first.pages), (1, 50, 2));
        assert_eq!(first.prev, None);
        assert_eq!(first.next.as_deref(), Some("/projects/p/tokens?page=2"));
        let second = pager("p", 2, 60, 10).unwrap();
        assert_eq!((second.first, second.last), (51, 60));
        assert_eq!(second.prev.as_deref(), Some("/projects/p/tokens?page=1"));
        assert_eq!(second.next, None);
    }
}
