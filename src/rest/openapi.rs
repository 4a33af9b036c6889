//! The OpenAPI 3.1 document of the REST layer, generated from the handlers'
//! `#[utoipa::path]` annotations (`GET /api/openapi.json`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::{
    Modify, OpenApi, PartialSchema, ToSchema,
    openapi::{
        RefOr,
        schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::domain::time::Timestamp;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spider Web REST API",
        description = "The REST compatibility layer (DRF / dj-rest-auth shapes). \
                       Every route answers with and without a trailing slash."
    ),
    components(schemas(ErrorBody, ValidationErrors, DetailBody)),
    modifiers(&BearerAuth)
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
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// `{"detail", "code"}`: every error that is not a validation error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: String,
    pub code: String,
}

/// `{"detail"}`: a success message.
#[derive(Serialize, ToSchema)]
pub struct DetailBody {
    pub detail: &'static str,
}

/// A validation error: field name → messages (`non_field_errors` for the rest).
#[derive(Serialize, ToSchema)]
#[schema(value_type = BTreeMap<String, Vec<String>>)]
pub struct ValidationErrors(pub BTreeMap<String, Vec<String>>);

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 UTC, microseconds, `Z`"))
            .into()
    }
}

impl ToSchema for Timestamp {}
