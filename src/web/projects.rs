//! The home redirect and the list of the account's projects.

use crate::auth::client_ip;
use crate::db::projects::ProjectAccess;
use crate::domain::{Email, MemberRole, ProjectName};
use crate::error::AppError;
use crate::service::{self, Actor};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::tokens::tokens_url;
use crate::web::{account_projects, render, Layout, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    layout: Layout,
    projects: Vec<(String, String, String)>,
    /// The Create project form's name as typed, and its error.
    name: String,
    name_error: Option<String>,
}

/// `/`: the tokens page of the last visited project, else the first, else the project list.
pub async fn home(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, HtmlError> {
    let projects = account_projects(&state, &who).await?;
    Ok(render::see_other(&home_url(
        &projects,
        who.session.last_project().as_deref(),
    )))
}

/// Where a signed-in account starts: the tokens page of `last` (the project it last visited) if it is
/// still one of `projects`, else of the first, else the project list.
pub fn home_url(projects: &[ProjectAccess], last: Option<&str>) -> String {
    projects
        .iter()
        .find(|p| Some(p.project.id.as_str()) == last)
        .or(projects.first())
        .map_or_else(|| "/projects".to_owned(), |p| tokens_url(&p.project.id))
}

/// `/projects`: every project the account belongs to, with its role.
pub async fn list(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, HtmlError> {
    render_list(&state, &who, String::new(), None).await
}

async fn render_list(
    state: &AppState,
    who: &SignedIn,
    name: String,
    name_error: Option<String>,
) -> Result<HttpResponse, HtmlError> {
    let projects = account_projects(state, who).await?;
    let status = match name_error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = ProjectsPage {
        name,
        name_error,
        layout: Layout::signed_in("Projects".into(), who, &projects, None),
        projects: projects
            .iter()
            .map(|p| {
                (
                    p.project.id.clone(),
                    p.project.name.clone(),
                    p.role.as_str().to_owned(),
                )
            })
            .collect(),
    };
    Ok(render::page_with_status(status, &page))
}

#[derive(serde::Deserialize)]
pub struct CreateFields {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
}

/// `POST /projects`: any signed-in account creates a project and becomes its owner (SPEC §11).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    fields: web::Form<CreateFields>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, fields.csrf_token.as_deref())?;
    let typed = fields.name.clone();
    let name = match ProjectName::parse(&typed) {
        Ok(name) => name,
        Err(err) => return render_list(&state, &who, typed, Some(err.to_string())).await,
    };
    let user = &who.user;
    let email =
        Email::parse(&user.email).map_err(|e| HtmlError::Internal(anyhow::anyhow!(e).into()))?;
    let actor = Actor::member(
        &user.account_id,
        &user.email,
        MemberRole::Owner,
        Some(client_ip(&req)),
    );
    let created = service::blocking(&state.projects, move |projects| {
        projects.create(&name, &email, &actor)
    })
    .await;
    match created {
        Ok(id) => Ok(render::see_other(&tokens_url(&id))),
        Err(AppError::Conflict { .. }) => {
            let error = "A project with this name exists already. Choose another name.".to_owned();
            render_list(&state, &who, typed, Some(error)).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct SwitchQuery {
    #[serde(default)]
    project: String,
}

/// `/projects/go?project=ID`: the project switcher's target, for browsers without JavaScript too.
pub async fn go(_who: SignedIn, query: web::Query<SwitchQuery>) -> HttpResponse {
    match uuid::Uuid::parse_str(&query.project) {
        Ok(id) => render::see_other(&tokens_url(&id.to_string())),
        Err(_) => render::see_other("/projects"),
    }
}
