//! Sign-up, sign-in and session mutations.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::{actor, client, state, users::User};
use crate::{
    domain::{
        Timestamp,
        auth::{self, ChangePasswordInput, LoginInput, RegisterInput, SignedIn},
        users::{self, UserUpdate},
    },
    error::GqlResult,
};

/// Tokens for a session and the user they belong to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// JWT to send as `Authorization: Bearer <token>`.
    access_token: String,
    /// Opaque token for `refreshToken`; it is rotated on every use.
    refresh_token: String,
    access_expiration: Timestamp,
    refresh_expiration: Timestamp,
    user: User,
}

impl From<SignedIn> for AuthPayload {
    fn from(s: SignedIn) -> Self {
        Self {
            access_token: s.tokens.access,
            refresh_token: s.tokens.refresh,
            access_expiration: s.tokens.access_expiration,
            refresh_expiration: s.tokens.refresh_expiration,
            user: User(s.user),
        }
    }
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
    username: Option<String>,
    email: Option<String>,
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
    username: Option<String>,
    email: Option<String>,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInputGql) -> Result<AuthPayload> {
        let input = RegisterInput {
            username: Some(input.username),
            email: Some(input.email),
            password1: Some(input.password1),
            password2: Some(input.password2),
        };
        auth::register(state(ctx), client(ctx), input)
            .await
            .map(Into::into)
            .gql()
    }

    /// Signs in; failures read the same whether or not the user exists.
    async fn login(&self, ctx: &Context<'_>, input: LoginInputGql) -> Result<AuthPayload> {
        let input = LoginInput {
            username: input.username,
            email: input.email,
            password: Some(input.password),
        };
        auth::login(state(ctx), client(ctx), input)
            .await
            .map(Into::into)
            .gql()
    }

    /// Exchanges a refresh token for a new pair. Reusing a spent refresh token
    /// ends its session.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        auth::refresh(state(ctx), client(ctx), Some(&refresh_token))
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
        auth::logout(state(ctx), actor(ctx), None, all_sessions.unwrap_or(false))
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
        let me = actor(ctx).require().gql()?;
        let input = ChangePasswordInput {
            old_password: Some(input.old_password),
            new_password1: Some(input.new_password1),
            new_password2: Some(input.new_password2),
        };
        auth::change_password(state(ctx), client(ctx), me, input)
            .await
            .gql()?;
        auth::reissue(state(ctx), me).await.map(Into::into).gql()
    }

    /// Changes the caller's username and/or email.
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInputGql) -> Result<User> {
        let me = actor(ctx).require().gql()?;
        let input = UserUpdate {
            username: input.username,
            email: input.email,
        };
        users::update_me(state(ctx), me, input, false)
            .await
            .map(User)
            .gql()
    }
}
