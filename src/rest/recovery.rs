//! `/api/auth/password/reset/…` and `/api/auth/registration/…`: dj-rest-auth's
//! password reset and allauth's e-mail verification, over the accounts domain.

use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::openapi::{DetailBody, ErrorBody, ValidationErrors};
use crate::{
    domain::{
        Ctx,
        accounts::{self, ResetPasswordInput},
        input::Field,
    },
    error::Result,
    http::{client_ip::ClientIp, json::JsonBody},
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
struct EmailBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Field<String>,
}

#[derive(Deserialize, ToSchema)]
struct KeyBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    key: Field<String>,
}

#[derive(Deserialize, ToSchema)]
struct ResetConfirmBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    uid: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    token: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    new_password1: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    new_password2: Field<String>,
}

/// The same answer for every well-formed address; a mail goes only to an account.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = EmailBody,
    responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 429, description = "Throttled", body = ErrorBody)))]
async fn password_reset(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<EmailBody>,
) -> Result<Json<DetailBody>> {
    accounts::request_password_reset(&ctx, client.0, b.email).await?;
    Ok(Json(DetailBody {
        detail: "Password reset e-mail has been sent.",
    }))
}

#[utoipa::path(post, path = "/auth/password/reset/confirm", tag = "auth", request_body = ResetConfirmBody,
    responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 429, description = "Throttled", body = ErrorBody)))]
async fn password_reset_confirm(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<ResetConfirmBody>,
) -> Result<Json<DetailBody>> {
    let input = ResetPasswordInput {
        uid: b.uid,
        token: b.token,
        new_password1: b.new_password1,
        new_password2: b.new_password2,
    };
    accounts::reset_password(&ctx, client.0, input).await?;
    Ok(Json(DetailBody {
        detail: "Password has been reset with the new password.",
    }))
}

#[utoipa::path(post, path = "/auth/registration/verify-email", tag = "auth", request_body = KeyBody,
    responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 404, description = "Unknown, expired, used or superseded key", body = ErrorBody)))]
async fn verify_email(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<KeyBody>,
) -> Result<Json<DetailBody>> {
    accounts::verify_email(&ctx, client.0, b.key).await?;
    Ok(Json(DetailBody { detail: "ok" }))
}

/// The same answer for every well-formed address; a mail goes only to an
/// account whose address is still unverified.
#[utoipa::path(post, path = "/auth/registration/resend-email", tag = "auth", request_body = EmailBody,
    responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 429, description = "Throttled", body = ErrorBody)))]
async fn resend_email(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<EmailBody>,
) -> Result<Json<DetailBody>> {
    accounts::resend_verification(&ctx, client.0, b.email).await?;
    Ok(Json(DetailBody { detail: "ok" }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
        .routes(routes!(verify_email))
        .routes(routes!(resend_email))
}
