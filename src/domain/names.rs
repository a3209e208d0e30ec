//! Validated user input (SPEC §7, §11): token names, descriptions, emails and project names.

use std::fmt;
use std::ops::RangeInclusive;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("Enter a name.")]
    NameEmpty,
    #[error("The name must be at most {max} characters (it has {len}).", max = TokenName::MAX_CHARS)]
    NameTooLong { len: usize },
    #[error("The name must be at most {max} characters (it has {len}).", max = DisplayName::MAX_CHARS)]
    DisplayNameTooLong { len: usize },
    #[error("The name must not contain control characters.")]
    NameControl,
    #[error("The name must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069).")]
    NameBidi,
    #[error("The name must start and end with a visible character.")]
    NameInvisible,
    #[error("“{0}” is reserved by the API's routes (/api/v1/tokens/{0}); choose another name.")]
    NameReserved(&'static str),
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

/// A token name: at most 100 characters as given, trimmed, not empty, no control characters, no bidirectional overrides, starting and
/// ending with a visible character, not a word the API's routes use; stored in NFC, so that `é` typed as one
/// character or as `e` + combining accent is one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

/// Path words under `/api/v1/tokens/` that are routes of their own, so never token names.
pub const RESERVED_NAMES: [&str; 2] = ["me", "revoke-leaked"];

/// Bidirectional overrides and isolates: they make a name display as other text than it is.
const BIDI_CONTROLS: [RangeInclusive<char>; 2] = ['\u{202A}'..='\u{202E}', '\u{2066}'..='\u{2069}'];

/// Characters that render as nothing (format characters, fillers, variation selectors); a name may hold them
/// inside (joiners in emoji or Indic scripts) but not start or end with them.
const INVISIBLE: [RangeInclusive<char>; 14] = [
    '\u{00AD}'..='\u{00AD}',
    '\u{034F}'..='\u{034F}',
    '\u{061C}'..='\u{061C}',
    '\u{115F}'..='\u{1160}',
    '\u{17B4}'..='\u{17B5}',
    '\u{180B}'..='\u{180F}',
    '\u{200B}'..='\u{200F}',
    '\u{202A}'..='\u{202E}',
    '\u{2060}'..='\u{206F}',
    '\u{3164}'..='\u{3164}',
    '\u{FE00}'..='\u{FE0F}',
    '\u{FEFF}'..='\u{FEFF}',
    '\u{FFA0}'..='\u{FFA0}',
    '\u{FFF9}'..='\u{FFFB}',
];

/// What `str::trim` removes (Unicode White_Space), for the schema's pattern.
const WHITE_SPACE: [RangeInclusive<char>; 10] = [
    '\u{0009}'..='\u{000D}',
    '\u{0020}'..='\u{0020}',
    '\u{0085}'..='\u{0085}',
    '\u{00A0}'..='\u{00A0}',
    '\u{1680}'..='\u{1680}',
    '\u{2000}'..='\u{200A}',
    '\u{2028}'..='\u{2029}',
    '\u{202F}'..='\u{202F}',
    '\u{205F}'..='\u{205F}',
    '\u{3000}'..='\u{3000}',
];

/// Control characters (`char::is_control`).
const CONTROL: [RangeInclusive<char>; 2] = ['\u{0000}'..='\u{001F}', '\u{007F}'..='\u{009F}'];

fn within(ranges: &[RangeInclusive<char>], c: char) -> bool {
    ranges.iter().any(|r| r.contains(&c))
}

/// Whether `c` would hide or disguise text shown as is: a control, white space other than the plain
/// space, an invisible or a bidirectional character. The API escapes these when it echoes input.
pub fn disguises_text(c: char) -> bool {
    c.is_control() || (c.is_whitespace() && c != ' ') || within(&INVISIBLE, c)
}

/// A regular-expression character class of these ranges (`[…]`), or of all others (`[^…]`), with
/// `\uXXXX` escapes, which ECMA-262 and Python read alike.
fn class(negated: bool, sets: &[&[RangeInclusive<char>]]) -> String {
    let mut out = String::from(if negated { "[^" } else { "[" });
    for range in sets.iter().flat_map(|set| set.iter()) {
        out.push_str(&format!("\\u{:04x}", u32::from(*range.start())));
        if range.start() != range.end() {
            out.push_str(&format!("-\\u{:04x}", u32::from(*range.end())));
        }
    }
    out.push(']');
    out
}

impl TokenName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        // Counted as given, like the form field's `maxlength` and the schema's `maxLength`.
        let len = input.chars().count();
        if len > Self::MAX_CHARS {
            return Err(InputError::NameTooLong { len });
        }
        let name = input.trim();
        if name.is_empty() {
            return Err(InputError::NameEmpty);
        }
        if name.chars().any(char::is_control) {
            return Err(InputError::NameControl);
        }
        if name.chars().any(|c| within(&BIDI_CONTROLS, c)) {
            return Err(InputError::NameBidi);
        }
        let visible = |c: Option<char>| c.is_some_and(|c| !within(&INVISIBLE, c));
        if !visible(name.chars().next()) || !visible(name.chars().next_back()) {
            return Err(InputError::NameInvisible);
        }
        let name: String = name.nfc().collect();
        if let Some(word) = RESERVED_NAMES.into_iter().find(|&w| w == name) {
            return Err(InputError::NameReserved(word));
        }
        Ok(TokenName(name))
    }

    /// The rule above as an ECMA-262 / Python regular expression, for the OpenAPI document: optional
    /// white space around a core that starts and ends with a visible character and holds no control or
    /// bidirectional character, and is not a reserved word. (The length is the schema's `maxLength`.)
    pub fn pattern() -> String {
        let space = class(false, &[&WHITE_SPACE]);
        let edge = class(true, &[&CONTROL, &WHITE_SPACE, &INVISIBLE, &BIDI_CONTROLS]);
        let inner = class(true, &[&CONTROL, &BIDI_CONTROLS]);
        let reserved = RESERVED_NAMES.join("|");
        format!("^{space}*(?!(?:{reserved}){space}*$){edge}(?:{inner}*{edge})?{space}*$")
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

/// An optional description: at most 500 characters as given, trimmed, no control characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(Option<String>);

impl Description {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let len = input.chars().count();
        if len > Self::MAX_CHARS {
            return Err(InputError::DescriptionTooLong { len });
        }
        let text = input.trim();
        if text.chars().any(char::is_control) {
            return Err(InputError::DescriptionControl);
        }
        Ok(Description((!text.is_empty()).then(|| text.to_owned())))
    }

    pub fn none() -> Self {
        Description(None)
    }

    /// The rule above as a regular expression for the OpenAPI document: no control character but in the
    /// white space trimmed off either end. (The length is the schema's `maxLength`.)
    pub fn pattern() -> String {
        let space = class(false, &[&WHITE_SPACE]);
        let text = class(true, &[&CONTROL]);
        let last = class(true, &[&CONTROL, &WHITE_SPACE]);
        format!("^{space}*(?:{text}*{last})?{space}*$")
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

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, InputError> {
        let name = input.trim();
        let len = name.chars().count();
        if len == 0 {
            return Err(InputError::NameEmpty);
        }
        if len > Self::MAX_CHARS {
            return Err(InputError::DisplayNameTooLong { len });
        }
        if name.chars().any(char::is_control) {
            return Err(InputError::NameControl);
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
        // The limit counts what was given, surrounding white space included.
        assert_eq!(
            TokenName::parse(&format!("a{}", "\u{85}".repeat(100))),
            Err(InputError::NameTooLong { len: 101 })
        );
    }

    #[test]
    fn names_that_render_as_nothing_or_as_other_text_are_refused() {
        for invisible in ["\u{200B}", "\u{FEFF}", "\u{200B}a", "a\u{2060}", "\u{00AD}"] {
            assert_eq!(
                TokenName::parse(invisible),
                Err(InputError::NameInvisible),
                "{invisible:?}"
            );
        }
        assert_eq!(
            TokenName::parse("abc\u{202E}txt"),
            Err(InputError::NameBidi)
        );
        assert_eq!(TokenName::parse("a\u{2067}b"), Err(InputError::NameBidi));
        // A joiner inside a name (emoji sequences, Indic scripts) is fine.
        assert!(TokenName::parse("a\u{200D}b").is_ok());
    }

    #[test]
    fn names_are_stored_in_nfc() {
        let composed = TokenName::parse("caf\u{E9}").unwrap();
        let decomposed = TokenName::parse("cafe\u{301}").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(decomposed.as_str(), "caf\u{E9}");
    }

    #[test]
    fn route_words_are_not_names() {
        assert_eq!(
            TokenName::parse(" me "),
            Err(InputError::NameReserved("me"))
        );
        assert_eq!(
            TokenName::parse("revoke-leaked"),
            Err(InputError::NameReserved("revoke-leaked"))
        );
        assert!(TokenName::parse("Me").is_ok());
        assert!(TokenName::parse("me2").is_ok());
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
