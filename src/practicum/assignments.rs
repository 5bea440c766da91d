//! Assignments: which encounters a student codes, when, and under what
//! rules (practice, or a timed exam whose clock the server keeps).

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::Invalid;
use super::visibility::Mode;

/// What happens to a submission after the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatePolicy {
    Reject,
    /// Accepted and marked late for the supervisor.
    Flag,
}

impl LatePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::Flag => "flag",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "reject" => Ok(Self::Reject),
            "flag" => Ok(Self::Flag),
            other => Err(Invalid::new(
                field,
                format!("must be \"reject\" or \"flag\", not {other:?}"),
            )),
        }
    }
}

/// Parses a mode name.
pub fn parse_mode(field: &'static str, raw: &str) -> Result<Mode, Invalid> {
    match raw.trim() {
        "practice" => Ok(Mode::Practice),
        "exam" => Ok(Mode::Exam),
        other => Err(Invalid::new(
            field,
            format!("must be \"practice\" or \"exam\", not {other:?}"),
        )),
    }
}

/// The name a mode is stored and shown under.
pub fn mode_str(mode: Mode) -> &'static str {
    match mode {
        Mode::Practice => "practice",
        Mode::Exam => "exam",
    }
}

/// Longest exam clock (a CPC-style exam runs four hours; leave room).
pub const MAX_TIME_LIMIT_MINUTES: u32 = 8 * 60;
/// Most encounters one assignment gives each student.
pub const MAX_ENCOUNTERS: u32 = 200;

/// An assignment's timing and submission rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub mode: Mode,
    pub opens_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub time_limit_minutes: Option<u32>,
    pub late: LatePolicy,
    pub resubmission: bool,
}

/// Where an assignment stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Upcoming,
    Open,
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotOpen,
    ExamNotStarted,
    PastDeadline(NaiveDateTime),
    NoResubmission,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Self::NotOpen => "the assignment is not open yet".into(),
            Self::ExamNotStarted => {
                "start the exam first: its clock starts when you start it".into()
            }
            Self::PastDeadline(at) => format!(
                "the deadline ({} UTC) has passed and this assignment does not accept late work",
                at.format("%Y-%m-%d %H:%M")
            ),
            Self::NoResubmission => {
                "this assignment takes one submission per encounter unless your supervisor returns it for correction"
                    .into()
            }
        }
    }
}

impl Rules {
    /// Checks the rules hang together.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.due_at <= self.opens_at {
            return Err(Invalid::new("due_at", "must be after opens_at"));
        }
        match (self.mode, self.time_limit_minutes) {
            (Mode::Practice, Some(_)) => Err(Invalid::new(
                "time_limit_minutes",
                "only an exam has a time limit",
            )),
            (_, Some(m)) if m == 0 || m > MAX_TIME_LIMIT_MINUTES => Err(Invalid::new(
                "time_limit_minutes",
                format!("must be between 1 and {MAX_TIME_LIMIT_MINUTES}"),
            )),
            _ => Ok(()),
        }
    }

    pub fn phase(&self, now: NaiveDateTime) -> Phase {
        if now < self.opens_at {
            Phase::Upcoming
        } else if now < self.due_at {
            Phase::Open
        } else {
            Phase::Closed
        }
    }

    /// When a student's exam clock started at `started` runs out: the time
    /// limit, but never past the due date.
    pub fn deadline_for(&self, started: NaiveDateTime) -> NaiveDateTime {
        match self.time_limit_minutes {
            Some(m) => (started + Duration::minutes(i64::from(m))).min(self.due_at),
            None => self.due_at,
        }
    }

    /// Whether a submission now is accepted, and if so whether it is late.
    /// `attempt_deadline` is the student's exam clock (exams only);
    /// `earlier_submissions` counts the student's submissions for the
    /// encounter and `returned` says the latest was returned for correction.
    pub fn check_submission(
        &self,
        now: NaiveDateTime,
        attempt_deadline: Option<NaiveDateTime>,
        earlier_submissions: usize,
        returned: bool,
    ) -> Result<bool, Refusal> {
        if now < self.opens_at {
            return Err(Refusal::NotOpen);
        }
        // A closed exam has released its keys: nothing more is taken, late
        // policy or not.
        if self.mode == Mode::Exam && now >= self.due_at && !returned {
            return Err(Refusal::PastDeadline(self.due_at));
        }
        let deadline = match self.mode {
            Mode::Exam => attempt_deadline.ok_or(Refusal::ExamNotStarted)?,
            Mode::Practice => self.due_at,
        };
        if earlier_submissions > 0 && !self.resubmission && !returned {
            return Err(Refusal::NoResubmission);
        }
        let late = now > deadline;
        // A claim returned for correction may always be corrected (flagged
        // late when past the deadline).
        if late && self.late == LatePolicy::Reject && !returned {
            return Err(Refusal::PastDeadline(deadline));
        }
        Ok(late)
    }

    /// Whether students see scores and keys now: practice at once, an exam
    /// once it has closed for everyone.
    pub fn feedback_released(&self, now: NaiveDateTime) -> bool {
        self.mode == Mode::Practice || self.phase(now) == Phase::Closed
    }
}

/// Parses a time given as `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z`
/// (times are UTC), as a browser's datetime-local input or an API client
/// sends it.
pub fn parse_time(field: &'static str, raw: &str) -> Result<NaiveDateTime, Invalid> {
    let t = raw.trim().trim_end_matches('Z');
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(at);
        }
    }
    Err(Invalid::new(
        field,
        format!("{raw:?} is not a UTC time like 2026-12-01T09:00"),
    ))
}

/// The generation seed of one student's encounters: each student gets a
/// different but reproducible set.
pub fn student_seed(assignment_seed: u64, student_id: i64) -> u64 {
    let digest = Sha256::digest(format!(
        "practicum-assignment\u{0}{assignment_seed}\u{0}{student_id}"
    ));
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    // Below 2^63 so every database stores it as BIGINT.
    u64::from_le_bytes(bytes) >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse_time("t", s).unwrap()
    }

    fn exam() -> Rules {
        Rules {
            mode: Mode::Exam,
            opens_at: at("2026-12-01T09:00"),
            due_at: at("2026-12-01T17:00"),
            time_limit_minutes: Some(120),
            late: LatePolicy::Reject,
            resubmission: false,
        }
    }

    #[test]
    fn the_exam_clock_is_the_limit_but_never_past_the_due_date() {
        let r = exam();
        assert_eq!(
            r.deadline_for(at("2026-12-01T10:00")),
            at("2026-12-01T12:00")
        );
        assert_eq!(
            r.deadline_for(at("2026-12-01T16:00")),
            at("2026-12-01T17:00")
        );
    }

    #[test]
    fn exam_submissions_need_a_started_clock_and_respect_it() {
        let r = exam();
        let deadline = r.deadline_for(at("2026-12-01T10:00"));
        assert_eq!(
            r.check_submission(at("2026-12-01T08:59"), Some(deadline), 0, false),
            Err(Refusal::NotOpen)
        );
        assert_eq!(
            r.check_submission(at("2026-12-01T10:30"), None, 0, false),
            Err(Refusal::ExamNotStarted)
        );
        assert_eq!(
            r.check_submission(at("2026-12-01T11:59"), Some(deadline), 0, false),
            Ok(false)
        );
        assert_eq!(
            r.check_submission(at("2026-12-01T12:01"), Some(deadline), 0, false),
            Err(Refusal::PastDeadline(deadline))
        );
        let flagged = Rules {
            late: LatePolicy::Flag,
            ..exam()
        };
        assert_eq!(
            flagged.check_submission(at("2026-12-01T12:01"), Some(deadline), 0, false),
            Ok(true)
        );
        // Once the exam has closed nothing is taken, flagged or not...
        assert_eq!(
            flagged.check_submission(at("2026-12-01T17:00"), Some(deadline), 0, false),
            Err(Refusal::PastDeadline(at("2026-12-01T17:00")))
        );
        // ...except the correction of a claim the supervisor returned.
        assert_eq!(
            r.check_submission(at("2026-12-02T09:00"), Some(deadline), 1, true),
            Ok(true)
        );
    }

    #[test]
    fn resubmission_only_when_allowed_or_returned() {
        let r = exam();
        let d = Some(at("2026-12-01T12:00"));
        let now = at("2026-12-01T10:00");
        assert_eq!(
            r.check_submission(now, d, 1, false),
            Err(Refusal::NoResubmission)
        );
        assert_eq!(r.check_submission(now, d, 1, true), Ok(false));
        let open = Rules {
            resubmission: true,
            ..exam()
        };
        assert_eq!(open.check_submission(now, d, 3, false), Ok(false));
    }

    #[test]
    fn exam_feedback_waits_for_the_close_practice_does_not() {
        let r = exam();
        assert!(!r.feedback_released(at("2026-12-01T16:59")));
        assert!(r.feedback_released(at("2026-12-01T17:00")));
        let practice = Rules {
            mode: Mode::Practice,
            time_limit_minutes: None,
            ..exam()
        };
        assert!(practice.feedback_released(at("2026-12-01T10:00")));
    }

    #[test]
    fn rules_and_times_are_validated_with_the_field_named() {
        let mut r = exam();
        r.due_at = r.opens_at;
        assert_eq!(r.validate().unwrap_err().field, "due_at");
        let practice = Rules {
            mode: Mode::Practice,
            ..exam()
        };
        assert_eq!(practice.validate().unwrap_err().field, "time_limit_minutes");
        assert!(exam().validate().is_ok());
        assert_eq!(at("2026-12-01T09:00:30Z"), at("2026-12-01T09:00:30"));
        assert_eq!(
            parse_time("opens_at", "tomorrow").unwrap_err().field,
            "opens_at"
        );
        assert_eq!(
            LatePolicy::parse("late_policy", "x").unwrap_err().field,
            "late_policy"
        );
    }

    #[test]
    fn each_student_gets_a_different_reproducible_seed() {
        let a = student_seed(7, 1);
        assert_eq!(a, student_seed(7, 1));
        assert_ne!(a, student_seed(7, 2));
        assert_ne!(a, student_seed(8, 1));
        assert!(a < 1 << 63);
    }
}
