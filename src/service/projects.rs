//! Projects, their members and their audit log.

use crate::clock::SharedClock;
use crate::db::accounts::{self, Account};
use crate::db::audit::{self, AuditEvent};
use crate::db::projects::{self, Project, ProjectAccess};
use crate::db::{self, Database};
use crate::domain::{Email, MemberRole, ProjectName};
use crate::error::AppError;
use crate::service::{Actor, Page, PageNumber};

pub struct Projects {
    db: Database,
    clock: SharedClock,
}

impl Projects {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Projects { db, clock }
    }

    /// The account's projects, by name, with its role in each.
    pub fn for_account(&self, account_id: &str) -> Result<Vec<ProjectAccess>, AppError> {
        Ok(projects::for_account(&mut *self.db.conn()?, account_id)?)
    }

    /// The project with this id, or else this name (the CLI accepts either).
    pub fn find(&self, key: &str) -> Result<Project, AppError> {
        projects::find_by_id_or_name(&mut *self.db.conn()?, key)?.ok_or(AppError::NotFound)
    }

    pub fn account(&self, email: &Email) -> Result<Account, AppError> {
        accounts::find_by_email(&mut *self.db.conn()?, email.as_str())?.ok_or(AppError::NotFound)
    }

    /// Creates a project owned by the account `owner`; returns its id. `NotFound`: no such account;
    /// `Conflict` on `name`: a project has that name already (case-insensitively).
    pub fn create(&self, name: &ProjectName, owner: &Email) -> Result<String, AppError> {
        let owner = self.account(owner)?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            projects::insert(tx, &id, name.as_str(), now).map_err(
                |e| match db::is_unique_violation(&e) {
                    true => AppError::Conflict { field: "name" },
                    false => AppError::from(e),
                },
            )?;
            Ok(projects::upsert_member(
                tx,
                &id,
                &owner.id,
                MemberRole::Owner,
                now,
            )?)
        })?;
        Ok(id)
    }

    /// Adds the account with `email` to the project `project_key` (id or name) with `role`, or changes
    /// its role there. `NotFound` when either is missing.
    pub fn add_member(
        &self,
        project_key: &str,
        email: &Email,
        role: MemberRole,
    ) -> Result<(Project, Account), AppError> {
        let project = self.find(project_key)?;
        let account = self.account(email)?;
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            Ok(projects::upsert_member(
                tx,
                &project.id,
                &account.id,
                role,
                now,
            )?)
        })?;
        Ok((project, account))
    }

    /// The role of `account` in `project_id`, if it is a member.
    pub fn role_of(
        &self,
        project_id: &str,
        account: &Account,
    ) -> Result<Option<MemberRole>, AppError> {
        Ok(projects::member_role(
            &mut *self.db.conn()?,
            project_id,
            &account.id,
        )?)
    }

    /// The project's first owner as the actor of a command line write that names nobody (SPEC §8's
    /// `--as` default); `None` when the project has no owner.
    pub fn first_owner(&self, project_id: &str) -> Result<Option<Actor>, AppError> {
        let owner = projects::first_owner(&mut *self.db.conn()?, project_id)?;
        Ok(owner.map(|(id, email)| Actor::member(&id, &email, MemberRole::Owner, None)))
    }

    /// One page of the project's audit log, newest first: its own events and its members' logins; with
    /// `event`, only those.
    pub fn audit_page(
        &self,
        project_id: &str,
        event: Option<&str>,
        page: PageNumber,
    ) -> Result<Page<AuditEvent>, AppError> {
        let mut conn = self.db.conn()?;
        Page::load(page, |offset, limit| {
            Ok(audit::for_project(
                &mut conn, project_id, event, offset, limit,
            )?)
        })
    }
}
