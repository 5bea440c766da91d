//! Sign-in throttling: after too many failed attempts for one account, or
//! from one client address, within a window, further attempts are refused
//! without checking the password (so a flood of guesses costs no Argon2
//! work and cannot starve other requests).

use chrono::{Duration, NaiveDateTime};

/// How many failures are allowed, and over how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub window_secs: i64,
    /// Failures for one e-mail address within the window.
    pub per_account: usize,
    /// Failures from one client address within the window (a classroom
    /// behind one NAT shares an address, so this is higher).
    pub per_address: usize,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            window_secs: 15 * 60,
            per_account: 5,
            per_address: 50,
        }
    }
}

impl LoginLimits {
    /// The start of the window that ends at `now`.
    pub fn since(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - Duration::seconds(self.window_secs)
    }
}

/// Seconds until another attempt is allowed, given the times of the recent
/// failures (any order), how many other attempts are being checked right
/// now, and the limit; `None` while under the limit. Attempts in flight
/// count against the limit (so parallel guesses cannot all pass before any
/// has failed), but only failures make anyone wait long: a refusal due to
/// attempts in flight says to retry in a second.
pub fn retry_after(
    failures: &[NaiveDateTime],
    in_flight: usize,
    limit: usize,
    window_secs: i64,
    now: NaiveDateTime,
) -> Option<u64> {
    let since = now - Duration::seconds(window_secs);
    let mut recent: Vec<NaiveDateTime> = failures.iter().copied().filter(|t| *t > since).collect();
    if recent.len() < limit {
        return (recent.len() + in_flight >= limit).then_some(1);
    }
    // Allowed again once enough of the oldest failures leave the window.
    recent.sort_unstable();
    let freeing = recent[recent.len() - limit];
    let wait = (freeing + Duration::seconds(window_secs) - now).num_seconds();
    Some(wait.max(1) as u64)
}

/// How long an attempt in flight counts; none takes this long, so a row left
/// by a crash stops counting soon.
pub const IN_FLIGHT_SECS: i64 = 60;

/// The subject under which an attempt in flight is recorded.
pub fn in_flight(subject: &str) -> String {
    format!("pending:{subject}")
}

/// The throttle subjects of an attempt: the account and the client address.
pub fn subjects(email: &str, client: &str) -> (String, String) {
    (
        format!("account:{}", email.trim().to_lowercase()),
        format!("address:{client}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn the_limit_refuses_until_the_oldest_counted_failure_leaves_the_window() {
        let failures: Vec<_> = (0..5).map(|i| t(i * 10)).collect();
        assert_eq!(retry_after(&failures[..4], 0, 5, 900, t(60)), None);
        // Five in the window: wait until the first (t=0) is 900 s old.
        assert_eq!(retry_after(&failures, 0, 5, 900, t(60)), Some(840));
        assert_eq!(retry_after(&failures, 0, 5, 900, t(899)), Some(1));
        assert_eq!(retry_after(&failures, 0, 5, 900, t(900)), None);
        // Older failures do not count.
        let mut more = failures.clone();
        more.push(t(-5000));
        assert_eq!(retry_after(&more, 0, 6, 900, t(60)), None);
    }

    #[test]
    fn attempts_in_flight_fill_the_limit_but_only_for_a_second() {
        let failures: Vec<_> = (0..3).map(|i| t(i * 10)).collect();
        assert_eq!(retry_after(&failures, 1, 5, 900, t(60)), None);
        assert_eq!(retry_after(&failures, 2, 5, 900, t(60)), Some(1));
        // Five real failures: the window decides, whatever is in flight.
        let five: Vec<_> = (0..5).map(|i| t(i * 10)).collect();
        assert_eq!(retry_after(&five, 3, 5, 900, t(60)), Some(840));
    }

    #[test]
    fn subjects_ignore_case_of_the_address() {
        let (a, b) = subjects(" Student1@Demo.Example ", "10.0.0.7");
        assert_eq!(a, "account:student1@demo.example");
        assert_eq!(b, "address:10.0.0.7");
    }
}
