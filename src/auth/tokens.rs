//! Access tokens (HS256 JWTs carrying the session id) and opaque refresh tokens.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, Result};

/// URL-safe base64 without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// Signing keys and lifetimes, built once at start-up.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    header: Header,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(
        secret: &[u8],
        access_ttl: std::time::Duration,
        refresh_ttl: std::time::Duration,
    ) -> Self {
        // The algorithm is pinned: a token naming any other (or `none`) fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            header: Header::new(Algorithm::HS256),
            access_ttl: Duration::from_std(access_ttl).unwrap_or(Duration::minutes(15)),
            refresh_ttl: Duration::from_std(refresh_ttl).unwrap_or(Duration::days(14)),
        }
    }

    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    /// Signs an access token for a session; returns it with its expiry.
    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>)> {
        let exp = now + self.access_ttl;
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: exp.timestamp(),
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, exp))
    }

    /// Verifies signature, algorithm and expiry. The session is checked by the caller.
    pub fn decode_access(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AppError::TokenNotValid)
    }
}

/// A new refresh token: the row id that finds it and the secret that proves it.
pub struct NewRefreshToken {
    pub id: Uuid,
    pub token: String,
    pub hash: Vec<u8>,
}

/// The SHA-256 of a refresh token's secret. A fast hash suffices: the secret is
/// 256 random bits, not a password.
pub fn refresh_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Generates a refresh token `<row id>.<256-bit secret>`.
pub fn new_refresh_token() -> NewRefreshToken {
    let id = Uuid::now_v7();
    let secret = b64(&rand::random::<[u8; 32]>());
    let hash = refresh_hash(&secret);
    NewRefreshToken {
        id,
        token: format!("{}.{}", id.simple(), secret),
        hash,
    }
}

/// Splits a presented refresh token into its row id and secret.
pub fn parse_refresh_token(token: &str) -> Option<(Uuid, &str)> {
    let (id, secret) = token.split_once('.')?;
    if secret.len() != 43 {
        return None;
    }
    Uuid::try_parse(id).ok().map(|id| (id, secret))
}

/// Compares a presented secret's hash with the stored one in constant time.
pub fn refresh_matches(secret: &str, stored: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    refresh_hash(secret).ct_eq(stored).into()
}

/// A random secret for signing tokens, for when none is configured.
pub fn generate_secret() -> String {
    b64(&rand::random::<[u8; 48]>())
}
