//! Projects, their members and their audit log.

use crate::clock::SharedClock;
use crate::db::accounts::{self, Account};
use crate::db::audit::event;
use crate::db::audit::{self, AuditEvent};
use crate::db::projects::MemberRow;
use crate::db::projects::{self, Project, ProjectAccess};
use crate::db::tokens;
use crate::db::Conn;
use crate::db::{self, Database};
use crate::domain::Timestamp;
use crate::domain::{Email, MemberRole, ProjectName};
use crate::error::AppError;
use crate::service::tokens::record;
use crate::service::{Actor, Page, PageNumber};
use std::collections::HashMap;

/// A member of a project, with how many of its active tokens they created.
#[derive(Debug, Clone)]
pub struct Member {
    pub row: MemberRow,
    pub active_tokens: i64,
}

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

    /// Creates a project owned by the account `owner`, `actor` acting; returns its id. `NotFound`: no such
    /// account; `Conflict` on `name`: a project has that name already (case-insensitively).
    pub fn create(
        &self,
        name: &ProjectName,
        owner: &Email,
        actor: &Actor,
    ) -> Result<String, AppError> {
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
            projects::upsert_member(tx, &id, &owner.id, MemberRole::Owner, now)?;
            let detail = format!("owner: {}", owner.email);
            record(
                tx,
                &id,
                actor,
                event::PROJECT_CREATED,
                name.as_str(),
                Some(&detail),
                now,
            )
        })?;
        Ok(id)
    }

    /// Adds the account with `email` to the project `project_key` (id or name) with `role`, or changes
    /// its role there, `actor` acting (an owner: `Forbidden` otherwise). `NotFound` when either is missing;
    /// `LastOwner` when that would demote the project's last owner. The console's **Add member** and the
    /// command line's `member add`.
    pub fn add_member(
        &self,
        project_key: &str,
        email: &Email,
        role: MemberRole,
        actor: &Actor,
    ) -> Result<(Project, Account), AppError> {
        if !actor.authority.may_manage_members() {
            return Err(AppError::Forbidden);
        }
        let project = self.find(project_key)?;
        let account = self.account(email)?;
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            projects::lock_memberships(tx, &project.id)?;
            match projects::member_role(tx, &project.id, &account.id)? {
                None => {
                    projects::upsert_member(tx, &project.id, &account.id, role, now)?;
                    let detail = format!("role: {role}");
                    record(
                        tx,
                        &project.id,
                        actor,
                        event::MEMBER_ADDED,
                        &account.email,
                        Some(&detail),
                        now,
                    )
                }
                Some(was) if was == role => Ok(()),
                Some(was) => {
                    let who = (account.id.as_str(), account.email.as_str());
                    change_role(tx, &project.id, who, (was, role), actor, now)
                }
            }
        })?;
        Ok((project, account))
    }

    /// Every project by name, with its numbers of members and active tokens (the command line's list).
    pub fn all(&self) -> Result<Vec<(Project, i64, i64)>, AppError> {
        Ok(projects::all_with_counts(&mut *self.db.conn()?)?)
    }

    /// The project's members (owners first), each with how many active tokens they created.
    pub fn members(&self, project_id: &str) -> Result<Vec<Member>, AppError> {
        let mut conn = self.db.conn()?;
        let rows = projects::members(&mut conn, project_id)?;
        let created: HashMap<String, i64> = tokens::active_by_creator(&mut conn, project_id)?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| Member {
                active_tokens: created.get(&row.account_id).copied().unwrap_or(0),
                row,
            })
            .collect())
    }

    /// One member of the project with the count of `members`; `NotFound` when `account_id` is none.
    pub fn member(&self, project_id: &str, account_id: &str) -> Result<Member, AppError> {
        self.members(project_id)?
            .into_iter()
            .find(|m| m.row.account_id == account_id)
            .ok_or(AppError::NotFound)
    }

    /// Gives the member `account_id` the role `role`, `actor` acting (an owner). `NotFound`: not a member;
    /// `LastOwner`: the project's only owner would be demoted. Nothing changes on refusal.
    pub fn change_role(
        &self,
        project_id: &str,
        account_id: &str,
        role: MemberRole,
        actor: &Actor,
    ) -> Result<(), AppError> {
        if !actor.authority.may_manage_members() {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            projects::lock_memberships(tx, project_id)?;
            let member = projects::member(tx, project_id, account_id)?.ok_or(AppError::NotFound)?;
            if member.role == role {
                return Ok(());
            }
            let who = (member.account_id.as_str(), member.email.as_str());
            change_role(tx, project_id, who, (member.role, role), actor, now)
        })
    }

    /// Removes the member `account_id`, `actor` acting (an owner); the tokens they created stay (they belong
    /// to the project). `NotFound`: not a member; `LastOwner`: the project's only owner.
    pub fn remove_member(
        &self,
        project_id: &str,
        account_id: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        if !actor.authority.may_manage_members() {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            projects::lock_memberships(tx, project_id)?;
            let member = projects::member(tx, project_id, account_id)?.ok_or(AppError::NotFound)?;
            if member.role == MemberRole::Owner && projects::owner_count(tx, project_id)? <= 1 {
                return Err(AppError::LastOwner);
            }
            projects::remove_member(tx, project_id, account_id)?;
            let detail = format!("role: {}", member.role);
            record(
                tx,
                project_id,
                actor,
                event::MEMBER_REMOVED,
                &member.email,
                Some(&detail),
                now,
            )
        })
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

/// Changes the role of the member `(account id, email)` from `was` to `role` in the open transaction,
/// refusing to demote the last owner.
fn change_role(
    tx: &mut Conn,
    project_id: &str,
    (account_id, email): (&str, &str),
    (was, role): (MemberRole, MemberRole),
    actor: &Actor,
    now: Timestamp,
) -> Result<(), AppError> {
    if was == MemberRole::Owner && projects::owner_count(tx, project_id)? <= 1 {
        return Err(AppError::LastOwner);
    }
    projects::set_role(tx, project_id, account_id, role)?;
    let detail = format!("{was} → {role}");
    record(
        tx,
        project_id,
        actor,
        event::MEMBER_ROLE_CHANGED,
        email,
        Some(&detail),
        now,
    )
}
