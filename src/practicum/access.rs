//! Who may see and change what. Every decision is a plain function over the
//! caller's scope, so handlers ask the same questions the same way.

use super::accounts::{CohortRole, Role};

/// The signed-in user and everything their rights depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The caller's user id.
    pub user_id: i64,
    /// The caller's account role.
    pub role: Role,
    /// The caller's home program.
    pub program_id: i64,
    /// Programs the caller administers (program admins only).
    pub admin_of: Vec<i64>,
    /// Cohorts the caller is enrolled in, with the part they play.
    pub cohorts: Vec<(i64, CohortRole)>,
}

/// What an access check needs to know about a cohort.
#[derive(Debug, Clone, Copy)]
pub struct CohortRef {
    /// The cohort's id.
    pub id: i64,
    /// The program it belongs to.
    pub program_id: i64,
}

/// What an access check needs to know about a user.
#[derive(Debug, Clone)]
pub struct UserRef {
    /// The user's id.
    pub id: i64,
    /// Their home program.
    pub program_id: i64,
    /// Cohorts they are enrolled in as a student.
    pub student_in: Vec<i64>,
}

impl Scope {
    /// True for a program admin who administers `program_id`.
    pub fn administers(&self, program_id: i64) -> bool {
        self.role == Role::ProgramAdmin && self.admin_of.contains(&program_id)
    }

    /// True if the caller supervises `cohort_id`.
    pub fn supervises(&self, cohort_id: i64) -> bool {
        self.role == Role::Supervisor
            && self
                .cohorts
                .iter()
                .any(|&(id, part)| id == cohort_id && part == CohortRole::Supervisor)
    }

    /// True if the caller is enrolled in `cohort_id` in any part.
    pub fn enrolled_in(&self, cohort_id: i64) -> bool {
        self.cohorts.iter().any(|&(id, _)| id == cohort_id)
    }

    /// Program admins of the program, and its own staff and students, may read a program.
    pub fn can_view_program(&self, program_id: i64) -> bool {
        self.administers(program_id) || self.program_id == program_id
    }

    /// Program admins of its program and anyone enrolled may read a cohort's details.
    pub fn can_view_cohort(&self, cohort: CohortRef) -> bool {
        self.administers(cohort.program_id) || self.enrolled_in(cohort.id)
    }

    /// Program admins and the cohort's supervisors may read the roster; students may not.
    pub fn can_view_roster(&self, cohort: CohortRef) -> bool {
        self.administers(cohort.program_id) || self.supervises(cohort.id)
    }

    /// Only program admins of its program change a cohort or its enrolments.
    pub fn can_manage_cohort(&self, cohort: CohortRef) -> bool {
        self.administers(cohort.program_id)
    }

    /// Everyone sees themselves; admins see their programs' users; supervisors
    /// see the students of cohorts they supervise.
    pub fn can_view_user(&self, user: &UserRef) -> bool {
        user.id == self.user_id
            || self.administers(user.program_id)
            || user.student_in.iter().any(|&c| self.supervises(c))
    }

    /// Only program admins of the user's program change an account.
    pub fn can_manage_user(&self, user: &UserRef) -> bool {
        self.administers(user.program_id)
    }

    /// Anyone in the cohort and its program's admins may read its charts.
    pub fn can_read_charts(&self, cohort: CohortRef) -> bool {
        self.administers(cohort.program_id) || self.enrolled_in(cohort.id)
    }

    /// Only the cohort's supervisors and its program's admins see answer keys,
    /// generate encounters or author key versions.
    pub fn can_supervise_charts(&self, cohort: CohortRef) -> bool {
        self.administers(cohort.program_id) || self.supervises(cohort.id)
    }

    /// Cohorts whose students the caller supervises.
    pub fn supervised_cohorts(&self) -> Vec<i64> {
        if self.role != Role::Supervisor {
            return Vec::new();
        }
        self.cohorts
            .iter()
            .filter(|(_, part)| *part == CohortRole::Supervisor)
            .map(|(id, _)| *id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_read_charts_but_never_keys() {
        let cohort = CohortRef {
            id: 5,
            program_id: 1,
        };
        let student = Scope {
            user_id: 10,
            role: Role::Student,
            program_id: 1,
            admin_of: vec![],
            cohorts: vec![(5, CohortRole::Student)],
        };
        assert!(student.can_read_charts(cohort));
        assert!(!student.can_supervise_charts(cohort));
        let other = CohortRef {
            id: 6,
            program_id: 1,
        };
        assert!(!student.can_read_charts(other));
        let supervisor = Scope {
            role: Role::Supervisor,
            cohorts: vec![(5, CohortRole::Supervisor)],
            ..student.clone()
        };
        assert!(supervisor.can_supervise_charts(cohort));
        assert!(!supervisor.can_supervise_charts(other));
        let admin = Scope {
            role: Role::ProgramAdmin,
            admin_of: vec![1],
            cohorts: vec![],
            ..student
        };
        assert!(admin.can_supervise_charts(other));
        assert!(!admin.can_read_charts(CohortRef {
            id: 7,
            program_id: 2
        }));
    }

    fn scope(role: Role, admin_of: Vec<i64>, cohorts: Vec<(i64, CohortRole)>) -> Scope {
        Scope {
            user_id: 10,
            role,
            program_id: 1,
            admin_of,
            cohorts,
        }
    }

    #[test]
    fn admins_are_limited_to_their_programs() {
        let admin = scope(Role::ProgramAdmin, vec![1], vec![]);
        let own = CohortRef {
            id: 5,
            program_id: 1,
        };
        let other = CohortRef {
            id: 6,
            program_id: 2,
        };
        assert!(admin.can_manage_cohort(own) && admin.can_view_roster(own));
        assert!(!admin.can_manage_cohort(other) && !admin.can_view_cohort(other));
        assert!(!admin.can_view_program(2));
        let stranger = UserRef {
            id: 99,
            program_id: 2,
            student_in: vec![6],
        };
        assert!(!admin.can_view_user(&stranger) && !admin.can_manage_user(&stranger));
    }

    #[test]
    fn supervisors_see_only_their_cohorts_students() {
        let sup = scope(Role::Supervisor, vec![], vec![(5, CohortRole::Supervisor)]);
        let mine = UserRef {
            id: 20,
            program_id: 1,
            student_in: vec![5],
        };
        let theirs = UserRef {
            id: 21,
            program_id: 1,
            student_in: vec![6],
        };
        assert!(sup.can_view_user(&mine));
        assert!(!sup.can_view_user(&theirs));
        assert!(!sup.can_manage_user(&mine));
        assert!(sup.can_view_roster(CohortRef {
            id: 5,
            program_id: 1
        }));
        assert!(!sup.can_view_roster(CohortRef {
            id: 6,
            program_id: 1
        }));
        assert_eq!(sup.supervised_cohorts(), vec![5]);
    }

    #[test]
    fn students_see_only_themselves() {
        let student = scope(Role::Student, vec![1], vec![(5, CohortRole::Student)]);
        // Even a stray admin row must not lift a student's rights.
        assert!(!student.administers(1));
        let classmate = UserRef {
            id: 11,
            program_id: 1,
            student_in: vec![5],
        };
        let me = UserRef {
            id: 10,
            program_id: 1,
            student_in: vec![5],
        };
        assert!(!student.can_view_user(&classmate));
        assert!(student.can_view_user(&me));
        let cohort = CohortRef {
            id: 5,
            program_id: 1,
        };
        assert!(student.can_view_cohort(cohort));
        assert!(!student.can_view_roster(cohort));
        assert!(!student.can_manage_cohort(cohort));
    }
}
