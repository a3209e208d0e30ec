//! `mlp-console token …` (SPEC §8, §13): the console's token actions from a shell, through the same
//! service calls. A token is named by its id; a value is printed once, on stdout, and nowhere else.

use crate::api::tokens::TokenInfo;
use crate::cli::output::{self, Columns, Format};
use crate::cli::{clock, find_account, find_project};
use crate::db::tokens::TokenRecord;
use crate::db::Database;
use crate::domain::{
    Authority, DeletedVia, Description, LabelSelector, SecretValue, TokenName, TokenRole, Ttl,
};
use crate::error::AppError;
use crate::service::{Actor, NewTokenSpec, Projects, TokenKey, TokenStore};
use anyhow::{anyhow, bail, Context};
use serde::Serialize;

/// A token as the command line prints it: the API's fields (`get_project_tokens_info`), its project, and
/// for a deleted one when, by whom and how.
#[derive(Debug, Serialize)]
pub struct TokenView {
    #[serde(flatten)]
    info: TokenInfo,
    project_id: String,
    /// The first characters of the value (`mlpat_` and 4), to match a leaked value by eye.
    hint: String,
    /// The last client addresses, most recent first.
    last_used_ips: Vec<String>,
    deleted_at: Option<String>,
    deleted_by: Option<String>,
    /// `console`, `api` or `leak report`.
    deleted_via: Option<&'static str>,
}

impl TokenView {
    fn new(record: TokenRecord) -> Self {
        let last_used_ips = record.last_ips().into_iter().map(str::to_owned).collect();
        TokenView {
            project_id: record.project_id.clone(),
            hint: record.hint.clone(),
            last_used_ips,
            deleted_at: record.deleted_at.map(|at| at.rfc3339()),
            deleted_by: record.deleted_by.clone(),
            deleted_via: record.deleted_via.map(DeletedVia::as_str),
            info: TokenInfo::new(record, None),
        }
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let info = &self.info;
        let mut fields = vec![
            ("ID", info.id.clone()),
            ("NAME", info.name.clone()),
            ("TYPE", role_word(info)),
            ("PROJECT", self.project_id.clone()),
            ("HINT", format!("{}…", self.hint)),
            (
                "LABEL SELECTOR",
                output::or_dash(info.label_selector.as_deref()),
            ),
            ("DESCRIPTION", output::or_dash(info.description.as_deref())),
            ("ISSUER", info.issuer_name.clone()),
            ("CREATED", instant(Some(&info.created_at), "—")),
            ("EXPIRES", instant(info.exp.as_deref(), "never")),
            ("LAST USED", instant(info.last_used_at.as_deref(), "never")),
            (
                "FROM",
                match self.last_used_ips.is_empty() {
                    true => "—".to_owned(),
                    false => self.last_used_ips.join(", "),
                },
            ),
        ];
        if let Some(at) = &self.deleted_at {
            fields.push(("DELETED", instant(Some(at), "—")));
            fields.push(("DELETED BY", output::or_dash(self.deleted_by.as_deref())));
            fields.push(("DELETED VIA", output::or_dash(self.deleted_via)));
        }
        fields
    }
}

impl Columns for TokenView {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "NAME",
        "TYPE",
        "LABEL SELECTOR",
        "EXPIRES",
        "LAST USED",
        "DESCRIPTION",
    ];
    fn row(&self) -> Vec<String> {
        let info = &self.info;
        vec![
            info.id.clone(),
            info.name.clone(),
            role_word(info),
            output::or_dash(info.label_selector.as_deref()),
            instant(info.exp.as_deref(), "never"),
            instant(info.last_used_at.as_deref(), "never"),
            output::or_dash(info.description.as_deref()),
        ]
    }
}

/// A deleted token's row of `token list --deleted`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct DeletedView(TokenView);

impl Columns for DeletedView {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "NAME",
        "TYPE",
        "LABEL SELECTOR",
        "DELETED",
        "DELETED BY",
        "DELETED VIA",
    ];
    fn row(&self) -> Vec<String> {
        let token = &self.0;
        vec![
            token.info.id.clone(),
            token.info.name.clone(),
            role_word(&token.info),
            output::or_dash(token.info.label_selector.as_deref()),
            instant(token.deleted_at.as_deref(), "—"),
            output::or_dash(token.deleted_by.as_deref()),
            output::or_dash(token.deleted_via),
        ]
    }
}

fn role_word(info: &TokenInfo) -> String {
    serde_json::to_value(info.token_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// An RFC 3339 instant of the API's view as the table shows instants.
fn instant(rfc3339: Option<&str>, none: &str) -> String {
    let at = rfc3339
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .map(|at| crate::domain::Timestamp::from_ms(at.timestamp_millis()));
    output::when(at, none)
}

fn tokens(db: &Database) -> TokenStore {
    TokenStore::new(db.clone(), clock())
}

/// `token list --project P [--deleted]`: active tokens newest first, or deleted ones latest first.
pub fn list(db: &Database, project: &str, deleted: bool, format: Format) -> anyhow::Result<String> {
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project)?;
    let store = tokens(db);
    if deleted {
        let rows: Vec<DeletedView> = store
            .all_deleted(&project.id)?
            .into_iter()
            .map(|r| DeletedView(TokenView::new(r)))
            .collect();
        output::list(format, &rows)
    } else {
        let rows: Vec<TokenView> = store
            .all_active(&project.id)?
            .into_iter()
            .map(TokenView::new)
            .collect();
        output::list(format, &rows)
    }
}

/// `token describe ID…`: every field of each token, deleted ones included; JSON and YAML print a list.
pub fn describe(db: &Database, ids: &[String], format: Format) -> anyhow::Result<String> {
    let store = tokens(db);
    let views = ids
        .iter()
        .map(|id| Ok(TokenView::new(find_token(&store, id)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    match format {
        Format::Table => Ok(output::described(
            views.iter().map(TokenView::fields).collect(),
        )),
        _ => output::structured(format, &views),
    }
}

/// `token edit ID --description D`: sets (or, empty, removes) the description; prints the token.
pub fn edit(
    db: &Database,
    id: &str,
    description: &str,
    as_email: Option<&str>,
    format: Format,
) -> anyhow::Result<String> {
    let description = Description::parse(description).map_err(|e| anyhow!("--description: {e}"))?;
    let store = tokens(db);
    let token = active_token(&store, id)?;
    let actor = acting(db, &token.project_id, as_email)?;
    let changed = store
        .set_description(
            &token.project_id,
            &TokenKey::Id(token.id.clone()),
            &description,
            &actor,
        )
        .map_err(|e| refused(e, &token, as_email))?;
    let view = TokenView::new(changed);
    match format {
        Format::Table => Ok(output::described(vec![view.fields()])),
        _ => output::structured(format, &view),
    }
}

/// `token renew ID`: a new value, printed once; the old one stops working.
pub fn renew(
    db: &Database,
    id: &str,
    as_email: Option<&str>,
    format: Format,
) -> anyhow::Result<String> {
    let store = tokens(db);
    let token = active_token(&store, id)?;
    let actor = acting(db, &token.project_id, as_email)?;
    let ticket = store.renewal_ticket();
    let (secret, renewed) = store
        .renew(
            &token.project_id,
            &TokenKey::Id(token.id.clone()),
            &actor,
            ticket,
        )
        .map_err(|e| refused(e, &token, as_email))?;
    eprintln!(
        "Renewed token {:?}: the old value no longer works; the new one is shown this once.",
        renewed.name
    );
    shown_once(&secret, renewed, format)
}

/// `token delete ID` (alias `revoke`): the value fails on its next use. Prints nothing on stdout.
pub fn delete(db: &Database, id: &str, as_email: Option<&str>) -> anyhow::Result<()> {
    let store = tokens(db);
    let token = active_token(&store, id)?;
    let actor = acting(db, &token.project_id, as_email)?;
    let deleted = store
        .delete(
            &token.project_id,
            &TokenKey::Id(token.id.clone()),
            &actor,
            DeletedVia::Cli,
        )
        .map_err(|e| refused(e, &token, as_email))?;
    eprintln!("Deleted token {:?} ({}).", deleted.name, deleted.id);
    Ok(())
}

/// What `token create` was given.
pub struct CreateArgs<'a> {
    pub project: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub expires_in: Option<&'a str>,
    pub as_email: Option<&'a str>,
    pub description: Option<&'a str>,
    pub label_selector: Option<&'a str>,
    pub format: Format,
}

/// `token create`: prints the new value once, alone (table) or with the token (JSON/YAML).
pub fn create(db: &Database, args: &CreateArgs<'_>) -> anyhow::Result<String> {
    let role: TokenRole = args.role.parse().map_err(|e| anyhow!("--role: {e}"))?;
    let name = TokenName::parse(args.name).map_err(|e| anyhow!("--name: {e}"))?;
    let description = Description::parse(args.description.unwrap_or(""))
        .map_err(|e| anyhow!("--description: {e}"))?;
    let label_selector = args
        .label_selector
        .map(|s| LabelSelector::parse(s).map_err(|e| anyhow!("--label-selector: {e}")))
        .transpose()?;
    let lifetime = args
        .expires_in
        .map(|s| {
            Ttl::parse(s, crate::domain::duration::MAX_REFRESH_TTL)
                .map_err(|e| anyhow!("--expires-in {e}"))
        })
        .transpose()?;
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, args.project)?;
    let actor = match args.as_email {
        Some(email) => member_actor(&projects, &project, email)?,
        None => {
            let mut owner = projects
                .first_owner(&project.id)?
                .ok_or_else(|| anyhow!("project {} has no owner; pass --as", project.name))?;
            // The first owner's token (creator and issuer, SPEC §8), made by the operator (the audit's `cli`, §13).
            owner.name = Actor::operator().name;
            owner
        }
    };
    if !actor.authority.may_create(role) {
        let Authority::Member(member) = actor.authority else {
            unreachable!("the command line acts as a member")
        };
        bail!(
            "--as: a {member} of the project may not create {} token",
            match role {
                TokenRole::User => "a User",
                TokenRole::Admin => "an Administrator",
            }
        );
    }
    let spec = NewTokenSpec {
        project_id: project.id.clone(),
        name,
        role,
        description,
        lifetime,
        label_selector,
    };
    let (secret, record) = tokens(db).create(&spec, &actor).map_err(|e| match e {
        AppError::Conflict { .. } => anyhow!(
            "--name: an active token of this project is already named {:?}",
            spec.name.as_str()
        ),
        other => anyhow!(other),
    })?;
    shown_once(&secret, record, args.format)
}

/// A value just given to a token, with the token (`token create` and `token renew` with `-o json|yaml`);
/// the value under the exchange's name for it.
#[derive(Serialize)]
struct ShownView<'a> {
    refresh_token: &'a str,
    #[serde(flatten)]
    token: TokenView,
}

/// A value just given to `record`: alone (table), or with the token (JSON/YAML).
fn shown_once(secret: &SecretValue, record: TokenRecord, format: Format) -> anyhow::Result<String> {
    match format {
        Format::Table => Ok(secret.expose().to_owned()),
        _ => output::structured(
            format,
            &ShownView {
                refresh_token: secret.expose(),
                token: TokenView::new(record),
            },
        ),
    }
}

fn find_token(store: &TokenStore, id: &str) -> anyhow::Result<TokenRecord> {
    store.find_by_id(id.trim()).map_err(|e| match e {
        AppError::NotFound => anyhow!("no token with id {id:?}"),
        other => anyhow!(other),
    })
}

/// The token `id`, which must still be active: a deleted token cannot change.
fn active_token(store: &TokenStore, id: &str) -> anyhow::Result<TokenRecord> {
    let token = find_token(store, id)?;
    if let Some(at) = token.deleted_at {
        bail!(
            "token {:?} ({}) was deleted at {}; a deleted token cannot change",
            token.name,
            token.id,
            output::when(Some(at), "—")
        );
    }
    Ok(token)
}

/// Who acts: the `--as` member (with that member's rights), or the operator (`cli`, an owner's rights).
fn acting(db: &Database, project_id: &str, as_email: Option<&str>) -> anyhow::Result<Actor> {
    let Some(email) = as_email else {
        return Ok(Actor::operator());
    };
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project_id)?;
    member_actor(&projects, &project, email)
}

fn member_actor(
    projects: &Projects,
    project: &crate::db::projects::Project,
    email: &str,
) -> anyhow::Result<Actor> {
    let account = find_account(projects, email).context("--as")?;
    let role = projects.role_of(&project.id, &account)?.ok_or_else(|| {
        anyhow!(
            "--as: {} is not a member of project {}",
            account.email,
            project.name
        )
    })?;
    Ok(Actor::member(&account.id, &account.email, role, None))
}

/// A service refusal in the command line's words.
fn refused(err: AppError, token: &TokenRecord, as_email: Option<&str>) -> anyhow::Error {
    match err {
        AppError::Forbidden => anyhow!(
            "--as: {} may not change token {:?}: members manage only the tokens they created",
            as_email.unwrap_or("cli"),
            token.name
        ),
        AppError::NotFound => anyhow!("token {:?} was deleted meanwhile", token.name),
        AppError::ChangedMeanwhile => {
            anyhow!(
                "token {:?} was renewed meanwhile; renew again for a working value",
                token.name
            )
        }
        other => anyhow!(other),
    }
}
