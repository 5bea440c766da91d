//! Authentication: password hashes, signed tokens and CSRF tokens. Pure
//! functions over secrets; the web layer decides where tokens travel.

pub mod client;
pub mod csrf;
pub mod jwt;
pub mod metrics;
pub mod password;
pub mod throttle;

pub use jwt::{Claims, JwtKeys, TokenError};

/// A random value of `bytes` bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
