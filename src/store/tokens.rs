//! Revoked sign-in tokens (logout), kept only until they would expire.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::revoked_tokens;
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// Records that the token `jti` may no longer be used. Revoking twice is fine.
pub fn revoke(conn: &mut DbConn, jti: &str, expires_at: NaiveDateTime) -> StoreResult<()> {
    let at = now();
    write_tx!(conn, c => {
        let known = revoked_tokens::table.find(jti).count().get_result::<i64>(c)? > 0;
        if !known {
            diesel::insert_into(revoked_tokens::table)
                .values((revoked_tokens::jti.eq(jti), revoked_tokens::expires_at.eq(expires_at)))
                .execute(c)?;
        }
        // Expired entries can never match a valid token again.
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(at))).execute(c)?;
        Ok(())
    })
}

/// Whether the token `jti` was revoked.
pub fn is_revoked(conn: &mut DbConn, jti: &str) -> StoreResult<bool> {
    let n: i64 = with_conn!(conn, c => revoked_tokens::table.find(jti).count().get_result(c))?;
    Ok(n > 0)
}
