//! `/graphql`: GraphQL over HTTP (POST, GET) and the GraphiQL page for browsers.

use async_graphql::{ServerError, http::GraphiQLSource};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::{
    Extension, Router,
    extract::{RawQuery, State},
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use super::{AppSchema, loaders::Loaders};
use crate::{auth::Actor, error::AppError, state::AppState};

async fn execute(
    state: AppState,
    schema: AppSchema,
    headers: HeaderMap,
    req: GraphQLBatchRequest,
) -> Response {
    let actor = match Actor::from_headers(&state, &headers).await {
        Ok(actor) => actor,
        // A bad token fails the whole request, before any field runs.
        Err(e) => return GraphQLResponse::from(request_error(e)).into_response(),
    };
    let req = req.into_inner().data(actor).data(Loaders::new(&state));
    GraphQLResponse::from(schema.execute_batch(req).await).into_response()
}

/// A response with one error and no data.
fn request_error(e: AppError) -> async_graphql::Response {
    let err = e.into_graphql();
    let mut server_error = ServerError::new(err.message, None);
    server_error.extensions = err.extensions;
    async_graphql::Response::from_errors(vec![server_error])
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    headers: HeaderMap,
    req: GraphQLBatchRequest,
) -> Response {
    execute(state, schema, headers, req).await
}

/// GET: a browser without a query gets GraphiQL; anything else is a query.
async fn graphql_get(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && query.as_deref().is_none_or(|q| !q.contains("query=")) {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .title("Spider Web GraphiQL")
                .finish(),
        )
        .into_response();
    }
    match <GraphQLBatchRequest as axum::extract::FromRequest<()>>::from_request(req, &()).await {
        Ok(batch) => execute(state, schema, headers, batch).await,
        Err(rejection) => rejection.into_response(),
    }
}

pub fn router(schema: AppSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(super::ws::graphql_ws))
        .layer(Extension(schema))
}
