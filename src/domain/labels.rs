//! Label selectors (SPEC §13, OVHcloud's `--label-selector`): a token fixed to the jobs carrying one label
//! `NAME=VALUE`, with the label rules of Kubernetes. An unscoped token has none.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("The label selector must have the form NAME=VALUE, such as model=base.")]
    Form,
    #[error("The label name must be 1 to 63 characters before the “=” (it has {0}).")]
    NameLength(usize),
    #[error("The label name may hold only letters, digits, “.”, “_” and “-”, and must start and end with a letter or digit.")]
    NameCharacters,
    #[error("The prefix before “/” must be a DNS subdomain: at most 253 characters, dot-separated parts of lower-case letters, digits and “-”, each starting and ending with a letter or digit.")]
    Prefix,
    #[error("The label value must be at most 63 characters (it has {0}).")]
    ValueLength(usize),
    #[error("The label value may hold only letters, digits, “.”, “_” and “-”, and must start and end with a letter or digit.")]
    ValueCharacters,
}

/// `NAME=VALUE`: `NAME` is `[PREFIX/]NAME` with a DNS-subdomain prefix and a name of 1–63 characters of
/// `A-Z a-z 0-9 . _ -`, alphanumeric at both ends; `VALUE` 0–63 characters of the same set, alphanumeric at
/// both ends when not empty. Kept exactly as given (no trimming, no case folding): label names are
/// case-sensitive, and a scope that matches other jobs than the one written would be a wider token.
#[derive(Debug, Clone, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct LabelSelector(String);

const PART_MAX: usize = 63;
const PREFIX_MAX: usize = 253;

impl LabelSelector {
    /// The longest selector: a full prefix, `/`, a name, `=` and a value.
    pub const MAX_CHARS: usize = PREFIX_MAX + 1 + PART_MAX + 1 + PART_MAX;

    pub fn parse(input: &str) -> Result<Self, LabelError> {
        let (key, value) = input.split_once('=').ok_or(LabelError::Form)?;
        let name = match key.rsplit_once('/') {
            Some((prefix, name)) => {
                if !is_dns_subdomain(prefix) {
                    return Err(LabelError::Prefix);
                }
                name
            }
            None => key,
        };
        let len = name.chars().count();
        if !(1..=PART_MAX).contains(&len) {
            return Err(LabelError::NameLength(len));
        }
        if !is_label_part(name) {
            return Err(LabelError::NameCharacters);
        }
        let len = value.chars().count();
        if len > PART_MAX {
            return Err(LabelError::ValueLength(len));
        }
        if !value.is_empty() && !is_label_part(value) {
            return Err(LabelError::ValueCharacters);
        }
        Ok(LabelSelector(input.to_owned()))
    }

    /// An optional selector from a form or a flag: blank means unscoped.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, LabelError> {
        let input = input.trim();
        if input.is_empty() {
            Ok(None)
        } else {
            Self::parse(input).map(Some)
        }
    }

    /// The rule above as a regular expression for the OpenAPI document (lengths of the parts included).
    pub fn pattern() -> String {
        let dns = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
        let part = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?";
        format!("^(?:{dns}(?:\\.{dns})*/)?{part}=(?:{part})?$")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> &str {
        self.0.split_once('=').map_or("", |(name, _)| name)
    }

    pub fn value(&self) -> &str {
        self.0.split_once('=').map_or("", |(_, value)| value)
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for LabelSelector {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A label name or value: the allowed characters, alphanumeric at both ends (not empty).
fn is_label_part(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// RFC 1123 subdomain as Kubernetes checks it: at most 253 characters, lower-case parts of at most 63.
fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= PREFIX_MAX
        && text.split('.').all(|part| {
            let bytes = part.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= PART_MAX
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> LabelError {
        LabelSelector::parse(input).unwrap_err()
    }

    #[test]
    fn accepts_kubernetes_labels() {
        for ok in [
            "model=base",
            "model=",
            "a=b",
            "Model.Name_1-x=V1.2_3-z",
            "example.com/model=base",
            "ml-platform.example.com/team=nlp",
            "x/y=z",
        ] {
            let selector = LabelSelector::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(selector.as_str(), ok);
        }
        let selector = LabelSelector::parse("example.com/model=base").unwrap();
        assert_eq!(selector.name(), "example.com/model");
        assert_eq!(selector.value(), "base");
        let longest = format!("{}={}", "n".repeat(63), "v".repeat(63));
        assert!(LabelSelector::parse(&longest).is_ok());
        let prefix = [
            "p".repeat(63),
            "q".repeat(63),
            "r".repeat(63),
            "s".repeat(61),
        ]
        .join(".");
        assert_eq!(prefix.len(), 253);
        let full = format!("{prefix}/{}={}", "n".repeat(63), "v".repeat(63));
        assert_eq!(full.chars().count(), LabelSelector::MAX_CHARS);
        assert!(LabelSelector::parse(&full).is_ok());
    }

    #[test]
    fn refuses_what_kubernetes_refuses_with_the_reason() {
        assert_eq!(err("model"), LabelError::Form);
        assert_eq!(err(""), LabelError::Form);
        assert_eq!(err("=base"), LabelError::NameLength(0));
        assert_eq!(
            err(&format!("{}=v", "n".repeat(64))),
            LabelError::NameLength(64)
        );
        assert_eq!(err("-model=base"), LabelError::NameCharacters);
        assert_eq!(err("model-=base"), LabelError::NameCharacters);
        assert_eq!(err("mo del=base"), LabelError::NameCharacters);
        assert_eq!(err("modèle=base"), LabelError::NameCharacters);
        assert_eq!(err(" model=base"), LabelError::NameCharacters);
        assert_eq!(err("Example.com/model=base"), LabelError::Prefix);
        assert_eq!(err("/model=base"), LabelError::Prefix);
        assert_eq!(err("a..b/model=base"), LabelError::Prefix);
        assert_eq!(err("-a.b/model=base"), LabelError::Prefix);
        assert_eq!(err(&format!("{}/m=v", "p".repeat(64))), LabelError::Prefix);
        assert_eq!(err("a/b/model=base"), LabelError::Prefix);
        assert_eq!(err("example.com/=base"), LabelError::NameLength(0));
        assert_eq!(
            err(&format!("m={}", "v".repeat(64))),
            LabelError::ValueLength(64)
        );
        assert_eq!(err("model=base-"), LabelError::ValueCharacters);
        assert_eq!(err("model=ba se"), LabelError::ValueCharacters);
        assert_eq!(err("model=a=b"), LabelError::ValueCharacters);
        assert_eq!(err("model=base "), LabelError::ValueCharacters);
    }

    #[test]
    fn blank_is_unscoped_and_the_rest_is_trimmed() {
        assert_eq!(LabelSelector::parse_optional("  ").unwrap(), None);
        assert_eq!(
            LabelSelector::parse_optional(" model=base\n").unwrap(),
            Some(LabelSelector::parse("model=base").unwrap())
        );
        assert_eq!(
            LabelSelector::parse_optional("model"),
            Err(LabelError::Form)
        );
    }

    #[test]
    fn the_pattern_agrees_with_the_rule() {
        let pattern = regex_lite(&LabelSelector::pattern());
        for text in [
            "model=base",
            "model=",
            "example.com/model=base",
            "model",
            "-a=b",
            "a=b-",
            "Ex.com/a=b",
            "a/b/c=d",
            "a=b=c",
        ] {
            assert_eq!(
                pattern(text),
                LabelSelector::parse(text).is_ok(),
                "{text}: pattern and rule disagree"
            );
        }
    }

    /// The pattern compiled by the regex crate (a dev-dependency), as a predicate.
    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
        let re = regex::Regex::new(pattern).unwrap();
        move |text| re.is_match(text)
    }
}
