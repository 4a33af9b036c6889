//! Profiles: at most one per user. Validation, ownership and queries.

use std::collections::HashMap;

pub mod rows;

use entity::{profile, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, Set,
    SqlErr, sea_query::IntoColumnRef,
};
use uuid::Uuid;

pub use rows::ProfileView;

use self::rows::{ProfileRow, with_user};
use crate::{
    domain::{
        Ctx,
        actor::{Actor, User},
        input::{Field, present},
        pagination::{self, KeyColumns, Page, PageRequest},
        search,
        time::now,
    },
    error::{AppError, Result, Validator},
};

pub const ALREADY_EXISTS: &str = "You already have a profile.";
const URL_MAX: usize = 500;

/// Fields of a create or update; only `avatar_url` and `website` may be null.
#[derive(Debug, Default, Clone)]
pub struct ProfileInput {
    pub display_name: Field<String>,
    pub bio: Field<String>,
    pub avatar_url: Field<String>,
    pub location: Field<String>,
    pub website: Field<String>,
}

/// List filters (REST query parameters, GraphQL `ProfileFilter`).
#[derive(Debug, Default, Clone)]
pub struct ProfileFilter {
    pub username: Option<String>,
    pub search: Option<String>,
}

/// A plain text field of at most `max` characters, stored as sent.
fn bounded(v: &mut Validator, field: &str, value: Field<&str>, max: usize) -> Option<String> {
    if value.is_absent() {
        return None;
    }
    let value = v.check(field, present(value))?;
    if value.chars().count() > max {
        v.add(
            field,
            format!("Ensure this field has no more than {max} characters."),
        );
        return None;
    }
    Some(value.to_string())
}

/// An optional http(s) URL; `null` or an empty string means none.
fn url(v: &mut Validator, field: &str, value: Field<&str>) -> Option<Option<String>> {
    let value = match value {
        Field::Absent => return None,
        Field::Null => return Some(None),
        Field::Value(raw) => raw.trim(),
    };
    if value.is_empty() {
        return Some(None);
    }
    let raw = v.check(field, present(Field::Value(value)))?;
    let mut ok = true;
    if raw.chars().count() > URL_MAX {
        v.add(
            field,
            format!("Ensure this field has no more than {URL_MAX} characters."),
        );
        ok = false;
    }
    if !is_http_url(raw) {
        v.add(field, "Enter a valid URL.");
        ok = false;
    }
    ok.then(|| Some(raw.to_string()))
}

/// `http://` or `https://`, a host with a dot (or `localhost`), no spaces.
fn is_http_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return false;
    };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host_port
        }
    });
    !s.chars().any(char::is_whitespace)
        && !host.is_empty()
        && (host == "localhost" || host.contains('.'))
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

struct Valid {
    display_name: Option<String>,
    bio: Option<String>,
    avatar_url: Option<Option<String>>,
    location: Option<String>,
    website: Option<Option<String>>,
}

fn validate(input: &ProfileInput) -> Result<Valid> {
    let mut v = Validator::new();
    let valid = Valid {
        display_name: bounded(&mut v, "display_name", input.display_name.as_deref(), 100),
        bio: bounded(&mut v, "bio", input.bio.as_deref(), 2000),
        avatar_url: url(&mut v, "avatar_url", input.avatar_url.as_deref()),
        location: bounded(&mut v, "location", input.location.as_deref(), 100),
        website: url(&mut v, "website", input.website.as_deref()),
    };
    v.finish()?;
    Ok(valid)
}

/// Creates the caller's profile; a second one is a conflict.
pub async fn create(ctx: &Ctx, actor: &Actor, input: ProfileInput) -> Result<ProfileView> {
    let me = actor.require()?;
    let valid = validate(&input)?;
    let exists = profile::Entity::find()
        .filter(profile::Column::UserId.eq(me.user.id))
        .count(&ctx.db)
        .await?;
    if exists > 0 {
        return Err(AppError::Conflict(ALREADY_EXISTS.into()));
    }
    let at = now();
    let display_name = valid.display_name.unwrap_or_default();
    let p = profile::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(me.user.id),
        display_name_folded: Set(search::fold(&display_name)),
        display_name: Set(display_name),
        bio: Set(valid.bio.unwrap_or_default()),
        avatar_url: Set(valid.avatar_url.flatten()),
        location: Set(valid.location.unwrap_or_default()),
        website: Set(valid.website.flatten()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&ctx.db)
    .await
    .map_err(|e| match e.sql_err() {
        // Two creates racing: the unique key on user_id decides.
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(ALREADY_EXISTS.into()),
        _ => e.into(),
    })?;
    Ok(ProfileView::new(p, me.user.username.clone()))
}

/// A profile by id (profiles are public).
pub async fn get(ctx: &Ctx, id: Uuid) -> Result<Option<ProfileView>> {
    Ok(with_user(profile::Entity::find_by_id(id))
        .one(&ctx.db)
        .await?
        .map(|row| row.split().0))
}

/// Only the owner and staff may change a profile.
fn check_write(p: &ProfileView, actor: &Actor) -> Result<()> {
    let me = actor.require()?;
    if p.user_id != me.user.id && !me.user.is_staff {
        return Err(AppError::PermissionDenied);
    }
    Ok(())
}

/// Updates a profile (PUT and PATCH alike: every field is optional).
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    input: ProfileInput,
) -> Result<ProfileView> {
    actor.require()?;
    let current = get(ctx, id).await?.ok_or(AppError::NotFound)?;
    check_write(&current, actor)?;
    let valid = validate(&input)?;
    let mut active = profile::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(current.id),
        ..Default::default()
    };
    if let Some(x) = valid.display_name {
        active.display_name_folded = Set(search::fold(&x));
        active.display_name = Set(x);
    }
    if let Some(x) = valid.bio {
        active.bio = Set(x);
    }
    if let Some(x) = valid.avatar_url {
        active.avatar_url = Set(x);
    }
    if let Some(x) = valid.location {
        active.location = Set(x);
    }
    if let Some(x) = valid.website {
        active.website = Set(x);
    }
    active.updated_at = Set(now());
    let updated = active.update(&ctx.db).await.map_err(|e| match e {
        // Deleted since it was read.
        sea_orm::DbErr::RecordNotUpdated => AppError::NotFound,
        other => other.into(),
    })?;
    Ok(ProfileView::new(updated, current.username))
}

/// Deletes a profile.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<()> {
    actor.require()?;
    let p = get(ctx, id).await?.ok_or(AppError::NotFound)?;
    check_write(&p, actor)?;
    profile::Entity::delete_by_id(p.id).exec(&ctx.db).await?;
    Ok(())
}

fn list_condition(filter: &ProfileFilter) -> Result<Condition> {
    search::check("search", filter.search.as_deref())?;
    search::check("username", filter.username.as_deref())?;
    let mut cond = Condition::all();
    if let Some(u) = filter.username.as_deref() {
        cond = cond.add(user::Column::UsernameKey.eq(u.trim().to_ascii_lowercase()));
    }
    let searched = [
        (user::Entity, user::Column::UsernameKey).into_column_ref(),
        (profile::Entity, profile::Column::DisplayNameFolded).into_column_ref(),
    ];
    if let Some(s) = search::condition(filter.search.as_deref(), &searched) {
        cond = cond.add(s);
    }
    Ok(cond)
}

/// One page of profiles.
pub async fn list(
    ctx: &Ctx,
    filter: &ProfileFilter,
    page: &PageRequest,
) -> Result<Page<ProfileView>> {
    Ok(list_with_users(ctx, filter, page).await?.map(|(p, _)| p))
}

/// Like [`list`], with each profile's user (loaded by the same query).
pub async fn list_with_users(
    ctx: &Ctx,
    filter: &ProfileFilter,
    page: &PageRequest,
) -> Result<Page<(ProfileView, User)>> {
    let select = profile::Entity::find().filter(list_condition(filter)?);
    let keys = KeyColumns {
        created_at: profile::Column::CreatedAt,
        id: profile::Column::Id,
    };
    let (select, plan) = pagination::plan(select, keys, page);
    let rows = with_user(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(ProfileRow::split))
}

/// How many profiles match `filter`.
pub async fn count(ctx: &Ctx, filter: &ProfileFilter) -> Result<u64> {
    Ok(profile::Entity::find()
        .inner_join(user::Entity)
        .filter(list_condition(filter)?)
        .count(&ctx.db)
        .await?)
}

/// The profiles of the given users, by user id (for batching).
pub async fn by_users(ctx: &Ctx, user_ids: &[Uuid]) -> Result<HashMap<Uuid, ProfileView>> {
    let rows = with_user(
        profile::Entity::find().filter(profile::Column::UserId.is_in(user_ids.iter().copied())),
    )
    .all(&ctx.db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (p, _) = row.split();
            (p.user_id, p)
        })
        .collect())
}

/// The position of a profile in the ordering (its cursor).
pub fn position(p: &ProfileView) -> pagination::Position {
    pagination::Position {
        created_at: p.created_at.0,
        id: p.id,
    }
}
