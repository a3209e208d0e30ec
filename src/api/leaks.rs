//! Public leak reports (SPEC §9, like GitHub's credential-revocation API): whoever holds a leaked value may end it.
//!
//! Holding the value proves it leaked, so no auth is asked. The answer never says whether anything
//! existed: every accepted report gets the same bytes, no sooner than a fixed floor, whatever the
//! values were. Requests are limited per client address before any work is done.

use crate::api::error::{ApiError, ErrorBody, Unavailable};
use crate::api::json;
use crate::auth::client_ip;
use crate::service;
use crate::service::leaks::{presented, MAX_VALUES};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
/// No accepted report is answered sooner, so that revoking a real token (a write) takes no longer,
/// seen from outside, than looking up values that match nothing.
pub const RESPONSE_FLOOR: Duration = Duration::from_millis(50);
/// `errorParams.field` of a refused (rate-limited) report.
pub const LIMITED_FIELD: &str = "token";

/// One leaked value, or a list of them: exactly one of the two fields. (Its OpenAPI schema is
/// [`LeakReportSchema`]: a `oneOf` of the two shapes.)
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakReport {
    /// Absent: `None`; `null`: `Some(None)`, refused by name.
    #[serde(default, deserialize_with = "json::present")]
    pub token: Option<Option<String>>,
    #[serde(default, deserialize_with = "json::present")]
    pub tokens: Option<Option<Vec<String>>>,
}

impl LeakReport {
    fn values(self) -> Result<Vec<String>, ApiError> {
        match (self.token, self.tokens) {
            (Some(None), _) => Err(ApiError::bad_request(
                "token",
                "must be a leaked value (a string), not null",
            )),
            (_, Some(None)) => Err(ApiError::bad_request(
                "tokens",
                format_args!("must be a list of 1 to {MAX_VALUES} values, not null"),
            )),
            (Some(Some(one)), None) => Ok(vec![one]),
            (None, Some(Some(many))) if (1..=MAX_VALUES).contains(&many.len()) => Ok(many),
            (None, Some(Some(_))) => Err(ApiError::bad_request(
                "tokens",
                format_args!("must hold 1 to {MAX_VALUES} values"),
            )),
            (Some(Some(_)), Some(Some(_))) => Err(ApiError::bad_request(
                "body",
                "give either token or tokens, not both",
            )),
            (None, None) => Err(ApiError::bad_request(
                "token",
                "is required (or tokens, a list of values)",
            )),
        }
    }
}

/// The schema of a leak report: exactly one of `token` (a value) and `tokens` (1 to 100 values).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = LeakReport)]
#[allow(dead_code)] // A schema only: the body is read as `LeakReport`.
pub enum LeakReportSchema {
    One(OneLeakedValue),
    Many(LeakedValues),
}

/// One leaked value.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(title = "one value")]
#[allow(dead_code)]
pub struct OneLeakedValue {
    /// A leaked value (`mlpat_…`, or an unused registration token `mlprg_…`).
    #[schema(example = "mlpat_…")]
    token: String,
}

/// Several leaked values.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(title = "a list of values")]
#[allow(dead_code)]
pub struct LeakedValues {
    /// 1 to 100 leaked values.
    #[schema(min_items = 1, max_items = 100)]
    tokens: Vec<String>,
}

/// The one answer to every accepted report.
#[derive(Serialize, ToSchema)]
pub struct LeakReportAccepted {
    /// Always `accepted`: the answer never says whether a value was a token.
    #[schema(example = "accepted")]
    pub status: &'static str,
}

/// revoke_leaked_tokens: ends every valid access token given (and every unused registration token).
#[utoipa::path(
    post,
    path = "/api/v1/tokens/revoke-leaked",
    operation_id = "revoke_leaked_tokens",
    tag = "tokens",
    request_body = LeakReportSchema,
    responses(
        (status = 202, description = "Accepted. The same answer whether or not any value was a token; \
            every valid access token given stops working at once and is listed as deleted by a leak report; \
            an unused registration token given is deleted", body = LeakReportAccepted),
        (status = 400, description = "Bad JSON, an unknown field, both or neither of `token` and `tokens`, \
            or not 1 to 100 values", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "More than 60 reports a minute from this client address (`field`: `token`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a report is accepted again"))),
        Unavailable,
    )
)]
#[tracing::instrument(name = "revoke_leaked", skip_all)]
pub async fn revoke_leaked(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = tokio::time::Instant::now();
    let client_ip = client_ip(&req);
    let now = state.clock.now();
    service::blocking(&state.tokens, move |tokens| {
        Ok(tokens.leak_reports.admit(tokens.db(), client_ip, now)?)
    })
    .await?
    .map_err(|retry_after| ApiError::TooManyRequests {
        field: LIMITED_FIELD,
        retry_after,
    })?;
    // Read only once the client is admitted: the limit comes before any work.
    let report: LeakReport = json::read(&req, payload).await?;
    let presented = presented(&report.values()?);
    if !presented.is_empty() {
        service::blocking(&state.tokens, move |tokens| {
            tokens.revoke_leaked(&presented, client_ip)
        })
        .await?;
    }
    tokio::time::sleep_until(started + RESPONSE_FLOOR).await;
    json(
        StatusCode::ACCEPTED,
        &LeakReportAccepted { status: "accepted" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(token: Option<&str>, tokens: Option<Vec<&str>>) -> LeakReport {
        LeakReport {
            token: token.map(|one| Some(one.to_owned())),
            tokens: tokens.map(|list| Some(list.into_iter().map(str::to_owned).collect())),
        }
    }

    fn field(result: Result<Vec<String>, ApiError>) -> String {
        match result {
            Err(ApiError::BadRequest(field)) => field,
            other => panic!("expected a bad request, got {:?}", other.map(|v| v.len())),
        }
    }

    #[test]
    fn a_report_has_exactly_one_of_token_and_tokens() {
        assert_eq!(report(Some("a"), None).values().unwrap(), ["a"]);
        assert_eq!(
            report(None, Some(vec!["a", "b"])).values().unwrap().len(),
            2
        );
        assert!(field(report(Some("a"), Some(vec!["b"])).values()).starts_with("body: "));
        assert!(field(report(None, None).values()).starts_with("token: is required"));
    }

    #[test]
    fn null_is_refused_by_name() {
        let parsed = |body: &str| json::parse::<LeakReport>(body.as_bytes()).unwrap().values();
        assert!(field(parsed(r#"{"tokens": null}"#)).starts_with("tokens: must be a list"));
        assert!(field(parsed(r#"{"token": null}"#)).starts_with("token: must be a leaked value"));
        assert_eq!(parsed(r#"{"token": "x"}"#).unwrap(), ["x"]);
    }

    #[test]
    fn a_list_holds_one_to_a_hundred_values() {
        assert!(
            field(report(None, Some(vec![])).values()).starts_with("tokens: must hold 1 to 100")
        );
        assert_eq!(
            report(None, Some(vec!["x"; 100])).values().unwrap().len(),
            100
        );
        assert!(field(report(None, Some(vec!["x"; 101])).values()).starts_with("tokens: "));
    }
}
