//! The Members page of a project (SPEC §11): everyone in the project sees who is in it; owners add members,
//! change their roles and remove them. Plain forms, answered with a redirect back to the page (or the page
//! again with the form's errors), so every action works without JavaScript.

use crate::db::invitations::Invitation;
use crate::domain::{Email, MemberRole};
use crate::error::AppError;
use crate::service::{self, projects::Member};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::format;
use crate::web::{render, CsrfForm, ProjectPage, SignedIn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{project_id}/members", web::get().to(page))
        .route("/projects/{project_id}/members", web::post().to(add))
        .route(
            "/projects/{project_id}/members/{account_id}/role",
            web::post().to(change_role),
        )
        .route(
            "/projects/{project_id}/members/{account_id}/remove",
            web::get().to(confirm_remove),
        )
        .route(
            "/projects/{project_id}/members/{account_id}/remove",
            web::post().to(remove),
        )
        .route(
            "/projects/{project_id}/invitations/{invitation_id}/revoke",
            web::post().to(revoke_invitation),
        );
}

pub fn members_url(project_id: &str) -> String {
    format!("/projects/{project_id}/members")
}

/// One row of the members table.
pub struct MemberRow {
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub added: String,
    pub added_datetime: String,
    pub is_you: bool,
}

impl MemberRow {
    fn new(member: Member, you: &str) -> Self {
        let row = member.row;
        let at = format::Moment::date(row.added_at);
        MemberRow {
            is_you: row.account_id == you,
            account_id: row.account_id,
            email: row.email,
            name: row.display_name,
            role: row.role,
            added: at.text().to_string(),
            added_datetime: at.datetime().to_string(),
        }
    }
}

impl MemberRow {
    pub fn has_role(&self, role: &MemberRole) -> bool {
        self.role == *role
    }
}

/// The Add member form as typed, with its errors.
#[derive(Default)]
pub struct AddForm {
    pub email: String,
    pub role: Option<MemberRole>,
    pub email_error: Option<String>,
    pub role_error: Option<String>,
}

impl AddForm {
    /// Whether the role select starts on `role`: the one chosen, else Member.
    pub fn selects(&self, role: &MemberRole) -> bool {
        self.role.unwrap_or(MemberRole::Member) == *role
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: crate::web::Layout,
    project_name: String,
    project_id: String,
    rows: Vec<MemberRow>,
    can_manage: bool,
    form: AddForm,
    roles: [MemberRole; 4],
    invitations: Vec<PendingRow>,
}

/// A pending invitation on the Members page.
pub struct PendingRow {
    pub id: String,
    pub email: String,
    pub role_label: &'static str,
    pub expires: String,
    pub expires_datetime: String,
    pub invited_by: String,
}

impl From<Invitation> for PendingRow {
    fn from(inv: Invitation) -> Self {
        let expires = format::Moment::exact(inv.expires_at);
        PendingRow {
            id: inv.id,
            email: inv.email,
            role_label: inv.role.label(),
            expires: expires.text().to_string(),
            expires_datetime: expires.datetime().to_string(),
            invited_by: inv.invited_by,
        }
    }
}

#[derive(Template)]
#[template(path = "invitation_created.html")]
struct InvitationCreated {
    layout: crate::web::Layout,
    project_id: String,
    project_name: String,
    email: String,
    role_label: &'static str,
    link: String,
    expires: String,
    expires_datetime: String,
}

#[derive(Template)]
#[template(path = "member_remove.html")]
struct RemovePage {
    layout: crate::web::Layout,
    project_id: String,
    member: MemberRow,
    active_tokens: i64,
}

async fn members(state: &AppState, project_id: &str) -> Result<Vec<Member>, HtmlError> {
    let project_id = project_id.to_owned();
    Ok(service::blocking(&state.projects, move |projects| {
        projects.members(&project_id)
    })
    .await?)
}

async fn render_page(
    state: &AppState,
    project: &ProjectPage,
    form: AddForm,
    status: StatusCode,
) -> Result<HttpResponse, HtmlError> {
    let you = project.who.user.account_id.clone();
    let rows = members(state, project.id())
        .await?
        .into_iter()
        .map(|m| MemberRow::new(m, &you))
        .collect();
    let can_manage = project.access.role.can_manage_members();
    let invitations = match can_manage {
        true => {
            let project_id = project.id().to_owned();
            service::blocking(&state.invitations, move |inv| inv.pending(&project_id))
                .await?
                .into_iter()
                .map(PendingRow::from)
                .collect()
        }
        false => Vec::new(),
    };
    let page = MembersPage {
        invitations,
        layout: project.members_layout("Members"),
        project_name: project.name().to_owned(),
        project_id: project.id().to_owned(),
        rows,
        can_manage,
        form,
        roles: MemberRole::ALL,
    };
    Ok(render::page_with_status(status, &page))
}

/// `GET /projects/{id}/members`: every member of the project may see who else is in it.
async fn page(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let project = ProjectPage::open(&state, who, &path).await?;
    render_page(&state, &project, AddForm::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
struct AddFields {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// An owner's project, opened for a change to its memberships: CSRF first, then 404 for a project the
/// account is not in, then 403 unless it owns it.
async fn open_as_owner(
    state: &AppState,
    req: &HttpRequest,
    who: SignedIn,
    project_id: &str,
    csrf: Option<&str>,
) -> Result<ProjectPage, HtmlError> {
    let project = ProjectPage::open_for_change(state, req, who, project_id, csrf).await?;
    if !project.access.role.can_manage_members() {
        return Err(HtmlError::Forbidden);
    }
    Ok(project)
}

/// `POST /projects/{id}/members`: adds an existing account with a role (an owner's action).
async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<String>,
    fields: web::Form<AddFields>,
) -> Result<HttpResponse, HtmlError> {
    let fields = fields.into_inner();
    let project = open_as_owner(&state, &req, who, &path, fields.csrf_token.as_deref()).await?;
    let mut form = AddForm {
        email: fields.email.trim().to_owned(),
        ..AddForm::default()
    };
    let email = Email::parse(&form.email)
        .map_err(|e| form.email_error = Some(e.to_string()))
        .ok();
    form.role = fields.role.parse::<MemberRole>().ok();
    if form.role.is_none() {
        form.role_error = Some("Choose a role.".to_owned());
    }
    let (Some(email), Some(role)) = (email, form.role) else {
        return render_page(&state, &project, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (project_id, actor) = (project.id().to_owned(), project.actor(&req));
    let invited = email.clone();
    let added = service::blocking(&state.projects, move |projects| {
        projects.add_member(&project_id, &email, role, &actor)
    })
    .await;
    match added {
        Ok(_) => Ok(render::see_other(&members_url(project.id()))),
        // No account has this email: an invitation, shown once as a link.
        Err(AppError::NotFound) => invite(&state, &req, &project, invited, role).await,
        Err(err) => Err(err.into()),
    }
}

async fn invite(
    state: &AppState,
    req: &HttpRequest,
    project: &ProjectPage,
    email: Email,
    role: MemberRole,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, actor) = (project.id().to_owned(), project.actor(req));
    let (value, invitation) = service::blocking(&state.invitations, move |inv| {
        inv.invite(&project_id, &email, role, &actor)
    })
    .await?;
    let info = req.connection_info();
    let link = format!(
        "{}://{}/invitations/{}",
        info.scheme(),
        info.host(),
        value.expose()
    );
    let expires = format::Moment::exact(invitation.expires_at);
    let page = InvitationCreated {
        layout: project.members_layout("Invitation created"),
        project_id: project.id().to_owned(),
        project_name: project.name().to_owned(),
        email: invitation.email,
        role_label: role.label(),
        link,
        expires: expires.text().to_string(),
        expires_datetime: expires.datetime().to_string(),
    };
    Ok(render::secret_page_with_status(StatusCode::CREATED, &page))
}

/// `POST /projects/{id}/invitations/{invitation_id}/revoke`: an owner revokes a pending invitation.
async fn revoke_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, invitation_id) = path.into_inner();
    let project = open_as_owner(&state, &req, who, &project_id, form.csrf_token.as_deref()).await?;
    let actor = project.actor(&req);
    service::blocking(&state.invitations, move |inv| {
        inv.revoke(&project_id, &invitation_id, &actor)
    })
    .await?;
    Ok(render::see_other(&members_url(project.id())))
}

#[derive(serde::Deserialize)]
struct RoleFields {
    csrf_token: Option<String>,
    #[serde(default)]
    role: String,
}

/// `POST /projects/{id}/members/{account_id}/role`: an owner gives a member another role.
async fn change_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, String)>,
    fields: web::Form<RoleFields>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, account_id) = path.into_inner();
    let project =
        open_as_owner(&state, &req, who, &project_id, fields.csrf_token.as_deref()).await?;
    let Ok(role) = fields.role.parse::<MemberRole>() else {
        return Err(HtmlError::BadRequest(
            "Choose one of the roles Owner, Admin, Member or Viewer.",
        ));
    };
    let actor = project.actor(&req);
    service::blocking(&state.projects, move |projects| {
        projects.change_role(&project_id, &account_id, role, &actor)
    })
    .await?;
    Ok(render::see_other(&members_url(project.id())))
}

/// `GET /projects/{id}/members/{account_id}/remove`: the confirmation, naming the member and the number of
/// active tokens they created (which stay).
async fn confirm_remove(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, account_id) = path.into_inner();
    let project = ProjectPage::open(&state, who, &project_id).await?;
    if !project.access.role.can_manage_members() {
        return Err(HtmlError::Forbidden);
    }
    let you = project.who.user.account_id.clone();
    let member = service::blocking(&state.projects, move |projects| {
        projects.member(&project_id, &account_id)
    })
    .await?;
    let active_tokens = member.active_tokens;
    let page = RemovePage {
        layout: project.members_layout("Remove member"),
        project_id: project.id().to_owned(),
        member: MemberRow::new(member, &you),
        active_tokens,
    };
    Ok(render::page(&page))
}

/// `POST /projects/{id}/members/{account_id}/remove`: an owner removes a member; their tokens stay.
async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, HtmlError> {
    let (project_id, account_id) = path.into_inner();
    let project = open_as_owner(&state, &req, who, &project_id, form.csrf_token.as_deref()).await?;
    let removed_self = account_id == project.who.user.account_id;
    let actor = project.actor(&req);
    service::blocking(&state.projects, move |projects| {
        projects.remove_member(&project_id, &account_id, &actor)
    })
    .await?;
    Ok(render::see_other(&if removed_self {
        "/projects".to_owned()
    } else {
        members_url(project.id())
    }))
}
