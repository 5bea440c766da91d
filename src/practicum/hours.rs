//! Professional practice experience (PPE) hours: accredited coding programs
//! want a log of supervised practice time, so Practicum measures time on task
//! per encounter, lets students add manual entries, and has supervisors
//! approve entries and sign off whole periods.

use chrono::{NaiveDate, NaiveDateTime};

use super::{Invalid, required_text};

/// How heartbeats turn into credited time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePolicy {
    /// How often the coding page reports that the student is active.
    pub beat_interval_secs: u32,
    /// A gap between beats longer than this earns nothing: the tab was open
    /// but nobody was working.
    pub idle_after_secs: u32,
    /// Credit never exceeds this many times the scenario's estimate, so a
    /// forgotten but "active" tab cannot pile up hours.
    pub cap_factor: u32,
}

impl Default for TimePolicy {
    /// A beat every 30 s; three missed beats mean the student is away.
    fn default() -> Self {
        Self {
            beat_interval_secs: 30,
            idle_after_secs: 90,
            cap_factor: 2,
        }
    }
}

/// A coding session's running total, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub opened_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub active_seconds: u32,
    pub beats: u32,
}

impl Session {
    /// A session started when the encounter was opened.
    pub fn open(at: NaiveDateTime) -> Self {
        Self {
            opened_at: at,
            last_seen_at: at,
            active_seconds: 0,
            beats: 0,
        }
    }

    /// A heartbeat at `now`. The gap since the last sign of life counts only
    /// when it is short enough to mean the student kept working; a clock that
    /// went backwards counts nothing and never moves `last_seen_at` back.
    pub fn beat(self, now: NaiveDateTime, p: &TimePolicy) -> Self {
        let gap = (now - self.last_seen_at).num_seconds();
        let earned = if (0..=i64::from(p.idle_after_secs)).contains(&gap) {
            u32::try_from(gap).unwrap_or(0)
        } else {
            0
        };
        Self {
            opened_at: self.opened_at,
            last_seen_at: self.last_seen_at.max(now),
            active_seconds: self.active_seconds.saturating_add(earned),
            beats: self.beats.saturating_add(1),
        }
    }
}

/// Seconds to whole minutes, rounding half up (30 s rounds up), but any
/// work at all earns at least one minute so short tasks are not lost.
fn whole_minutes(secs: u64) -> u64 {
    if secs == 0 {
        0
    } else {
        (secs.saturating_add(30) / 60).max(1)
    }
}

/// Minutes credited when the session ends at `now` (the submission). The
/// final gap counts like a beat. Without any beat (JavaScript off) the wall
/// time is all there is, so it is capped at the scenario's estimate rather
/// than a multiple of it: an idle tab must not earn more than the task is
/// worth. An estimate of 0 credits nothing.
pub fn credited_minutes(
    s: &Session,
    now: NaiveDateTime,
    estimated_minutes: u32,
    p: &TimePolicy,
) -> u32 {
    let (secs, cap) = if s.beats == 0 {
        let wall = (now - s.opened_at).num_seconds().max(0);
        (
            u64::try_from(wall).unwrap_or(0),
            u64::from(estimated_minutes),
        )
    } else {
        let last = s.beat(now, p);
        (
            u64::from(last.active_seconds),
            u64::from(estimated_minutes) * u64::from(p.cap_factor),
        )
    };
    let minutes = whole_minutes(secs).min(cap);
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// Where an hours entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Measured time on a coded encounter.
    Coding,
    /// Time the student logged by hand (e.g. a site visit).
    Manual,
    /// Undoes an approved entry after its period was signed off.
    Reversal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coding => "coding",
            Self::Manual => "manual",
            Self::Reversal => "reversal",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "coding" => Ok(Self::Coding),
            "manual" => Ok(Self::Manual),
            "reversal" => Ok(Self::Reversal),
            other => Err(Invalid::new(
                field,
                format!("must be \"coding\", \"manual\" or \"reversal\", not {other:?}"),
            )),
        }
    }
}

/// Where an entry stands with the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            other => Err(Invalid::new(
                field,
                format!("must be \"pending\", \"approved\" or \"rejected\", not {other:?}"),
            )),
        }
    }
}

/// The status a new coding entry gets: a program may trust well-scored work
/// enough to approve it without a supervisor; everything else waits. A score
/// or threshold that is not a number never approves.
pub fn initial_status(auto_approve_at: Option<f64>, score: f64) -> Status {
    match auto_approve_at {
        Some(threshold) if score >= threshold => Status::Approved,
        _ => Status::Pending,
    }
}

/// Longest manual entry: one working day.
pub const MAX_MANUAL_MINUTES: u32 = 600;
/// Longest description of what was done.
pub const MAX_ACTIVITY_CHARS: usize = 200;
/// Longest explanation of why the time was not measured.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest supervisor attestation.
pub const MAX_ATTESTATION_CHARS: usize = 2000;

/// Time a student logs by hand, with the reason it was not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEntry {
    pub work_date: NaiveDate,
    pub minutes: u32,
    pub activity: String,
    pub reason: String,
}

/// Checks a manual entry and returns it with its text trimmed. Work cannot
/// be logged ahead of time nor before the cohort's term began.
pub fn check_manual(
    e: &ManualEntry,
    today: NaiveDate,
    earliest: Option<NaiveDate>,
) -> Result<ManualEntry, Invalid> {
    if e.work_date > today {
        return Err(Invalid::new("work_date", "must not be in the future"));
    }
    if let Some(first) = earliest
        && e.work_date < first
    {
        return Err(Invalid::new(
            "work_date",
            format!("must not be before the term start ({first})"),
        ));
    }
    if e.minutes == 0 || e.minutes > MAX_MANUAL_MINUTES {
        return Err(Invalid::new(
            "minutes",
            format!("must be between 1 and {MAX_MANUAL_MINUTES}"),
        ));
    }
    Ok(ManualEntry {
        work_date: e.work_date,
        minutes: e.minutes,
        activity: required_text("activity", &e.activity, MAX_ACTIVITY_CHARS)?,
        reason: required_text("reason", &e.reason, MAX_REASON_CHARS)?,
    })
}

/// A signed-off period of one student's log, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl SignedPeriod {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    fn overlaps(&self, other: &SignedPeriod) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// Whether an entry dated `work_date` is frozen: a sign-off is a statement
/// about the log as it stood, so entries it covers no longer change.
pub fn is_frozen(work_date: NaiveDate, periods: &[SignedPeriod]) -> bool {
    periods.iter().any(|p| p.contains(work_date))
}

/// Why a change to an entry is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Frozen { period: SignedPeriod },
    AlreadyDecided(Status),
    NotReversible(&'static str),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Self::Frozen { period } => format!(
                "signed off for {} to {}; add a reversing entry instead",
                period.start, period.end
            ),
            Self::AlreadyDecided(status) => {
                format!("this entry is already {}", status.as_str())
            }
            Self::NotReversible(why) => (*why).into(),
        }
    }
}

/// Approving or rejecting an entry: a decision is final, and a signed-off
/// period is not reopened by deciding entries inside it.
pub fn check_decision(
    status: Status,
    work_date: NaiveDate,
    periods: &[SignedPeriod],
) -> Result<(), Refusal> {
    if status != Status::Pending {
        return Err(Refusal::AlreadyDecided(status));
    }
    match periods.iter().find(|p| p.contains(work_date)) {
        Some(period) => Err(Refusal::Frozen { period: *period }),
        None => Ok(()),
    }
}

/// The minutes of a reversing entry, which the caller dates today so it lands
/// outside any signed period and the signed log stays as it was signed. Only
/// approved coding or manual time with minutes to undo can be reversed, and
/// only once; pending or rejected entries are simply rejected instead.
pub fn reversal_minutes(
    kind: EntryKind,
    status: Status,
    minutes: i32,
    already_reversed: bool,
) -> Result<i32, Refusal> {
    if kind == EntryKind::Reversal {
        return Err(Refusal::NotReversible(
            "a reversing entry cannot itself be reversed",
        ));
    }
    match status {
        Status::Approved => {}
        Status::Pending => {
            return Err(Refusal::NotReversible(
                "this entry is still pending; reject it instead",
            ));
        }
        Status::Rejected => {
            return Err(Refusal::NotReversible(
                "this entry was rejected and counts nothing",
            ));
        }
    }
    if already_reversed {
        return Err(Refusal::NotReversible(
            "this entry has already been reversed",
        ));
    }
    if minutes <= 0 {
        return Err(Refusal::NotReversible(
            "this entry has no minutes to reverse",
        ));
    }
    Ok(-minutes)
}

/// Checks a sign-off over [start, end]. The period must be over — it ends
/// before today, since today's coding and reversing entries are still being
/// dated today — must not sign anything twice, and every
/// entry inside must be decided so the signed total is final.
pub fn check_signoff(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    earlier: &[SignedPeriod],
    pending_inside: usize,
) -> Result<(), Invalid> {
    if start > end {
        return Err(Invalid::new(
            "period_end",
            "must not be before period_start",
        ));
    }
    if end >= today {
        return Err(Invalid::new(
            "period_end",
            "must be before today: today's work is still being logged",
        ));
    }
    let period = SignedPeriod { start, end };
    if let Some(p) = earlier.iter().find(|p| p.overlaps(&period)) {
        return Err(Invalid::new(
            "period_start",
            format!(
                "overlaps the period already signed off for {} to {}",
                p.start, p.end
            ),
        ));
    }
    if pending_inside > 0 {
        return Err(Invalid::new(
            "pending",
            format!(
                "{pending_inside} entr{} in this period still pending; approve or reject first",
                if pending_inside == 1 {
                    "y is"
                } else {
                    "ies are"
                }
            ),
        ));
    }
    Ok(())
}

/// The supervisor's attestation that goes with a sign-off.
pub fn check_attestation(text: &str) -> Result<String, Invalid> {
    required_text("attestation", text, MAX_ATTESTATION_CHARS)
}

/// Totals for a log. Approved includes reversals, which are negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub approved: i64,
    pub pending: i64,
}

/// Adds up a log's entries given as (status, minutes); rejected entries
/// count nowhere.
pub fn totals(entries: impl IntoIterator<Item = (Status, i32)>) -> Totals {
    entries
        .into_iter()
        .fold(Totals::default(), |mut t, (status, minutes)| {
            match status {
                Status::Approved => t.approved += i64::from(minutes),
                Status::Pending => t.pending += i64::from(minutes),
                Status::Rejected => {}
            }
            t
        })
}

/// Minutes as "H:MM" for the site log, negative as "-H:MM".
pub fn format_minutes(m: i64) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let abs = m.unsigned_abs();
    format!("{sign}{}:{:02}", abs / 60, abs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn secs_later(t: NaiveDateTime, s: i64) -> NaiveDateTime {
        t + chrono::Duration::seconds(s)
    }

    const T0: &str = "2026-03-02T09:00:00";

    #[test]
    fn default_policy() {
        let p = TimePolicy::default();
        assert_eq!(
            (p.beat_interval_secs, p.idle_after_secs, p.cap_factor),
            (30, 90, 2)
        );
    }

    #[test]
    fn a_gap_up_to_idle_after_counts_one_second_more_counts_nothing() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let s = Session::open(t0).beat(secs_later(t0, 90), &p);
        assert_eq!((s.active_seconds, s.beats), (90, 1));
        assert_eq!(s.last_seen_at, secs_later(t0, 90));

        let s = Session::open(t0).beat(secs_later(t0, 91), &p);
        assert_eq!((s.active_seconds, s.beats), (0, 1));
        assert_eq!(s.last_seen_at, secs_later(t0, 91));

        // Work resumes after the long gap and counts again.
        let s = s.beat(secs_later(t0, 121), &p);
        assert_eq!(s.active_seconds, 30);
        assert_eq!(s.opened_at, t0);
    }

    #[test]
    fn a_clock_going_backwards_counts_nothing_and_keeps_last_seen() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let s = Session::open(t0).beat(secs_later(t0, 30), &p);
        let back = s.beat(secs_later(t0, 10), &p);
        assert_eq!(back.active_seconds, 30);
        assert_eq!(back.beats, 2);
        assert_eq!(back.last_seen_at, secs_later(t0, 30));
    }

    #[test]
    fn the_final_gap_counts_and_minutes_round_half_up() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let s = Session::open(t0).beat(secs_later(t0, 30), &p);
        // 30 + 60 = 90 s: 1.5 min rounds up to 2.
        assert_eq!(credited_minutes(&s, secs_later(t0, 90), 10, &p), 2);
        // 30 + 59 = 89 s rounds down to 1.
        assert_eq!(credited_minutes(&s, secs_later(t0, 89), 10, &p), 1);
        // A final gap past idle_after earns nothing: 30 s alone.
        assert_eq!(credited_minutes(&s, secs_later(t0, 30 + 91), 10, &p), 1);
    }

    #[test]
    fn any_active_second_earns_at_least_a_minute() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let s = Session::open(t0).beat(secs_later(t0, 29), &p);
        // 29 s would round to 0, but some work was done.
        assert_eq!(credited_minutes(&s, secs_later(t0, 29), 10, &p), 1);
        // No active second at all: nothing.
        let idle = Session::open(t0).beat(secs_later(t0, 500), &p);
        assert_eq!(credited_minutes(&idle, secs_later(t0, 500), 10, &p), 0);
    }

    #[test]
    fn credit_is_capped_at_a_multiple_of_the_estimate() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let mut s = Session::open(t0);
        for i in 1..=60 {
            s = s.beat(secs_later(t0, 30 * i), &p);
        }
        assert_eq!(s.active_seconds, 1800);
        let end = secs_later(t0, 1800);
        assert_eq!(credited_minutes(&s, end, 20, &p), 30);
        assert_eq!(credited_minutes(&s, end, 15, &p), 30);
        assert_eq!(credited_minutes(&s, end, 14, &p), 28);
        assert_eq!(credited_minutes(&s, end, 0, &p), 0);
    }

    #[test]
    fn without_beats_wall_time_counts_up_to_the_estimate() {
        let p = TimePolicy::default();
        let t0 = at(T0);
        let s = Session::open(t0);
        assert_eq!(credited_minutes(&s, secs_later(t0, 7 * 60), 10, &p), 7);
        assert_eq!(credited_minutes(&s, secs_later(t0, 10 * 60), 10, &p), 10);
        // Left open all afternoon: the estimate, not twice it.
        assert_eq!(credited_minutes(&s, secs_later(t0, 4 * 3600), 10, &p), 10);
        assert_eq!(credited_minutes(&s, secs_later(t0, -60), 10, &p), 0);
        assert_eq!(credited_minutes(&s, t0, 10, &p), 0);
    }

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in [EntryKind::Coding, EntryKind::Manual, EntryKind::Reversal] {
            assert_eq!(EntryKind::parse("kind", k.as_str()), Ok(k));
        }
        for s in [Status::Pending, Status::Approved, Status::Rejected] {
            assert_eq!(Status::parse("status", s.as_str()), Ok(s));
        }
        assert_eq!(EntryKind::parse("kind", "bonus").unwrap_err().field, "kind");
        assert_eq!(
            Status::parse("status", "maybe").unwrap_err().field,
            "status"
        );
    }

    #[test]
    fn auto_approval_at_exactly_the_threshold() {
        assert_eq!(initial_status(Some(0.9), 0.9), Status::Approved);
        assert_eq!(initial_status(Some(0.9), 0.95), Status::Approved);
        assert_eq!(initial_status(Some(0.9), 0.899), Status::Pending);
        assert_eq!(initial_status(None, 1.0), Status::Pending);
        assert_eq!(initial_status(Some(0.9), f64::NAN), Status::Pending);
    }

    fn manual() -> ManualEntry {
        ManualEntry {
            work_date: day("2026-03-10"),
            minutes: 90,
            activity: "  Chart audit at the clinic ".into(),
            reason: " Worked on site, not in Practicum ".into(),
        }
    }

    #[test]
    fn a_manual_entry_is_trimmed_when_valid() {
        let ok = check_manual(&manual(), day("2026-03-10"), Some(day("2026-03-10"))).unwrap();
        assert_eq!(ok.activity, "Chart audit at the clinic");
        assert_eq!(ok.reason, "Worked on site, not in Practicum");
        assert_eq!((ok.work_date, ok.minutes), (day("2026-03-10"), 90));
    }

    #[test]
    fn a_manual_entry_names_the_field_at_fault() {
        let today = day("2026-03-10");
        let field = |e: ManualEntry, earliest| check_manual(&e, today, earliest).unwrap_err().field;
        let future = ManualEntry {
            work_date: day("2026-03-11"),
            ..manual()
        };
        assert_eq!(field(future, None), "work_date");
        assert_eq!(field(manual(), Some(day("2026-03-11"))), "work_date");
        for minutes in [0, 601] {
            assert_eq!(
                field(
                    ManualEntry {
                        minutes,
                        ..manual()
                    },
                    None
                ),
                "minutes"
            );
        }
        assert!(
            check_manual(
                &ManualEntry {
                    minutes: 600,
                    ..manual()
                },
                today,
                None
            )
            .is_ok()
        );
        let blank = ManualEntry {
            activity: "   ".into(),
            ..manual()
        };
        assert_eq!(field(blank, None), "activity");
        let long = ManualEntry {
            activity: "a".repeat(201),
            ..manual()
        };
        assert_eq!(field(long, None), "activity");
        let no_reason = ManualEntry {
            reason: String::new(),
            ..manual()
        };
        assert_eq!(field(no_reason, None), "reason");
        let long_reason = ManualEntry {
            reason: "r".repeat(1001),
            ..manual()
        };
        assert_eq!(field(long_reason, None), "reason");
    }

    fn march() -> SignedPeriod {
        SignedPeriod {
            start: day("2026-03-01"),
            end: day("2026-03-31"),
        }
    }

    #[test]
    fn period_edges_are_frozen() {
        let periods = [march()];
        assert!(!is_frozen(day("2026-02-28"), &periods));
        assert!(is_frozen(day("2026-03-01"), &periods));
        assert!(is_frozen(day("2026-03-31"), &periods));
        assert!(!is_frozen(day("2026-04-01"), &periods));
        assert!(!is_frozen(day("2026-03-15"), &[]));
    }

    #[test]
    fn decisions_only_on_pending_entries_outside_signed_periods() {
        let periods = [march()];
        assert_eq!(
            check_decision(Status::Pending, day("2026-04-01"), &periods),
            Ok(())
        );
        assert_eq!(
            check_decision(Status::Pending, day("2026-03-31"), &periods),
            Err(Refusal::Frozen { period: march() })
        );
        assert_eq!(
            check_decision(Status::Approved, day("2026-04-01"), &periods),
            Err(Refusal::AlreadyDecided(Status::Approved))
        );
        assert_eq!(
            check_decision(Status::Rejected, day("2026-04-01"), &periods),
            Err(Refusal::AlreadyDecided(Status::Rejected))
        );
    }

    #[test]
    fn refusals_read_as_plain_words() {
        assert_eq!(
            Refusal::Frozen { period: march() }.message(),
            "signed off for 2026-03-01 to 2026-03-31; add a reversing entry instead"
        );
        assert_eq!(
            Refusal::AlreadyDecided(Status::Approved).message(),
            "this entry is already approved"
        );
        assert_eq!(Refusal::NotReversible("nope").message(), "nope");
    }

    #[test]
    fn an_approved_entry_is_reversed_once() {
        assert_eq!(
            reversal_minutes(EntryKind::Coding, Status::Approved, 45, false),
            Ok(-45)
        );
        assert_eq!(
            reversal_minutes(EntryKind::Manual, Status::Approved, 600, false),
            Ok(-600)
        );
        assert!(matches!(
            reversal_minutes(EntryKind::Coding, Status::Approved, 45, true),
            Err(Refusal::NotReversible(_))
        ));
    }

    #[test]
    fn reversals_pending_rejected_and_empty_entries_are_not_reversible() {
        for (kind, status, minutes) in [
            (EntryKind::Reversal, Status::Approved, -45),
            (EntryKind::Coding, Status::Pending, 45),
            (EntryKind::Manual, Status::Rejected, 45),
            (EntryKind::Coding, Status::Approved, 0),
        ] {
            assert!(matches!(
                reversal_minutes(kind, status, minutes, false),
                Err(Refusal::NotReversible(_))
            ));
        }
    }

    #[test]
    fn a_signoff_covers_a_past_unsigned_fully_decided_period() {
        let today = day("2026-04-05");
        let earlier = [march()];
        assert_eq!(
            check_signoff(day("2026-04-01"), day("2026-04-04"), today, &earlier, 0),
            Ok(())
        );
        assert_eq!(
            check_signoff(day("2026-04-01"), day("2026-04-01"), today, &earlier, 0),
            Ok(())
        );
        let field = |start, end, pending| {
            check_signoff(day(start), day(end), today, &earlier, pending)
                .unwrap_err()
                .field
        };
        assert_eq!(field("2026-04-03", "2026-04-02", 0), "period_end");
        assert_eq!(field("2026-04-01", "2026-04-06", 0), "period_end");
        assert_eq!(
            field("2026-04-01", "2026-04-05", 0),
            "period_end",
            "today is still open"
        );
        assert_eq!(field("2026-03-31", "2026-04-04", 0), "period_start");
        assert_eq!(field("2026-02-01", "2026-03-01", 0), "period_start");
        assert_eq!(field("2026-02-01", "2026-04-04", 0), "period_start");
        assert_eq!(field("2026-04-01", "2026-04-04", 1), "pending");
    }

    #[test]
    fn an_attestation_is_required_and_bounded() {
        assert_eq!(
            check_attestation("  I supervised this work. ").unwrap(),
            "I supervised this work."
        );
        assert_eq!(check_attestation(" ").unwrap_err().field, "attestation");
        assert!(check_attestation(&"x".repeat(2000)).is_ok());
        assert_eq!(
            check_attestation(&"x".repeat(2001)).unwrap_err().field,
            "attestation"
        );
    }

    #[test]
    fn totals_count_reversals_and_skip_rejections() {
        let t = totals([
            (Status::Approved, 60),
            (Status::Approved, 45),
            (Status::Approved, -45),
            (Status::Pending, 30),
            (Status::Rejected, 120),
        ]);
        assert_eq!(
            t,
            Totals {
                approved: 60,
                pending: 30
            }
        );
        assert_eq!(totals([]), Totals::default());
    }

    #[test]
    fn minutes_format_as_hours_and_minutes() {
        assert_eq!(format_minutes(125), "2:05");
        assert_eq!(format_minutes(-30), "-0:30");
        assert_eq!(format_minutes(0), "0:00");
        assert_eq!(format_minutes(60), "1:00");
        assert_eq!(format_minutes(-605), "-10:05");
        // The extreme value does not overflow when its sign is dropped.
        assert_eq!(format_minutes(i64::MIN), "-153722867280912930:08");
    }
}
