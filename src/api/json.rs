//! The API's JSON body extractor: content type checked, at most 64 KiB, and every parse failure naming its field.
//!
//! actix's own `web::Json` answers some failures with bare text; this one always answers SPEC §6's shape.

use crate::api::error::{ApiError, BODY_LIMIT};
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
    if let Some(name) = quoted_after(&message, "unknown field `") {
        let expected = message
            .split_once(", expected ")
            .map(|(_, rest)| format!(" (expected {rest})"))
            .unwrap_or_default();
        return ApiError::bad_request(&name, format!("unknown field{expected}"));
    }
    if let Some(name) = quoted_after(&message, "missing field `") {
        return ApiError::bad_request(&name, "is required");
    }
    if path == "." {
        return ApiError::bad_request("body", format!("must be a JSON object ({message})"));
    }
    ApiError::bad_request(&path, message)
}

/// serde_json's message without its " at line L column C" suffix.
fn without_location(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

fn quoted_after(message: &str, marker: &str) -> Option<String> {
    let start = message.find(marker)? + marker.len();
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_owned())
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
