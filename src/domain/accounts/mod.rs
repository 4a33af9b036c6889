//! Accounts: sign-up, sign-in, the password and the e-mail address. The
//! password hash is read and written here and nowhere else.

pub mod email;
pub mod keys;
pub mod password;

pub use email::{UserUpdate, resend_verification, update_me, verify_email};
pub use password::{
    ChangePasswordInput, ResetPasswordInput, change_password, change_password_reissuing,
    request_password_reset, reset_password,
};

use std::net::IpAddr;

use entity::user;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    config::EmailVerification,
    domain::{
        Ctx,
        actor::User,
        input::{Field, non_empty},
        sessions::{SignedIn, open_session},
        time::now,
        users::{Email, UserView, Username, check_unique, map_unique_violation, password_problems},
    },
    error::{AppError, NON_FIELD_ERRORS, Result, Validator},
    throttle::Bucket,
};

pub const LOGIN_FAILED: &str = "Unable to log in with provided credentials.";
pub const REGISTER_MISMATCH: &str = "The two password fields didn't match.";
pub const CHANGE_MISMATCH: &str = "The two password fields didn\u{2019}t match.";
pub const OLD_PASSWORD_WRONG: &str =
    "Your old password was entered incorrectly. Please enter it again.";
pub const NOT_VERIFIED: &str = "E-mail is not verified.";

/// Requests that must not tell whether an address has an account (reset,
/// resend) answer no sooner than this after they arrive, whatever they found:
/// queueing a mail is a write, looking up nobody is not (0.7 ms apart on
/// SQLite, bench/reset-timing.sh), and the floor hides the difference.
const EVEN_ANSWER: std::time::Duration = std::time::Duration::from_millis(50);

/// Runs `work`, then waits until [`EVEN_ANSWER`] has passed since `started`.
async fn answer_evenly<T>(
    started: tokio::time::Instant,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let out = work.await;
    tokio::time::sleep_until(started + EVEN_ANSWER).await;
    out
}

#[derive(Debug, Default, Clone)]
pub struct RegisterInput {
    pub username: Field<String>,
    pub email: Field<String>,
    pub password1: Field<String>,
    pub password2: Field<String>,
}

#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    pub username: Field<String>,
    pub email: Field<String>,
    pub password: Field<String>,
}

/// What a registration gives: a signed-in account, or (with mandatory
/// verification) only a verification mail.
#[derive(Debug, Clone)]
pub enum Registered {
    SignedIn(SignedIn),
    VerificationSent(UserView),
}

/// Creates an account; signs it in unless verification is mandatory, and
/// queues its verification mail unless verification is off.
pub async fn register(ctx: &Ctx, client: IpAddr, input: RegisterInput) -> Result<Registered> {
    ctx.throttle.hit_ip(Bucket::RegisterIp, client).await?;
    let mut v = Validator::new();
    let username = v.check("username", Username::parse(input.username.as_deref()));
    let email = v.check("email", Email::parse(input.email.as_deref()));
    let password1 = v.check("password1", non_empty(input.password1.as_deref()));
    let password2 = v.check("password2", non_empty(input.password2.as_deref()));
    if let Some(p) = password1 {
        for problem in password_problems(
            p,
            username.as_ref().map(Username::as_str),
            email.as_ref().map(Email::as_str),
        ) {
            v.add("password1", problem);
        }
    }
    check_unique(&ctx.db, &mut v, username.as_ref(), email.as_ref(), None).await?;
    if v.is_empty() && password1 != password2 {
        v.add(NON_FIELD_ERRORS, REGISTER_MISMATCH);
    }
    v.finish()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password1) else {
        return Err(AppError::internal("validated register input is incomplete"));
    };
    let hash = ctx.passwords.hash(password).await?;
    let policy = ctx.mail.verification;
    let user = new_user(
        &username,
        &email,
        false,
        policy != EmailVerification::Mandatory,
    );
    let txn = ctx.db.begin().await?;
    insert_user(&txn, &user, hash).await?;
    if policy != EmailVerification::None {
        email::queue_verification(ctx, &txn, &user).await?;
    }
    let tokens = match policy {
        EmailVerification::Mandatory => None,
        _ => Some(open_session(ctx, &txn, user.id, now()).await?),
    };
    txn.commit().await?;
    ctx.mail.wake.notify_one();
    Ok(match tokens {
        Some(tokens) => Registered::SignedIn(SignedIn {
            user: UserView::own(&user),
            tokens,
        }),
        None => Registered::VerificationSent(UserView::own(&user)),
    })
}

/// A new user's row; staff (`create-admin`) are verified; `signed_in`:
/// their first session opens now.
fn new_user(username: &Username, email: &Email, is_staff: bool, signed_in: bool) -> User {
    let at = now();
    User {
        id: Uuid::now_v7(),
        username: username.as_str().to_string(),
        email: email.as_str().to_string(),
        is_staff,
        email_verified: is_staff,
        date_joined: at,
        last_login: signed_in.then_some(at),
    }
}

/// Inserts a user (nothing read back: the row holds the hash).
async fn insert_user(db: &impl sea_orm::ConnectionTrait, u: &User, hash: String) -> Result<()> {
    user::Entity::insert(user::ActiveModel {
        id: Set(u.id),
        username: Set(u.username.clone()),
        username_key: Set(u.username.to_ascii_lowercase()),
        email: Set(u.email.clone()),
        email_key: Set(u.email.to_lowercase()),
        password_hash: Set(hash),
        is_staff: Set(u.is_staff),
        email_verified: Set(u.email_verified),
        date_joined: Set(u.date_joined),
        last_login: Set(u.last_login),
    })
    .exec_without_returning(db)
    .await
    .map_err(map_unique_violation)?;
    Ok(())
}

/// Creates a staff account without opening a session (`create-admin`).
pub async fn create_admin(
    ctx: &Ctx,
    username: &str,
    email: &str,
    password: &str,
) -> Result<UserView> {
    let mut v = Validator::new();
    let username = v.check("username", Username::parse(Field::Value(username)));
    let email = v.check("email", Email::parse(Field::Value(email)));
    for problem in password_problems(
        password,
        username.as_ref().map(Username::as_str),
        email.as_ref().map(Email::as_str),
    ) {
        v.add("password", problem);
    }
    check_unique(&ctx.db, &mut v, username.as_ref(), email.as_ref(), None).await?;
    v.finish()?;
    let (Some(username), Some(email)) = (username, email) else {
        return Err(AppError::internal("validated admin input is incomplete"));
    };
    let hash = ctx.passwords.hash(password).await?;
    let user = new_user(&username, &email, true, false);
    insert_user(&ctx.db, &user, hash).await?;
    Ok(UserView::own(&user))
}

/// A user with the password hash (login).
#[derive(FromQueryResult)]
struct UserCredentials {
    #[sea_orm(nested)]
    user: User,
    password_hash: String,
}

/// Signs in by username or email. Failures look the same whether or not the
/// user exists, in message and in time.
pub async fn login(ctx: &Ctx, client: IpAddr, input: LoginInput) -> Result<SignedIn> {
    // Every attempt counts toward the client's limit.
    ctx.throttle.hit_ip(Bucket::LoginIp, client).await?;
    let mut v = Validator::new();
    let password = v.check("password", non_empty(input.password.as_deref()));
    let username = v.check("username", input.username.non_null()).flatten();
    let email = v.check("email", input.email.non_null()).flatten();
    let username = username.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let email = email.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if v.is_empty() && username.is_none() && email.is_none() {
        v.add(
            NON_FIELD_ERRORS,
            "Must include \"username\" and \"password\".",
        );
    }
    v.finish()?;
    let Some(password) = password else {
        return Err(AppError::internal("validated login input is incomplete"));
    };

    let key = match (username, email) {
        (Some(u), _) => Some(user::Column::UsernameKey.eq(u.to_ascii_lowercase())),
        (None, Some(e)) => Some(user::Column::EmailKey.eq(e.to_lowercase())),
        (None, None) => None,
    };
    let found = match key {
        Some(key) => {
            user::Entity::find()
                .select_only()
                .columns(User::COLUMNS)
                .column(user::Column::PasswordHash)
                .filter(key)
                .into_model::<UserCredentials>()
                .one(&ctx.db)
                .await?
        }
        None => None,
    };
    // Failures are counted per account: the user when there is one, else the
    // name tried (so an unknown name behaves like a known one).
    let account = match (&found, username, email) {
        (Some(u), _, _) => u.user.id.to_string(),
        (None, Some(u), _) => format!("username:{}", u.to_ascii_lowercase()),
        (None, None, Some(e)) => format!("email:{}", e.to_lowercase()),
        (None, None, None) => String::new(),
    };
    ctx.throttle.check_account(&account).await?;
    let valid = ctx
        .passwords
        .verify(password, found.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let (true, Some(found)) = (valid, found) else {
        ctx.throttle.record_failure(&account).await?;
        return Err(AppError::field(NON_FIELD_ERRORS, LOGIN_FAILED));
    };
    ctx.throttle.clear_failures(&account).await;
    if ctx.mail.verification == EmailVerification::Mandatory && !found.user.email_verified {
        return Err(AppError::field(NON_FIELD_ERRORS, NOT_VERIFIED));
    }

    let at = now();
    let user_id = found.user.id;
    let txn = ctx.db.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLogin, Expr::value(at))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    let user = User {
        last_login: Some(at),
        ..found.user
    };
    let tokens = open_session(ctx, &txn, user.id, at).await?;
    txn.commit().await?;
    Ok(SignedIn {
        user: UserView::own(&user),
        tokens,
    })
}
