//! The diesel schema, hand-kept so one file serves SQLite and PostgreSQL:
//! only types both share (BigInt ids, Text, Bool, Date, Timestamp in UTC).

diesel::table! {
    programs (id) {
        id -> BigInt,
        name -> Text,
        ppe_hours_required -> Integer,
        pass_threshold_pct -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        grading -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        credential -> Nullable<Text>,
        program_id -> BigInt,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    program_admins (program_id, user_id) {
        program_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    cohorts (id) {
        id -> BigInt,
        program_id -> BigInt,
        name -> Text,
        term_start -> Date,
        term_end -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enrolments (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(users -> programs (program_id));
diesel::joinable!(program_admins -> programs (program_id));
diesel::joinable!(program_admins -> users (user_id));
diesel::joinable!(cohorts -> programs (program_id));
diesel::joinable!(enrolments -> cohorts (cohort_id));
diesel::joinable!(enrolments -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    programs,
    users,
    program_admins,
    cohorts,
    enrolments,
    revoked_tokens,
    codeset_imports,
    generation_runs,
    patients,
    encounters,
    documents,
    answer_keys,
    claim_drafts,
    claim_submissions,
    claim_scores,
    assignments,
    assignment_items,
    assignment_attempts,
    claim_reviews,
    coding_sessions,
    hour_entries,
    hour_signoffs,
    audit_log,
);

diesel::table! {
    claim_drafts (id) {
        id -> BigInt,
        encounter_id -> BigInt,
        student_id -> BigInt,
        body -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    claim_submissions (id) {
        id -> BigInt,
        encounter_id -> BigInt,
        student_id -> BigInt,
        version -> Integer,
        body -> Text,
        idempotency_key -> Text,
        submitted_at -> Timestamp,
        assignment_id -> Nullable<BigInt>,
        late -> Bool,
    }
}

diesel::table! {
    claim_scores (id) {
        id -> BigInt,
        submission_id -> BigInt,
        key_version -> Integer,
        engine_version -> Text,
        total -> Double,
        passed -> Bool,
        report -> Text,
        scored_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        tally -> Text,
    }
}

diesel::joinable!(claim_scores -> claim_submissions (submission_id));

diesel::table! {
    generation_runs (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        requested_by -> Nullable<BigInt>,
        seed -> BigInt,
        requested -> Integer,
        created -> Integer,
        areas -> Text,
        difficulties -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    patients (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        mrn -> Text,
        family_name -> Text,
        given_name -> Text,
        sex -> Text,
        birth_date -> Date,
        demographics -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    encounters (id) {
        id -> BigInt,
        patient_id -> BigInt,
        cohort_id -> BigInt,
        run_id -> Nullable<BigInt>,
        scenario_id -> Text,
        scenario_version -> Integer,
        seed -> BigInt,
        title -> Text,
        specialty -> Text,
        difficulty -> Text,
        minutes -> Integer,
        date_of_service -> Date,
        place_of_service -> Text,
        chart -> Text,
        variables -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> BigInt,
        encounter_id -> BigInt,
        position -> Integer,
        kind -> Text,
        title -> Text,
        body -> Text,
    }
}

diesel::table! {
    answer_keys (id) {
        id -> BigInt,
        encounter_id -> BigInt,
        version -> Integer,
        source -> Text,
        body -> Text,
        note -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(encounters -> patients (patient_id));
diesel::joinable!(documents -> encounters (encounter_id));
diesel::joinable!(answer_keys -> encounters (encounter_id));

diesel::table! {
    codeset_imports (id) {
        id -> BigInt,
        kind -> Text,
        release_name -> Text,
        effective_from -> Nullable<Date>,
        effective_to -> Nullable<Date>,
        content_gz -> Binary,
        sha256 -> Text,
        row_count -> BigInt,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        title -> Text,
        instructions -> Text,
        mode -> Text,
        opens_at -> Timestamp,
        due_at -> Timestamp,
        time_limit_minutes -> Nullable<Integer>,
        late_policy -> Text,
        resubmission -> Bool,
        shared_set -> Bool,
        selection -> Text,
        seed -> BigInt,
        pass_mark_pct -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignment_items (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        student_id -> Nullable<BigInt>,
        encounter_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    assignment_attempts (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        student_id -> BigInt,
        started_at -> Timestamp,
        deadline_at -> Timestamp,
    }
}

diesel::table! {
    claim_reviews (id) {
        id -> BigInt,
        submission_id -> BigInt,
        reviewer_id -> BigInt,
        outcome -> Text,
        override_total -> Nullable<Double>,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coding_sessions (id) {
        id -> BigInt,
        encounter_id -> BigInt,
        student_id -> BigInt,
        opened_at -> Timestamp,
        last_seen_at -> Timestamp,
        active_seconds -> Integer,
        beats -> Integer,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    hour_entries (id) {
        id -> BigInt,
        student_id -> BigInt,
        cohort_id -> BigInt,
        kind -> Text,
        work_date -> Date,
        activity -> Text,
        minutes -> Integer,
        reason -> Text,
        encounter_id -> Nullable<BigInt>,
        submission_id -> Nullable<BigInt>,
        reverses_id -> Nullable<BigInt>,
        status -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    hour_signoffs (id) {
        id -> BigInt,
        student_id -> BigInt,
        cohort_id -> BigInt,
        period_start -> Date,
        period_end -> Date,
        supervisor_id -> BigInt,
        attestation -> Text,
        approved_minutes -> Integer,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        program_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::joinable!(assignment_items -> assignments (assignment_id));
diesel::joinable!(assignment_items -> encounters (encounter_id));
diesel::joinable!(claim_reviews -> claim_submissions (submission_id));
diesel::joinable!(claim_submissions -> encounters (encounter_id));

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        subject -> Text,
        at -> Timestamp,
    }
}
