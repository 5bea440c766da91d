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
);

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
