//! The OpenAPI 3 description of the API, generated from the handlers and body types so it cannot drift.

use crate::api::error::{ErrorBody, ErrorParams};
use crate::api::{leaks, register, tokens, TokenType};
use crate::domain::duration::{ACCESS_TTL_PATTERN, REFRESH_TTL_PATTERN};
use crate::domain::{Description, LabelSelector, TokenName};
use actix_web::http::header;
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mlp-console API",
        description = "Access tokens of the ML Platform for programs: registration tokens, their one-time \
            exchange, who am I, the project's tokens, and by name: delete, renew (a new value), describe.\n\n\
            Authenticate with `Authorization: Bearer <access token>`. Times are RFC 3339 UTC; an absent \
            expiry is `null`. Answers to calls made with an expiring token carry `MLP-Token-Expiration`. \
            Every error has the shape of `ErrorBody`."
    ),
    paths(
        register::create,
        register::exchange,
        tokens::who_am_i,
        tokens::list,
        tokens::delete,
        leaks::revoke_leaked,
        tokens::update,
        tokens::renew,
        serve,
    ),
    components(schemas(
        ErrorBody,
        ErrorParams,
        TokenType,
        register::RegisterTokenRequest,
        register::RegisterTokenResponse,
        register::RefreshTokenRequest,
        register::RefreshTokenResponse,
        tokens::WhoAmI,
        tokens::TokenInfo,
        tokens::TokenList,
        leaks::LeakReportSchema,
        leaks::OneLeakedValue,
        leaks::LeakedValues,
        leaks::LeakReportAccepted,
        tokens::TokenPatch,
    )),
    modifiers(&BearerAuth, &InputRules),
    tags((name = "tokens", description = "Access and registration tokens"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mlpat_…")
                    .description(Some("An access token of the project"))
                    .build(),
            ),
        );
    }
}

/// The server's input rules where a schema can state them, from the rules' own definitions: a request the
/// document allows is one the server accepts.
struct InputRules;

impl Modify for InputRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let (name, description) = (TokenName::pattern(), Description::pattern());
        let selector = LabelSelector::pattern();
        // (schema, property, minLength, maxLength, pattern)
        let rules = [
            (
                "RegisterTokenRequest",
                "client_name",
                Some(1),
                Some(TokenName::MAX_CHARS),
                name.as_str(),
            ),
            (
                "RegisterTokenRequest",
                "access_ttl",
                None,
                None,
                ACCESS_TTL_PATTERN,
            ),
            (
                "RegisterTokenRequest",
                "refresh_ttl",
                None,
                None,
                REFRESH_TTL_PATTERN,
            ),
            (
                "RegisterTokenRequest",
                "label_selector",
                Some(2),
                Some(LabelSelector::MAX_CHARS),
                selector.as_str(),
            ),
            (
                "TokenPatch",
                "description",
                None,
                Some(Description::MAX_CHARS),
                description.as_str(),
            ),
        ];
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (schema, property, min, max, pattern) in rules {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
                continue;
            };
            if let Some(RefOr::T(Schema::Object(field))) = object.properties.get_mut(property) {
                field.min_length = min;
                field.max_length = max;
                field.pattern = Some(pattern.to_owned());
            }
        }
    }
}

/// The document, rendered once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi().to_pretty_json().unwrap_or_else(|err| {
            tracing::error!(error = %err, "the OpenAPI document failed to render");
            String::from("{}")
        })
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 description of this API", content_type = "application/json"))
)]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document())
}
