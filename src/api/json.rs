//! The API's JSON body extractor: content type checked, at most 64 KiB, and every parse failure naming its field.
//!
//! actix's own `web::Json` answers some failures with bare text; this one always answers SPEC §6's shape.

use crate::api::error::{ApiError, BODY_LIMIT};
use crate::domain::names::disguises_text;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_media_type);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
                return Err(ApiError::PayloadTooLarge);
            }
            if !is_json {
                return Err(ApiError::bad_request(
                    "body",
                    "Content-Type must be application/json",
                ));
            }
            let mut body = Vec::with_capacity(declared.unwrap_or(0) as usize);
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::bad_request("body", "could not be read completely"))?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(ApiError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

/// Reads and parses the body of a handler that must first decide something else (who may call it, or
/// whether the client is over its limit), so that answer comes before any complaint about the body.
pub async fn read<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<T, ApiError> {
    Ok(ApiJson::<T>::from_request(req, &mut payload.into_inner())
        .await?
        .0)
}

/// `application/json`, with parameters such as `charset`, or any `+json` type.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 5
            && essence
                .get(..12)
                .is_some_and(|s| s.eq_ignore_ascii_case("application/"))
            && essence
                .get(essence.len() - 5..)
                .is_some_and(|s| s.eq_ignore_ascii_case("+json")))
}

/// Deserializes a body, turning serde's message into "field: why".
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.starts_with("\u{FEFF}".as_bytes()) {
        return Err(ApiError::bad_request(
            "body",
            "starts with a byte-order mark (U+FEFF), which JSON does not allow; send the object without it",
        ));
    }
    // serde also fills a struct from an array; the API takes objects only.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(ApiError::bad_request(
                "body",
                "is empty; a JSON object is expected",
            ))
        }
        Some(b'{') => {}
        Some(_) => return Err(ApiError::bad_request("body", "must be a JSON object")),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request("body", without_location(&e)))?;
    Ok(value)
}

fn describe(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let message = without_location(&inner);
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request("body", format!("is not valid JSON ({message})"));
    }
    if let Some((name, rest)) = quoted_name(&message, "unknown field `") {
        let expected = rest
            .strip_prefix(", expected ")
            .map(|list| format!(" (expected {list})"))
            .unwrap_or_default();
        return ApiError::bad_request(&shown_key(name), format!("unknown field{expected}"));
    }
    if let Some((name, _)) = quoted_name(&message, "missing field `") {
        return ApiError::bad_request(name, "is required");
    }
    if let Some((name, _)) = quoted_name(&message, "duplicate field `") {
        return ApiError::bad_request(name, "is given more than once");
    }
    if path == "." {
        return ApiError::bad_request("body", format!("must be a JSON object ({message})"));
    }
    ApiError::bad_request(&path, message)
}

/// The longest key echoed back in an error, in characters.
const SHOWN_KEY_CHARS: usize = 64;

/// A key as an error names it: control, invisible and non-ASCII white space characters escaped
/// (`\u{8f}`), an empty key as `""`, and cut to 64 characters.
fn shown_key(name: &str) -> String {
    if name.is_empty() {
        return "\"\"".to_owned();
    }
    let mut shown = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == SHOWN_KEY_CHARS {
            shown.push('…');
            break;
        }
        if disguises_text(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// For `#[serde(default, deserialize_with = "json::present")]` on an `Option<Option<T>>`: tells a field
/// sent as `null` (`Some(None)`) from one left out (`None`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// serde_json's message without its " at line L column C" suffix.
fn without_location(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// The name serde quotes after `marker` (`` unknown field `NAME`, expected … ``), and what follows it.
fn quoted_name<'m>(message: &'m str, marker: &str) -> Option<(&'m str, &'m str)> {
    let start = message.find(marker)? + marker.len();
    let rest = &message[start..];
    // The name may hold backticks itself: it ends at the last backtick before serde's own text.
    let end = [", expected ", ", there are no fields"]
        .iter()
        .filter_map(|tail| rest.find(&format!("`{tail}")))
        .min()
        .or_else(|| rest.rfind('`'))?;
    Some((&rest[..end], &rest[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        client_name: String,
        refresh_ttl: Option<String>,
    }

    fn field_of(json: &str) -> String {
        match parse::<Body>(json.as_bytes()) {
            Err(ApiError::BadRequest(field)) => field,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn failures_name_their_field() {
        assert!(
            field_of(r#"{"client_name": "a", "colour": 1}"#).starts_with("colour: unknown field")
        );
        assert_eq!(field_of(r#"{}"#), "client_name: is required");
        assert!(field_of(r#"{"client_name": 5}"#).starts_with("client_name: invalid type: integer"));
        assert!(field_of(r#"{"client_name": "a""#).starts_with("body: is not valid JSON"));
        assert!(field_of("").starts_with("body: is empty"));
        assert!(field_of(r#"["a", null]"#).starts_with("body: must be a JSON object"));
        assert!(field_of("nul").starts_with("body: must be a JSON object"));
        assert!(field_of("[1]").starts_with("body: must be a JSON object"));
        assert!(field_of(r#"{"client_name": "a"} x"#).starts_with("body: "));
    }

    #[test]
    fn a_repeated_key_is_named() {
        assert_eq!(
            field_of(r#"{"client_name": "a", "client_name": "b"}"#),
            "client_name: is given more than once"
        );
    }

    #[test]
    fn a_byte_order_mark_is_named() {
        assert!(field_of("\u{FEFF}{\"client_name\": \"a\"}").contains("byte-order mark"));
    }

    #[test]
    fn unknown_keys_are_echoed_escaped_and_cut() {
        assert!(
            field_of(r#"{"client_name": "a", "\u008f": 1}"#).starts_with("\\u{8f}: unknown field")
        );
        assert!(field_of(r#"{"client_name": "a", "": 1}"#).starts_with(r#""": unknown field"#));
        assert!(field_of(r#"{"client_name": "a", "a`b": 1}"#).starts_with("a`b: unknown field"));
        assert!(field_of(r#"{"client_name": "a", "\u200b": 1}"#).starts_with("\\u{200b}: "));
        assert!(field_of(r#"{"client_name": "a", "é": 1}"#).starts_with("é: unknown field"));
        let long = format!(r#"{{"client_name": "a", "{}": 1}}"#, "k".repeat(1000));
        let field = field_of(&long);
        assert!(
            field.starts_with(&format!("{}…: unknown field", "k".repeat(64))),
            "{field}"
        );
    }

    #[test]
    fn null_is_absent_for_optional_fields() {
        let body: Body = parse(br#"{"client_name": "a", "refresh_ttl": null}"#).unwrap();
        assert_eq!(body.refresh_ttl, None);
    }

    #[test]
    fn media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type(""));
    }
}
