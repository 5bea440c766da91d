//! Sign-in tokens: HS256 JWTs with issuer, audience and expiry checked and the
//! algorithm pinned, so `alg: none` or a swapped algorithm is refused.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::practicum::accounts::Role;

/// Token issuer.
pub const ISSUER: &str = "practicum";
/// Token audience.
pub const AUDIENCE: &str = "practicum-api";

/// What a token asserts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Account role at issue time (rechecked against the database on use).
    pub role: Role,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Unique token id, for logout.
    pub jti: String,
}

impl Claims {
    /// The user id the token was issued to.
    pub fn user_id(&self) -> Result<i64, TokenError> {
        self.sub.parse().map_err(|_| TokenError::Invalid)
    }

    /// Expiry as a timestamp.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Past its expiry.
    #[error("the sign-in token has expired")]
    Expired,
    /// Malformed, forged, wrong issuer or audience, or wrong algorithm.
    #[error("the sign-in token is not valid")]
    Invalid,
}

/// Keys built once from the secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    /// Keys for `secret`, issuing tokens that live `ttl_minutes`.
    pub fn new(secret: &[u8], ttl_minutes: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: Duration::minutes(ttl_minutes),
        }
    }

    /// Issues a token for a user.
    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, Claims)> {
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti: super::random_hex(16),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64_engine::encode_part;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    mod base64_engine {
        // Minimal unpadded URL-safe base64 for forging test tokens.
        pub fn encode_part(bytes: &[u8]) -> String {
            const ALPHABET: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                let chars = chunk.len() + 1;
                for i in 0..chars {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = JwtKeys::new(SECRET, 60);
        let (token, claims) = keys.issue(7, Role::Supervisor, Utc::now()).unwrap();
        let back = keys.verify(&token).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.user_id().unwrap(), 7);
    }

    #[test]
    fn expired_wrong_key_and_tampered_tokens_are_refused() {
        let keys = JwtKeys::new(SECRET, 60);
        let (old, _) = keys
            .issue(7, Role::Student, Utc::now() - Duration::hours(2))
            .unwrap();
        assert_eq!(keys.verify(&old), Err(TokenError::Expired));

        let other = JwtKeys::new(b"another secret of thirty-two bytes!!", 60);
        let (foreign, _) = other.issue(7, Role::Student, Utc::now()).unwrap();
        assert_eq!(keys.verify(&foreign), Err(TokenError::Invalid));

        let (token, claims) = keys.issue(7, Role::Student, Utc::now()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut edited = serde_json::to_value(&claims).unwrap();
        edited["role"] = "program_admin".into();
        parts[1] = encode_part(edited.to_string().as_bytes());
        assert_eq!(keys.verify(&parts.join(".")), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_and_other_issuers_are_refused() {
        let keys = JwtKeys::new(SECRET, 60);
        let (_, claims) = keys.issue(7, Role::ProgramAdmin, Utc::now()).unwrap();
        let header = encode_part(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode_part(serde_json::to_string(&claims).unwrap().as_bytes());
        assert_eq!(
            keys.verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        );

        let mut foreign = claims.clone();
        foreign.iss = "someone-else".into();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &foreign,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Invalid));

        let mut wrong_aud = claims;
        wrong_aud.aud = "another-app".into();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &wrong_aud,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Invalid));

        let hs384 = encode(
            &Header::new(Algorithm::HS384),
            &foreign,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(keys.verify(&hs384), Err(TokenError::Invalid));
    }
}
