//! When a student may see feedback and the answer key: one place for the
//! rule every endpoint and page asks.

/// How an encounter is being coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Feedback and key right after submission.
    Practice,
    /// Feedback and key only once the assignment has closed.
    Exam,
}

/// Whether a student sees the score, explanations and key of their own
/// submission. Staff (supervisors of the cohort, program admins) always do;
/// nobody sees another student's claim (checked by access rules).
pub fn student_sees_feedback(mode: Mode, submitted: bool, closed: bool) -> bool {
    submitted && (mode == Mode::Practice || closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_shows_after_submission_exam_after_closing() {
        assert!(!student_sees_feedback(Mode::Practice, false, false));
        assert!(student_sees_feedback(Mode::Practice, true, false));
        assert!(!student_sees_feedback(Mode::Exam, true, false));
        assert!(!student_sees_feedback(Mode::Exam, false, true));
        assert!(student_sees_feedback(Mode::Exam, true, true));
    }
}
