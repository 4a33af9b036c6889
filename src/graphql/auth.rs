//! Sign-up, sign-in and session mutations.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{
    context::{actor, client, domain, field},
    objects::User,
};
use crate::{
    domain::{
        accounts::{
            self, ChangePasswordInput, LoginInput, RegisterInput, Registered, ResetPasswordInput,
            UserUpdate,
        },
        input::Field,
        sessions::{self, LogoutInput, SignedIn},
        time::Timestamp,
    },
    error::GqlResult,
};

/// Tokens for a session and the user they belong to. The tokens are null
/// only from `register` when e-mail verification is mandatory.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// JWT to send as `Authorization: Bearer <token>`.
    access_token: Option<String>,
    /// Opaque token for `refreshToken`; it is rotated on every use.
    refresh_token: Option<String>,
    access_expiration: Option<Timestamp>,
    refresh_expiration: Option<Timestamp>,
    user: User,
}

impl From<SignedIn> for AuthPayload {
    fn from(s: SignedIn) -> Self {
        Self {
            access_token: Some(s.tokens.access),
            refresh_token: Some(s.tokens.refresh),
            access_expiration: Some(s.tokens.access_expiration),
            refresh_expiration: Some(s.tokens.refresh_expiration),
            user: User(s.user),
        }
    }
}

impl From<Registered> for AuthPayload {
    fn from(r: Registered) -> Self {
        match r {
            Registered::SignedIn(s) => s.into(),
            Registered::VerificationSent(user) => Self {
                access_token: None,
                refresh_token: None,
                access_expiration: None,
                refresh_expiration: None,
                user: User(user),
            },
        }
    }
}

/// A new password from a reset link (`uid` and `token` come from the link).
#[derive(InputObject)]
#[graphql(name = "ResetPasswordInput")]
pub struct ResetPasswordInputGql {
    uid: String,
    token: String,
    new_password1: String,
    new_password2: String,
}

#[derive(InputObject)]
#[graphql(name = "RegisterInput")]
pub struct RegisterInputGql {
    username: String,
    email: String,
    password1: String,
    password2: String,
}

/// Sign in with `username` or `email`, and `password`.
#[derive(InputObject)]
#[graphql(name = "LoginInput")]
pub struct LoginInputGql {
    username: MaybeUndefined<String>,
    email: MaybeUndefined<String>,
    password: String,
}

#[derive(InputObject)]
#[graphql(name = "ChangePasswordInput")]
pub struct ChangePasswordInputGql {
    old_password: String,
    new_password1: String,
    new_password2: String,
}

#[derive(InputObject)]
#[graphql(name = "UpdateMeInput")]
pub struct UpdateMeInputGql {
    username: MaybeUndefined<String>,
    email: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInputGql) -> Result<AuthPayload> {
        let input = RegisterInput {
            username: Field::Value(input.username),
            email: Field::Value(input.email),
            password1: Field::Value(input.password1),
            password2: Field::Value(input.password2),
        };
        accounts::register(domain(ctx), client(ctx), input)
            .await
            .map(Into::into)
            .gql()
    }

    /// Signs in; failures read the same whether or not the user exists.
    async fn login(&self, ctx: &Context<'_>, input: LoginInputGql) -> Result<AuthPayload> {
        let input = LoginInput {
            username: field(input.username),
            email: field(input.email),
            password: Field::Value(input.password),
        };
        accounts::login(domain(ctx), client(ctx), input)
            .await
            .map(Into::into)
            .gql()
    }

    /// Exchanges a refresh token for a new pair. Reusing a spent refresh token
    /// ends its session.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        sessions::refresh(domain(ctx), client(ctx), Field::Value(refresh_token))
            .await
            .map(Into::into)
            .gql()
    }

    /// Ends the calling session, or every session of the user with `allSessions`.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] all_sessions: Option<bool>,
    ) -> Result<bool> {
        let input = LogoutInput {
            refresh: Field::Absent,
            all_sessions: all_sessions.into(),
        };
        sessions::logout(domain(ctx), actor(ctx).await?, input)
            .await
            .map(|()| true)
            .gql()
    }

    /// Changes the password. The calling session stays (with new tokens,
    /// returned here); every other session ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInputGql,
    ) -> Result<AuthPayload> {
        let me = actor(ctx).await?.require().gql()?;
        let input = ChangePasswordInput {
            old_password: Field::Value(input.old_password),
            new_password1: Field::Value(input.new_password1),
            new_password2: Field::Value(input.new_password2),
        };
        accounts::change_password_reissuing(domain(ctx), client(ctx), me, input)
            .await
            .map(Into::into)
            .gql()
    }

    /// Changes the caller's username and/or email.
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInputGql) -> Result<User> {
        let me = actor(ctx).await?.require().gql()?;
        let input = UserUpdate {
            username: field(input.username),
            email: field(input.email),
        };
        accounts::update_me(domain(ctx), me, input, false)
            .await
            .map(User)
            .gql()
    }

    /// Mails a password-reset link to the account with this address, if
    /// there is one; the answer is the same either way.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        accounts::request_password_reset(domain(ctx), client(ctx), Field::Value(email))
            .await
            .map(|()| true)
            .gql()
    }

    /// Sets a new password from a reset link; every session of the user ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInputGql,
    ) -> Result<bool> {
        let input = ResetPasswordInput {
            uid: Field::Value(input.uid),
            token: Field::Value(input.token),
            new_password1: Field::Value(input.new_password1),
            new_password2: Field::Value(input.new_password2),
        };
        accounts::reset_password(domain(ctx), client(ctx), input)
            .await
            .map(|()| true)
            .gql()
    }

    /// Verifies the e-mail address a key was mailed to (`NOT_FOUND` for an
    /// unknown, expired, used or superseded key).
    async fn verify_email(&self, ctx: &Context<'_>, key: String) -> Result<bool> {
        accounts::verify_email(domain(ctx), client(ctx), Field::Value(key))
            .await
            .map(|()| true)
            .gql()
    }

    /// Mails the verification link again to an account whose address is
    /// still unverified; the answer is the same for every address.
    async fn resend_verification_email(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        accounts::resend_verification(domain(ctx), client(ctx), Field::Value(email))
            .await
            .map(|()| true)
            .gql()
    }
}
