//! CSRF tokens for cookie-authenticated requests: an HMAC of the session's
//! token id, so they need no storage and die with the session.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The CSRF token that belongs to the session `binding` (its JWT id, or a
/// pre-sign-in nonce on the login form).
pub fn token_for(secret: &[u8], binding: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"practicum-csrf:");
    mac.update(binding.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares a submitted token with the expected one in constant time.
pub fn matches(secret: &[u8], binding: &str, submitted: &str) -> bool {
    let expected = token_for(secret, binding);
    expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_session() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let t = token_for(secret, "session-a");
        assert!(matches(secret, "session-a", &t));
        assert!(!matches(secret, "session-b", &t));
        assert!(!matches(
            b"another secret, another server!!",
            "session-a",
            &t
        ));
        assert!(!matches(secret, "session-a", ""));
    }
}
