//! Membership roles, token roles, scopes and who may do what in a project (SPEC §2, §4).

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use std::fmt;
use std::str::FromStr;

/// A person's role in a project (stored as `owner`, `admin`, `member`, `viewer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
    Viewer,
}

/// The role of an access token (stored as `USER` or `ADMIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum TokenRole {
    User,
    Admin,
}

pub const SCOPE_USE: &str = "ml-platform:Use";
pub const SCOPE_MANAGE: &str = "ml-platform:Manage";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
            MemberRole::Viewer => "viewer",
        }
    }

    /// Whether this member may create a token of `role`.
    pub fn can_create(self, role: TokenRole) -> bool {
        match self {
            MemberRole::Owner | MemberRole::Admin => true,
            MemberRole::Member => role == TokenRole::User,
            MemberRole::Viewer => false,
        }
    }

    /// Whether this member may create any token at all (shows the create button).
    pub fn can_create_any(self) -> bool {
        self.can_create(TokenRole::User)
    }

    /// Whether this member may delete or renew a token; `own` says the member created it.
    pub fn can_manage_token(self, own: bool) -> bool {
        match self {
            MemberRole::Owner | MemberRole::Admin => true,
            MemberRole::Member => own,
            MemberRole::Viewer => false,
        }
    }

    /// Owners and admins see the audit log and may look a token up by value.
    pub fn can_audit(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }

    /// Only owners add, remove and invite members and change their roles (SPEC §11).
    pub fn can_manage_members(self) -> bool {
        self == MemberRole::Owner
    }

    /// Every role, most powerful first (the order of the role selects).
    pub const ALL: [MemberRole; 4] = [
        MemberRole::Owner,
        MemberRole::Admin,
        MemberRole::Member,
        MemberRole::Viewer,
    ];

    /// The word the console shows: `Owner`, `Admin`, `Member`, `Viewer`.
    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Owner => "Owner",
            MemberRole::Admin => "Admin",
            MemberRole::Member => "Member",
            MemberRole::Viewer => "Viewer",
        }
    }
}

impl FromStr for MemberRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(MemberRole::Owner),
            "admin" => Ok(MemberRole::Admin),
            "member" => Ok(MemberRole::Member),
            "viewer" => Ok(MemberRole::Viewer),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for MemberRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TokenRole {
    /// The API and database spelling: `USER` or `ADMIN`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::User => "USER",
            TokenRole::Admin => "ADMIN",
        }
    }

    /// The console label: `User` or `Administrator`.
    pub fn label(self) -> &'static str {
        match self {
            TokenRole::User => "User",
            TokenRole::Admin => "Administrator",
        }
    }

    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            TokenRole::User => &[SCOPE_USE],
            TokenRole::Admin => &[SCOPE_USE, SCOPE_MANAGE],
        }
    }

    pub fn has_scope(self, scope: &str) -> bool {
        self.scopes().contains(&scope)
    }
}

/// What entitles whoever acts on a project's tokens (SPEC §4): a member's role in the console and the CLI,
/// the calling token's role in the API, or nothing (an anonymous leak report, which needs no right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    Member(MemberRole),
    Token(TokenRole),
    None,
}

impl Authority {
    /// Whether it may create a token of `role`: members by SPEC §4's table, an `ADMIN` token any.
    pub fn may_create(self, role: TokenRole) -> bool {
        match self {
            Authority::Member(member) => member.can_create(role),
            Authority::Token(token) => token.has_scope(SCOPE_MANAGE),
            Authority::None => false,
        }
    }

    /// Whether it may add, remove and invite members and change their roles: owners only, never a token.
    pub fn may_manage_members(self) -> bool {
        matches!(self, Authority::Member(member) if member.can_manage_members())
    }

    /// Whether it may delete, renew or describe a token; `own` says the acting account created it.
    pub fn may_manage_token(self, own: bool) -> bool {
        match self {
            Authority::Member(member) => member.can_manage_token(own),
            Authority::Token(token) => token.has_scope(SCOPE_MANAGE),
            Authority::None => false,
        }
    }
}

impl FromStr for TokenRole {
    type Err = UnknownRole;
    /// Accepts the API spelling (`USER`/`ADMIN`) and the CLI/form spelling (`user`/`admin`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "USER" | "user" => Ok(TokenRole::User),
            "ADMIN" | "admin" => Ok(TokenRole::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberRole::*;

    #[test]
    fn permission_table_of_spec_section_4() {
        // (role, create User, create Administrator, manage own, manage others', audit)
        let table = [
            (Owner, true, true, true, true, true),
            (Admin, true, true, true, true, true),
            (Member, true, false, true, false, false),
            (Viewer, false, false, false, false, false),
        ];
        for (role, user, admin, own, others, audit) in table {
            assert_eq!(role.can_create(TokenRole::User), user, "{role}");
            assert_eq!(role.can_create(TokenRole::Admin), admin, "{role}");
            assert_eq!(role.can_manage_token(true), own, "{role}");
            assert_eq!(role.can_manage_token(false), others, "{role}");
            assert_eq!(role.can_audit(), audit, "{role}");
        }
    }

    #[test]
    fn authority_follows_the_member_table_and_the_manage_scope() {
        for role in [Owner, Admin, Member, Viewer] {
            let member = Authority::Member(role);
            for token_role in [TokenRole::User, TokenRole::Admin] {
                assert_eq!(member.may_create(token_role), role.can_create(token_role));
            }
            for own in [true, false] {
                assert_eq!(member.may_manage_token(own), role.can_manage_token(own));
            }
        }
        let admin = Authority::Token(TokenRole::Admin);
        assert!(admin.may_create(TokenRole::Admin) && admin.may_manage_token(false));
        let user = Authority::Token(TokenRole::User);
        assert!(!user.may_create(TokenRole::User) && !user.may_manage_token(true));
        assert!(!Authority::None.may_create(TokenRole::User));
        assert!(!Authority::None.may_manage_token(true));
    }

    #[test]
    fn scopes_follow_the_token_role() {
        assert!(TokenRole::User.has_scope(SCOPE_USE));
        assert!(!TokenRole::User.has_scope(SCOPE_MANAGE));
        assert!(TokenRole::Admin.has_scope(SCOPE_MANAGE));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Owner, Admin, Member, Viewer] {
            assert_eq!(role.as_str().parse::<MemberRole>(), Ok(role));
        }
        for role in [TokenRole::User, TokenRole::Admin] {
            assert_eq!(role.as_str().parse::<TokenRole>(), Ok(role));
        }
        assert!("root".parse::<MemberRole>().is_err());
        assert!("Admin".parse::<TokenRole>().is_err());
    }
}
