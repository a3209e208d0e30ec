//! Create an access token: the dialog (or page) with its form, validation next to each field, and the
//! value shown once.

use crate::db::projects::ProjectAccess;
use crate::db::tokens::TokenRecord;
use crate::domain::{Description, LabelSelector, SecretValue, Timestamp, TokenName, TokenRole};
use crate::error::AppError;
use crate::service::{self, NewTokenSpec, PageNumber};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format::Moment;
use crate::web::pager::requested_page;
use crate::web::tokens::expiration::{custom_date_bounds, parse_expiration, ExpirationField};
use crate::web::tokens::list::ListView;
use crate::web::tokens::row::{TokenRow, Viewer};
use crate::web::tokens::tokens_url;
use crate::web::{render, Layout, ProjectPage, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// The Expiration the create dialog starts with: 30 days.
pub const DEFAULT_EXPIRATION: &str = "30";

/// Shown next to the name when an active token of the project already has it.
pub const DUPLICATE_NAME: &str = "An active token of this project already has this name.";

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
    #[serde(default)]
    pub label_selector: String,
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
    pub label_selector: Option<String>,
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
            ("label_selector", &self.label_selector),
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
    pub label_selector: String,
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
        now: Timestamp,
    ) -> Self {
        let today = now.to_datetime().date_naive();
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
            // GitHub's default: a token that expires by itself is one less leak that lasts forever.
            expiration: if values.expiration.is_empty() {
                DEFAULT_EXPIRATION.into()
            } else {
                values.expiration
            },
            expires_on: values.expires_on,
            description: values.description,
            label_selector: values.label_selector,
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
        page: &ProjectPage,
        renewed: bool,
    ) -> Self {
        let access = &page.access;
        CreatedView {
            value: secret.expose(),
            name: record.name.clone(),
            role_label: record.role.label(),
            project_name: access.project.name.clone(),
            expires: record.expires_at.map(Moment::date),
            tokens_url: tokens_url(&access.project.id),
            full_page: !page.who.htmx,
            renewed,
        }
    }
}

/// A value shown once on a page of its own (no JavaScript): a new token's or a renewal's.
#[derive(Template)]
#[template(path = "token_shown.html")]
pub(super) struct ShownPage<'a> {
    layout: Layout,
    tokens_url: String,
    c: CreatedView<'a>,
}

impl<'a> ShownPage<'a> {
    pub fn new(page: &ProjectPage, c: CreatedView<'a>) -> Self {
        let title = if c.renewed {
            "Access token renewed"
        } else {
            "Access token created"
        };
        ShownPage {
            layout: page.layout(title),
            tokens_url: tokens_url(page.id()),
            c,
        }
    }
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
    let page = ProjectPage::open(&state, who, &path).await?;
    if !page.access.role.can_create_any() {
        return Err(HtmlError::Forbidden);
    }
    let now = state.clock.now();
    Ok(render_form(
        &page,
        CreateForm::default(),
        FormErrors::default(),
        now,
    ))
}

fn render_form(
    page: &ProjectPage,
    values: CreateForm,
    errors: FormErrors,
    now: Timestamp,
) -> HttpResponse {
    let full_page = !page.who.htmx;
    let f = FormView::new(
        &page.access,
        page.who.csrf_token(),
        full_page,
        values,
        errors,
        now,
    );
    // Errors answer 200 too: the dialog is re-rendered in place, and browsers log every 4xx as an error.
    if full_page {
        render::page(&NewTokenPage {
            layout: page.layout("Create access token"),
            tokens_url: tokens_url(page.id()),
            f,
        })
    } else {
        render::page(&NewTokenFragment { f })
    }
}

enum CreateOutcome {
    Invalid(FormErrors),
    Created {
        secret: SecretValue,
        record: Box<TokenRecord>,
        total: i64,
    },
}

/// The page a htmx request came from, from `HX-Current-URL` (`?page=N`); the first when unknown.
fn htmx_current_page(req: &HttpRequest) -> PageNumber {
    req.headers()
        .get("HX-Current-URL")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once('?'))
        .map_or(PageNumber::FIRST, |(_, query)| {
            requested_page(query.split('#').next().unwrap_or(""))
        })
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
    let page =
        ProjectPage::open_for_change(&state, &req, who, &path, form.csrf_token.as_deref()).await?;
    let role = form_role(&form.role);
    // Refused before any field is judged: a viewer learns nothing from the form's errors.
    if !page.access.role.can_create_any() || role.is_some_and(|r| !page.access.role.can_create(r)) {
        return Err(HtmlError::Forbidden);
    }
    let now = state.clock.now();

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
    let label_selector = LabelSelector::parse_optional(&form.label_selector)
        .map_err(|e| errors.label_selector = Some(e.to_string()))
        .ok();

    let project_id = page.id().to_owned();
    let actor = page.actor(&req);
    let outcome = service::blocking(&state.tokens, move |tokens| {
        // Checked with the other fields, so that every problem is reported at once.
        if let Some(name) = &name {
            if tokens.name_taken(&project_id, name)? {
                errors.name = Some(DUPLICATE_NAME.into());
            }
        }
        let (Some(name), Some(role), Some(description), Some(label_selector), false) =
            (name, role, description, label_selector, errors.any())
        else {
            return Ok(CreateOutcome::Invalid(errors));
        };
        let spec = NewTokenSpec {
            project_id: project_id.clone(),
            name,
            role,
            description,
            lifetime,
            label_selector,
        };
        match tokens.create(&spec, &actor) {
            Ok((secret, record)) => Ok(CreateOutcome::Created {
                secret,
                record: Box::new(record),
                total: tokens.count_active(&project_id)?,
            }),
            // Lost a race with another request that took the name a moment ago.
            Err(AppError::Conflict { .. }) => Ok(CreateOutcome::Invalid(FormErrors {
                name: Some(DUPLICATE_NAME.into()),
                ..FormErrors::default()
            })),
            Err(err) => Err(err),
        }
    })
    .await?;

    let (secret, record, total) = match outcome {
        CreateOutcome::Invalid(errors) => return Ok(render_form(&page, form, errors, now)),
        CreateOutcome::Created {
            secret,
            record,
            total,
        } => (secret, record, total),
    };
    let created = CreatedView::new(&secret, &record, &page, false);
    if !page.who.htmx {
        let view = ShownPage::new(&page, created);
        return Ok(render::secret_page_with_status(StatusCode::OK, &view));
    }
    // `created` still borrows the record.
    let viewer = Viewer::new(&page.who, &page.access);
    let mut row = TokenRow::new((*record).clone(), &viewer, &state.tokens, now);
    row.new = true;
    let (new_row, list) = if total == 1 {
        // The page showed the empty state: replace the whole section.
        (None, Some(ListView::replacing(vec![row], &page.access)))
    } else if htmx_current_page(&req) == PageNumber::FIRST {
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
