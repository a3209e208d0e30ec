//! Validated user input (SPEC §7, §11): token names, descriptions, emails and project names.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("Enter a name.")]
    NameEmpty,
    #[error("The name must be at most {max} characters (it has {len}).", max = TokenName::MAX_CHARS)]
    NameTooLong { len: usize },
    #[error("The name must not contain control characters.")]
    NameControl,
    #[error("The description must be at most {max} characters (it has {len}).", max = Description::MAX_CHARS)]
    DescriptionTooLong { len: usize },
    #[error("The description must not contain control characters.")]
    DescriptionControl,
    #[error("Enter a valid email address.")]
    EmailInvalid,
    #[error("The email address must be at most {max} characters.", max = Email::MAX_CHARS)]
    EmailTooLong,
    #[error("A project name is 1 to {max} characters with no control characters.", max = ProjectName::MAX_CHARS)]
    ProjectName,
}

/// A token name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let name = input.trim();
        let len = name.chars().count();
        if len == 0 {
            return Err(InputError::NameEmpty);
        }
        if len > Self::MAX_CHARS {
            return Err(InputError::NameTooLong { len });
        }
        if name.chars().any(char::is_control) {
            return Err(InputError::NameControl);
        }
        Ok(TokenName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An optional description: trimmed, at most 500 characters, no control characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(Option<String>);

impl Description {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let text = input.trim();
        let len = text.chars().count();
        if len > Self::MAX_CHARS {
            return Err(InputError::DescriptionTooLong { len });
        }
        if text.chars().any(char::is_control) {
            return Err(InputError::DescriptionControl);
        }
        Ok(Description((!text.is_empty()).then(|| text.to_owned())))
    }

    pub fn none() -> Self {
        Description(None)
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

/// An email address, trimmed and lower-cased (emails are unique case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let email = input.trim().to_lowercase();
        if email.chars().count() > Self::MAX_CHARS {
            return Err(InputError::EmailTooLong);
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err(InputError::EmailInvalid);
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A project name (SPEC §11): trimmed, 1–100 characters, no control characters. Unique case-insensitively,
/// which the database enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let name = input.trim();
        let len = name.chars().count();
        if len == 0 || len > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(InputError::ProjectName);
        }
        Ok(ProjectName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(TokenName::parse("  ci-job ").unwrap().as_str(), "ci-job");
        assert_eq!(TokenName::parse("   "), Err(InputError::NameEmpty));
        assert_eq!(TokenName::parse(""), Err(InputError::NameEmpty));
        assert!(TokenName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            TokenName::parse(&"a".repeat(101)),
            Err(InputError::NameTooLong { len: 101 })
        );
        assert_eq!(TokenName::parse("a\u{7}b"), Err(InputError::NameControl));
        assert_eq!(TokenName::parse("a\nb"), Err(InputError::NameControl));
        assert!(TokenName::parse("name with spaces & <html>").is_ok());
    }

    #[test]
    fn descriptions_are_optional_and_bounded() {
        assert_eq!(Description::parse("  ").unwrap().as_deref(), None);
        assert_eq!(Description::parse(" CI ").unwrap().as_deref(), Some("CI"));
        assert!(Description::parse(&"x".repeat(500)).is_ok());
        assert_eq!(
            Description::parse(&"x".repeat(501)),
            Err(InputError::DescriptionTooLong { len: 501 })
        );
        assert_eq!(
            Description::parse("a\u{0}b"),
            Err(InputError::DescriptionControl)
        );
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Admin@LocalHost ").unwrap().as_str(),
            "admin@localhost"
        );
        for bad in ["", "no-at", "@x", "x@", "a@b@c", "a b@c"] {
            assert_eq!(Email::parse(bad), Err(InputError::EmailInvalid), "{bad}");
        }
        let long = format!("{}@x.io", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(InputError::EmailTooLong));
    }

    #[test]
    fn project_names_are_trimmed_and_bounded() {
        assert_eq!(ProjectName::parse(" ml ").unwrap().as_str(), "ml");
        assert!(ProjectName::parse(&"p".repeat(100)).is_ok());
        for bad in ["", "  ", "a\tb"] {
            assert_eq!(
                ProjectName::parse(bad),
                Err(InputError::ProjectName),
                "{bad:?}"
            );
        }
        assert_eq!(
            ProjectName::parse(&"p".repeat(101)),
            Err(InputError::ProjectName)
        );
    }
}
