//! DRF cursor pagination for list routes: query parameters in, a
//! `{"next", "previous", "results"}` page out.

use axum::http::{HeaderMap, header};
use serde::Serialize;

use crate::{
    domain::pagination::{Ordering, Page, PageRequest, Position, rest_page_size},
    error::{AppError, FieldErrors, Result},
};

/// The query string of a list request.
pub struct ListParams {
    pairs: Vec<(String, String)>,
}

/// A DRF cursor page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PageBody<T> {
    next: Option<String>,
    previous: Option<String>,
    results: Vec<T>,
}

impl ListParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { pairs }
    }

    /// The last value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `page_size`, `cursor` and `ordering` as a page request; errors name
    /// their parameter (all of them at once).
    pub fn page_request(&self) -> Result<PageRequest> {
        self.page_request_ordered(Ordering::NewestFirst)
    }

    /// [`Self::page_request`] for a list whose default order is `default`.
    pub fn page_request_ordered(&self, default: Ordering) -> Result<PageRequest> {
        let mut errors = FieldErrors::new();
        let size = rest_page_size(self.get("page_size"))
            .map_err(|e| collect(&mut errors, e))
            .ok();
        let ordering = match self.get("ordering").map(str::trim) {
            None | Some("") => Some(default),
            Some("-created_at") => Some(Ordering::NewestFirst),
            Some("created_at") => Some(Ordering::OldestFirst),
            Some(_) => {
                errors.insert("ordering".into(), vec!["Invalid ordering.".into()]);
                None
            }
        };
        let cursor = match self.get("cursor").filter(|c| !c.is_empty()) {
            None => Some(None),
            Some(c) => match decode_cursor(c) {
                Some(pc) => Some(Some(pc)),
                None => {
                    errors.insert("cursor".into(), vec!["Invalid cursor.".into()]);
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (size, ordering, cursor) = (
            size.unwrap_or_default(),
            ordering.unwrap_or_default(),
            cursor.flatten(),
        );
        Ok(match cursor {
            Some((true, pos)) => PageRequest {
                after: Some(pos),
                first: Some(size),
                ordering,
                ..Default::default()
            },
            Some((false, pos)) => PageRequest {
                before: Some(pos),
                last: Some(size),
                ordering,
                ..Default::default()
            },
            None => PageRequest {
                first: Some(size),
                ordering,
                ..Default::default()
            },
        })
    }

    /// The page body, with absolute `next`/`previous` links that keep every
    /// other parameter.
    pub fn page_body<T, U: Serialize>(
        &self,
        headers: &HeaderMap,
        path: &str,
        page: Page<T>,
        position: impl Fn(&T) -> Position,
        render: impl FnMut(T) -> U,
    ) -> PageBody<U> {
        let link = |forward: bool, pos: Position| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in self.pairs.iter().filter(|(k, _)| k != "cursor") {
                query.append_pair(k, v);
            }
            query.append_pair("cursor", &encode_cursor(forward, &pos));
            format!("{}?{}", absolute_url(headers, path), query.finish())
        };
        let next = page
            .items
            .last()
            .filter(|_| page.has_next)
            .map(|last| link(true, position(last)));
        let previous = page
            .items
            .first()
            .filter(|_| page.has_previous)
            .map(|first| link(false, position(first)));
        PageBody {
            next,
            previous,
            results: page.items.into_iter().map(render).collect(),
        }
    }
}

fn collect(errors: &mut FieldErrors, e: AppError) {
    if let AppError::Validation(map) = e {
        errors.extend(map);
    }
}

/// A REST cursor: the direction (`n` next, `p` previous) and a position.
fn encode_cursor(forward: bool, pos: &Position) -> String {
    format!("{}{}", if forward { 'n' } else { 'p' }, pos.encode())
}

fn decode_cursor(c: &str) -> Option<(bool, Position)> {
    let forward = match c.as_bytes().first()? {
        b'n' => true,
        b'p' => false,
        _ => return None,
    };
    Position::decode(&c[1..]).map(|p| (forward, p))
}

/// Both results, or every field error of either.
pub fn both<A, B>(a: Result<A>, b: Result<B>) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(AppError::Validation(mut x)), Err(AppError::Validation(y))) => {
            x.extend(y);
            Err(AppError::Validation(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// `http://<Host><path>` for links and `Location` headers.
pub fn absolute_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{path}")
}

/// 201 Created with the new resource's absolute `Location`.
pub fn created<T: Serialize>(headers: &HeaderMap, path: &str, body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::CREATED,
        [(header::LOCATION, absolute_url(headers, path))],
        axum::Json(body),
    )
        .into_response()
}

/// A resource id from the path. Anything that is not a UUID names nothing:
/// 404, decided before the body is read (as DRF finds the object first).
pub struct PathId(pub uuid::Uuid);

/// A nested route's two ids (`/cards/{id}/replies/{reply_id}`); either one
/// not a UUID is a 404.
pub struct PathIds(pub uuid::Uuid, pub uuid::Uuid);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathIds {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        match (uuid::Uuid::try_parse(&a), uuid::Uuid::try_parse(&b)) {
            (Ok(a), Ok(b)) => Ok(PathIds(a, b)),
            _ => Err(AppError::NotFound),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        uuid::Uuid::try_parse(&raw)
            .map(PathId)
            .map_err(|_| AppError::NotFound)
    }
}
