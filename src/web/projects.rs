//! The home redirect and the list of the account's projects.

use crate::db::projects::ProjectAccess;
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::tokens::tokens_url;
use crate::web::{account_projects, render, Layout, SignedIn};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    layout: Layout,
    projects: Vec<(String, String, String)>,
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
    let projects = account_projects(&state, &who).await?;
    let page = ProjectsPage {
        layout: Layout::signed_in("Projects".into(), &who, &projects, None),
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
    Ok(render::page(&page))
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
