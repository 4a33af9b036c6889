//! `/graphql`: GraphQL over HTTP (POST, GET) and the GraphiQL page for browsers.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Executor, ServerError};
use async_graphql_axum::GraphQLBatchRequest;
use axum::{
    Extension, Router,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use super::{
    engine::{Engine, operation_type, request_error},
    limits::{MAX_BATCH, REQUEST_ERROR_CODES, coded},
    loaders::Loaders,
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        sessions::{Caller, claim},
    },
    error::AppError,
    http::{actor::bearer_token, client_ip::ClientIp, json::is_json},
    state::AppState,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The GraphiQL page. It and its files (GraphiQL and React, vendored) are in
/// `web/`; `web::router` serves the files.
const GRAPHIQL_HTML: &str = include_str!("../../web/playground.html");

/// GraphiQL loads only from this origin and talks only to it (`'self'` covers
/// the WebSocket to `/graphql/ws`); its stylesheet carries its fonts and
/// icons as `data:` URLs. The `<style>` its dialogs insert to lock scrolling
/// is refused, harmlessly: the page never scrolls.
const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

fn wants_graphql_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(GRAPHQL_RESPONSE_JSON))
}

/// A whole request refused by its token: 401 with UNAUTHENTICATED.
fn refused(e: AppError, headers: &HeaderMap) -> Response {
    render(
        BatchResponse::Single(request_error(e)),
        wants_graphql_json(headers),
        Some(StatusCode::UNAUTHORIZED),
    )
}

/// The caller, resolved before the body is even read: a token that is not
/// well-signed fails the whole request, whatever else is wrong with it. Its
/// session is checked by the first read that needs the caller (in that read's
/// own statement where it can), before any operation that is not a query,
/// and in any case before the response leaves ([`execute`]).
fn caller(ctx: &Ctx, headers: &HeaderMap) -> Result<Arc<Caller>, AppError> {
    let claimed = match headers.get(header::AUTHORIZATION) {
        None => Ok(Caller::known(Actor(None))),
        Some(value) => value
            .to_str()
            .map_err(|_| AppError::TokenNotValid)
            .and_then(bearer_token)
            .and_then(|token| claim(ctx, token))
            .map(Caller::claimed),
    };
    claimed.map(Arc::new)
}

async fn execute(
    ctx: &Ctx,
    engine: Engine,
    client: ClientIp,
    caller: &Arc<Caller>,
    headers: &HeaderMap,
    req: BatchRequest,
) -> Response {
    let wants_graphql_json = wants_graphql_json(headers);
    if let BatchRequest::Batch(requests) = &req
        && requests.len() > MAX_BATCH
    {
        let error = coded(
            format!("A batch may hold at most {MAX_BATCH} operations."),
            "QUERY_TOO_COMPLEX",
        );
        let refused = BatchResponse::Single(async_graphql::Response::from_errors(vec![error]));
        return render(refused, wants_graphql_json, Some(StatusCode::BAD_REQUEST));
    }
    let loaders = Loaders::new(ctx, caller);
    let req = req.data(caller.clone()).data(client).data(loaders);
    render(engine.execute_batch(req).await, wants_graphql_json, None)
}

/// The response, once the caller's session is checked (if no read did):
/// a revoked token fails the whole request, whatever else it met.
async fn answer(ctx: &Ctx, caller: &Caller, headers: &HeaderMap, response: Response) -> Response {
    match caller.actor(ctx).await {
        Ok(_) => response,
        Err(e) => refused(e, headers),
    }
}

fn error_code(e: &ServerError) -> Option<String> {
    e.extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        })
}

/// A request that failed to parse or validate: its response has no `data` at all.
fn is_request_error(r: &async_graphql::Response) -> bool {
    r.data == async_graphql::Value::Null
        && r.errors
            .first()
            .and_then(error_code)
            .is_some_and(|c| REQUEST_ERROR_CODES.contains(&c.as_str()))
}

/// A response as it goes on the wire: without `data` when the request was
/// refused before it ran. Serialised straight to bytes (no JSON tree).
#[derive(serde::Serialize)]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: std::collections::BTreeMap<String, async_graphql::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ServerError>,
}

fn body(mut r: async_graphql::Response, refused: bool) -> Body {
    // Every error carries a code: those async-graphql raises itself before a
    // field runs (unknown operation, undefined variable, …) are validation
    // failures; those while coercing a field's arguments are bad input.
    let fallback = if r.data == async_graphql::Value::Null {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        "BAD_USER_INPUT"
    };
    for e in &mut r.errors {
        if error_code(e).is_none() && e.message != "PersistedQueryNotFound" {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", fallback);
        }
    }
    // Apollo Server's code for an automatic persisted query it does not know.
    for e in &mut r.errors {
        if e.message == "PersistedQueryNotFound" && error_code(e).is_none() {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "PERSISTED_QUERY_NOT_FOUND");
        }
    }
    let no_data = refused
        || is_request_error(&r)
        || r.errors.first().and_then(error_code).as_deref() == Some("PERSISTED_QUERY_NOT_FOUND");
    Body {
        data: (!no_data).then_some(r.data),
        extensions: r.extensions,
        errors: r.errors,
    }
}

/// Serialises as `application/json` (status 200), or as
/// `application/graphql-response+json` when accepted (then a request refused
/// before execution is 4xx). `refused_with` marks a request refused by the
/// server itself (bad token, oversized batch) and its status.
fn render(resp: BatchResponse, graphql_json: bool, refused_with: Option<StatusCode>) -> Response {
    let (status, body) = match resp {
        BatchResponse::Single(r) => {
            let status = match refused_with {
                Some(status) if graphql_json => status,
                None if graphql_json && is_request_error(&r) => StatusCode::BAD_REQUEST,
                _ => StatusCode::OK,
            };
            (status, serde_json::to_vec(&body(r, refused_with.is_some())))
        }
        BatchResponse::Batch(rs) => (
            StatusCode::OK,
            serde_json::to_vec(&rs.into_iter().map(|r| body(r, false)).collect::<Vec<_>>()),
        ),
    };
    // A response is a tree of strings, numbers and maps: it always serialises.
    let body = body.unwrap_or_default();
    let content_type = if graphql_json {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// POST: JSON bodies only (a "simple" cross-origin form or text POST is
/// refused with 415, as the REST layer does).
async fn graphql_post(
    State(ctx): State<Ctx>,
    client: ClientIp,
    Extension(engine): Extension<Engine>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json(content_type) {
        return AppError::UnsupportedMediaType(content_type.to_string()).into_response();
    }
    let caller = match caller(&ctx, &headers) {
        Ok(caller) => caller,
        Err(e) => return refused(e, &headers),
    };
    let response =
        match <GraphQLBatchRequest as axum::extract::FromRequest<()>>::from_request(req, &()).await
        {
            Ok(batch) => execute(&ctx, engine, client, &caller, &headers, batch.into_inner()).await,
            Err(rejection) => malformed(rejection, &headers),
        };
    answer(&ctx, &caller, &headers, response).await
}

/// GET: a browser without a query gets GraphiQL; anything else is a query.
async fn graphql_get(
    State(ctx): State<Ctx>,
    client: ClientIp,
    Extension(engine): Extension<Engine>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && query.as_deref().is_none_or(|q| !q.contains("query=")) {
        return (
            [
                (header::CONTENT_SECURITY_POLICY, GRAPHIQL_CSP),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            Html(GRAPHIQL_HTML),
        )
            .into_response();
    }
    let caller = match caller(&ctx, &headers) {
        Ok(caller) => caller,
        Err(e) => return refused(e, &headers),
    };
    let response =
        match <GraphQLBatchRequest as axum::extract::FromRequest<()>>::from_request(req, &()).await
        {
            Ok(batch) => {
                let batch = batch.into_inner();
                if batch.iter().any(is_mutation) {
                    // GraphQL over HTTP: GET may only query.
                    let mut r = AppError::MethodNotAllowed(axum::http::Method::GET).into_response();
                    r.headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static("POST"));
                    r
                } else {
                    execute(&ctx, engine, client, &caller, &headers, batch).await
                }
            }
            Err(rejection) => malformed(rejection, &headers),
        };
    answer(&ctx, &caller, &headers, response).await
}

/// A body or query string that is not a GraphQL request: 400 with a JSON
/// error, never the extractor's debug text.
fn malformed(
    rejection: async_graphql_axum::rejection::GraphQLRejection,
    headers: &HeaderMap,
) -> Response {
    let graphql_json = wants_graphql_json(headers);
    let detail = match &rejection.0 {
        async_graphql::ParseRequestError::InvalidRequest(e) => {
            format!("Malformed GraphQL request: {e}")
        }
        async_graphql::ParseRequestError::PayloadTooLarge => "Request body is too large.".into(),
        _ => "Malformed GraphQL request.".into(),
    };
    let status = match &rejection.0 {
        async_graphql::ParseRequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = render(
        BatchResponse::Single(async_graphql::Response::from_errors(vec![coded(
            detail,
            "BAD_REQUEST",
        )])),
        graphql_json,
        Some(status),
    );
    *r.status_mut() = status;
    r
}

/// Does the request select a mutation (or subscription) operation?
fn is_mutation(req: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    async_graphql::parser::parse_query(&req.query).is_ok_and(|doc| {
        operation_type(&doc, req.operation_name.as_deref())
            .is_some_and(|ty| ty != OperationType::Query)
    })
}

pub fn router(engine: Engine) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(super::ws::graphql_ws))
        .layer(Extension(engine))
}
