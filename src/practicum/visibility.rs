//! When a student may see feedback and the answer key: one place for the
//! rule every endpoint and page asks.

use chrono::NaiveDateTime;

use super::assignments::Rules;

/// How an encounter is being coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Feedback and key right after submission.
    Practice,
    /// Feedback and key only once the assignment has closed.
    Exam,
}

/// Whether a student sees the score, explanations, review and key of their
/// own submission on an encounter, given the rules of every assignment the
/// encounter belongs to. Practice shows them at once; an exam anywhere holds
/// them back until that exam closes, so nobody learns a key early through
/// another door (a practice set sharing the encounter, or a resubmission).
/// Staff of the cohort always see them; nobody sees another student's claim
/// (the access rules see to that).
pub fn student_sees_feedback<'a>(
    assignments: impl IntoIterator<Item = &'a Rules>,
    now: NaiveDateTime,
) -> bool {
    assignments.into_iter().all(|r| r.feedback_released(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practicum::assignments::{LatePolicy, parse_time};

    #[test]
    fn practice_shows_at_once_an_exam_only_after_it_closes() {
        let at = |s| parse_time("t", s).unwrap();
        let exam = Rules {
            mode: Mode::Exam,
            opens_at: at("2026-12-01T09:00"),
            due_at: at("2026-12-01T17:00"),
            time_limit_minutes: Some(60),
            late: LatePolicy::Reject,
            resubmission: false,
        };
        let practice = Rules {
            mode: Mode::Practice,
            time_limit_minutes: None,
            ..exam.clone()
        };
        assert!(student_sees_feedback([], at("2026-12-01T10:00")));
        assert!(student_sees_feedback([&practice], at("2026-12-01T10:00")));
        assert!(!student_sees_feedback([&exam], at("2026-12-01T16:59")));
        assert!(student_sees_feedback([&exam], at("2026-12-01T17:00")));
        // In a practice set and an open exam at once: hidden until the exam closes.
        assert!(!student_sees_feedback(
            [&practice, &exam],
            at("2026-12-01T10:00")
        ));
        assert!(student_sees_feedback(
            [&practice, &exam],
            at("2026-12-02T10:00")
        ));
    }
}
