//! Public leak reports (SPEC §9, like GitHub's credential-revocation API): whoever holds a leaked value may end it.
//!
//! Holding the value proves it leaked, so no auth is asked. The answer never says whether anything
//! existed: every accepted report gets the same bytes, no sooner than a fixed floor, whatever the
//! values were. Requests are limited per client address before any work is done.

use crate::api::bearer::BearerToken;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::{json, tokens};
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

/// One leaked value, or a list of them: exactly one of the two fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakReport {
    /// A leaked value (`mlpat_…`, or an unused registration token `mlprg_…`).
    #[serde(default)]
    #[schema(example = "mlpat_…")]
    pub token: Option<String>,
    /// 1 to 100 leaked values.
    #[serde(default)]
    pub tokens: Option<Vec<String>>,
}

impl LeakReport {
    fn values(self) -> Result<Vec<String>, ApiError> {
        match (self.token, self.tokens) {
            (Some(one), None) => Ok(vec![one]),
            (None, Some(many)) if (1..=MAX_VALUES).contains(&many.len()) => Ok(many),
            (None, Some(_)) => Err(ApiError::bad_request(
                "tokens",
                format_args!("must hold 1 to {MAX_VALUES} values"),
            )),
            (Some(_), Some(_)) => Err(ApiError::bad_request(
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
    request_body = LeakReport,
    responses(
        (status = 202, description = "Accepted. The same answer whether or not any value was a token; \
            every valid access token given stops working at once and is listed as deleted by a leak report; \
            an unused registration token given is deleted", body = LeakReportAccepted),
        (status = 400, description = "Bad JSON, an unknown field, both or neither of `token` and `tokens`, \
            or not 1 to 100 values", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "More than 60 reports a minute from this client address (`field`: `token`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a report is accepted again"))),
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
    state
        .leak_reports
        .admit(client_ip)
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

/// `DELETE /tokens/revoke-leaked` shares its path with the leak report; it deletes the token of that name.
pub async fn delete_named(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    tokens::delete(
        state,
        req,
        bearer,
        web::Path::from("revoke-leaked".to_owned()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(token: Option<&str>, tokens: Option<Vec<&str>>) -> LeakReport {
        LeakReport {
            token: token.map(str::to_owned),
            tokens: tokens.map(|list| list.into_iter().map(str::to_owned).collect()),
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
