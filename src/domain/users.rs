//! Users: the username, email and password rules, what others may see of a user,
//! and changes to one's own account.

use std::collections::HashMap;

use entity::user;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    SqlErr, sea_query::Condition,
};
use uuid::Uuid;

use crate::{
    domain::{
        Ctx,
        actor::{Actor, AuthUser, User},
        input::{Field, non_blank},
        time::Timestamp,
    },
    error::{AppError, Result, Validator},
};

pub const USERNAME_TAKEN: &str = "A user with that username already exists.";
pub const EMAIL_TAKEN: &str = "A user is already registered with this e-mail address.";
pub const USERNAME_INVALID: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
pub const EMAIL_INVALID: &str = "Enter a valid email address.";

/// A valid username: 3–150 ASCII letters, digits and `@ . + - _`.
#[derive(Debug, Clone)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: Field<&str>) -> std::result::Result<Self, Vec<String>> {
        let v = non_blank(raw)?;
        let mut errors = Vec::new();
        let len = v.chars().count();
        if len < 3 {
            errors.push("Ensure this field has at least 3 characters.".to_string());
        }
        if len > 150 {
            errors.push("Ensure this field has no more than 150 characters.".to_string());
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.+-_".contains(c))
        {
            errors.push(USERNAME_INVALID.to_string());
        }
        if errors.is_empty() {
            Ok(Username(v.to_string()))
        } else {
            Err(errors)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive uniqueness key.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A syntactically valid email address (ASCII, ≤ 254 characters).
#[derive(Debug, Clone)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: Field<&str>) -> std::result::Result<Self, Vec<String>> {
        let v = non_blank(raw)?;
        if is_valid_email(v) {
            Ok(Email(v.to_string()))
        } else {
            Err(vec![EMAIL_INVALID.to_string()])
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive uniqueness key.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

fn is_valid_email(v: &str) -> bool {
    if v.len() > 254 {
        return false;
    }
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// The password rules (Django's validators' wording). `username` and `email`,
/// when known, must not equal the password, ignoring case.
pub fn password_problems(
    password: &str,
    username: Option<&str>,
    email: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let len = password.chars().count();
    if len < 8 {
        problems.push("This password is too short. It must contain at least 8 characters.".into());
    }
    if len > 128 {
        problems.push("This password is too long. It must contain at most 128 characters.".into());
    }
    if !password.is_empty() && password.chars().all(|c| c.is_ascii_digit()) {
        problems.push("This password is entirely numeric.".into());
    }
    let lower = password.to_lowercase();
    if username.is_some_and(|u| u.to_lowercase() == lower) {
        problems.push("The password is too similar to the username.".into());
    }
    if email.is_some_and(|e| e.to_lowercase() == lower) {
        problems.push("The password is too similar to the email address.".into());
    }
    problems
}

/// A user as others see it: the email only for the user themself and staff.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    /// Seen like `email`: by the user themself and staff.
    pub email_verified: Option<bool>,
    pub is_staff: bool,
    pub date_joined: Timestamp,
    pub last_login: Option<Timestamp>,
}

impl UserView {
    /// The user as `viewer` may see them.
    pub fn for_viewer(user: &User, viewer: &Actor) -> Self {
        let sees_email = viewer.is_staff() || viewer.user_id() == Some(user.id);
        Self {
            id: user.id,
            username: user.username.clone(),
            email: sees_email.then(|| user.email.clone()),
            email_verified: sees_email.then_some(user.email_verified),
            is_staff: user.is_staff,
            date_joined: user.date_joined.into(),
            last_login: user.last_login.map(Into::into),
        }
    }

    /// The user as they see themself.
    pub fn own(user: &User) -> Self {
        Self {
            email: Some(user.email.clone()),
            email_verified: Some(user.email_verified),
            ..Self::for_viewer(user, &Actor(None))
        }
    }
}

/// Records "already taken" errors for a username and/or email held by another user.
pub async fn check_unique(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    username: Option<&Username>,
    email: Option<&Email>,
    except: Option<Uuid>,
) -> Result<()> {
    let (ukey, ekey) = (username.map(Username::key), email.map(Email::key));
    if ukey.is_none() && ekey.is_none() {
        return Ok(());
    }
    let mut cond = Condition::any();
    if let Some(k) = &ukey {
        cond = cond.add(user::Column::UsernameKey.eq(k.as_str()));
    }
    if let Some(k) = &ekey {
        cond = cond.add(user::Column::EmailKey.eq(k.as_str()));
    }
    #[derive(FromQueryResult)]
    struct Keys {
        id: Uuid,
        username_key: String,
        email_key: String,
    }
    let clashes = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::UsernameKey,
            user::Column::EmailKey,
        ])
        .filter(cond)
        .into_model::<Keys>()
        .all(db)
        .await?;
    for other in clashes.iter().filter(|u| Some(u.id) != except) {
        if ukey.as_deref() == Some(other.username_key.as_str()) && !v.has("username") {
            v.add("username", USERNAME_TAKEN);
        }
        if ekey.as_deref() == Some(other.email_key.as_str()) && !v.has("email") {
            v.add("email", EMAIL_TAKEN);
        }
    }
    Ok(())
}

/// Turns a unique-key violation on `users` (a race past [`check_unique`]) into
/// the field error it stands for.
pub fn map_unique_violation(err: DbErr) -> AppError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
        if msg.contains("email_key") {
            return AppError::field("email", EMAIL_TAKEN);
        }
        if msg.contains("username_key") {
            return AppError::field("username", USERNAME_TAKEN);
        }
    }
    err.into()
}

/// The caller's own user.
pub fn me(auth: &AuthUser) -> UserView {
    UserView::own(&auth.user)
}

/// A user by id, without the password hash.
pub async fn load_user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>> {
    Ok(user::Entity::find_by_id(id)
        .select_only()
        .columns(User::COLUMNS)
        .into_model::<User>()
        .one(db)
        .await?)
}

/// The user with this address (ignoring case), without the password hash.
pub async fn find_by_email(db: &impl ConnectionTrait, email: &Email) -> Result<Option<User>> {
    Ok(user::Entity::find()
        .select_only()
        .columns(User::COLUMNS)
        .filter(user::Column::EmailKey.eq(email.key()))
        .into_model::<User>()
        .one(db)
        .await?)
}

/// Users by id, for batching.
pub async fn by_ids(ctx: &Ctx, ids: &[Uuid]) -> Result<HashMap<Uuid, User>> {
    let rows = user::Entity::find()
        .select_only()
        .columns(User::COLUMNS)
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_model::<User>()
        .all(&ctx.db)
        .await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// A user by id, as the viewer may see them.
pub async fn find(ctx: &Ctx, viewer: &Actor, id: Uuid) -> Result<Option<UserView>> {
    let user = load_user(&ctx.db, id).await?;
    Ok(user.map(|u| UserView::for_viewer(&u, viewer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse(Field::Value("al.ice+1@x-y_z")).is_ok());
        assert_eq!(
            Username::parse(Field::Value("  bob  ")).unwrap().as_str(),
            "bob"
        );
        assert!(Username::parse(Field::Value("ab")).is_err());
        assert!(Username::parse(Field::Value(&"a".repeat(151))).is_err());
        assert!(Username::parse(Field::Value("bad name")).is_err());
        assert!(Username::parse(Field::Value("ünï")).is_err());
        assert!(Username::parse(Field::Value("   ")).is_err());
        assert!(Username::parse(Field::Absent).is_err());
        assert_eq!(
            Username::parse(Field::Value("AlIcE")).unwrap().key(),
            "alice"
        );
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "x_y@ex-ample.com",
        ] {
            assert!(Email::parse(Field::Value(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a@-b.com",
            "a@b.c",
        ] {
            assert!(Email::parse(Field::Value(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(password_problems("correct-horse", Some("alice"), Some("a@b.co")).is_empty());
        assert_eq!(password_problems("short", None, None).len(), 1);
        assert_eq!(password_problems("123456789", None, None).len(), 1);
        assert_eq!(
            password_problems("AliceAlice", Some("alicealice"), None).len(),
            1
        );
        assert_eq!(password_problems(&"x".repeat(129), None, None).len(), 1);
    }
}
