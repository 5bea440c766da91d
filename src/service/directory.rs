//! Programs, cohorts, accounts and enrolments: who belongs where.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::sessions::Session;
use super::views::{CohortView, EnrolmentView, ProgramView, UserView};
use super::{AppState, db, not_found};
use crate::auth::password;
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::access::{CohortRef, UserRef};
use crate::practicum::accounts::{
    CohortRole, Role, check_new_password, parse_credential, parse_display_name, parse_email,
};
use crate::practicum::programs::{CohortSpec, ProgramSpec};
use crate::store::cohorts::CohortFields;
use crate::store::programs::ProgramFields;
use crate::store::users::{NewUser, UserChanges, UserFilter};
use crate::store::{cohorts, programs, users};

/// A program to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    #[schema(example = "Coding Certificate, evening track")]
    pub name: String,
    /// Approved practicum hours required (0–2000).
    #[schema(example = 40)]
    pub ppe_hours_required: i64,
    /// Score a claim needs to pass, in percent (0–100).
    #[schema(example = 80)]
    pub pass_threshold_pct: i64,
}

/// Changes to a program; omitted fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramPatch {
    pub name: Option<String>,
    pub ppe_hours_required: Option<i64>,
    pub pass_threshold_pct: Option<i64>,
}

/// A cohort to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortInput {
    #[schema(example = "Spring 2027")]
    pub name: String,
    /// First day of the term (YYYY-MM-DD).
    pub term_start: NaiveDate,
    /// Last day of the term (YYYY-MM-DD), not before the start.
    pub term_end: NaiveDate,
}

/// Changes to a cohort; omitted fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortPatch {
    pub name: Option<String>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
}

/// An account to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[schema(example = "new.student@school.example")]
    pub email: String,
    #[schema(example = "Robin Example")]
    pub display_name: String,
    pub role: Role,
    /// Initial password, at least 12 characters.
    pub password: String,
    /// Home program; must be one the caller administers.
    pub program_id: i64,
    /// Professional credential, e.g. "CPC" (optional).
    pub credential: Option<String>,
}

/// Changes to an account; omitted fields stay as they are, and at least one
/// must be given (the document says so: `minProperties` is set in
/// `api::Shared`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub display_name: Option<String>,
    /// New credential; an empty string clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub credential: Option<String>,
    /// false deactivates the account (it can no longer sign in).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// A new password (reset by an administrator).
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub password: Option<String>,
}

/// A patch field that is either absent or a value: `null` is refused (400
/// naming the field) rather than read as "leave it", which a client meaning
/// "clear it" would take for success.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A password change by the account holder.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// An enrolment to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    pub user_id: i64,
    /// student or supervisor; must match the account's role.
    pub role: CohortRole,
}

/// Paging and filters for account lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only this role.
    pub role: Option<Role>,
    /// Only students of this cohort.
    pub cohort_id: Option<i64>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A 404 if the caller may not even know the record exists, else a 403.
fn refuse(visible: bool) -> AppError {
    if visible {
        AppError::Forbidden
    } else {
        AppError::NotFound("record")
    }
}

// ---- programs -------------------------------------------------------------

/// Programs the caller can see: administered ones, or their own.
pub async fn list_programs(state: &AppState, s: &Session) -> AppResult<Vec<ProgramView>> {
    let ids = if s.scope.role == Role::ProgramAdmin {
        s.scope.admin_of.clone()
    } else {
        vec![s.scope.program_id]
    };
    let rows = db(state, move |c| programs::list(c, &ids)).await?;
    Ok(rows.iter().map(ProgramView::from).collect())
}

/// One program, if visible.
pub async fn get_program(state: &AppState, s: &Session, id: i64) -> AppResult<ProgramView> {
    if !s.scope.can_view_program(id) {
        return Err(AppError::NotFound("program"));
    }
    let row = db(state, move |c| programs::find(c, id))
        .await
        .map_err(not_found("program"))?;
    Ok(ProgramView::from(&row))
}

/// Creates a program; the creating admin administers it.
pub async fn create_program(
    state: &AppState,
    s: &Session,
    input: ProgramInput,
) -> AppResult<ProgramView> {
    if s.scope.role != Role::ProgramAdmin {
        return Err(AppError::Forbidden);
    }
    let spec = ProgramSpec::parse(
        &input.name,
        input.ppe_hours_required,
        input.pass_threshold_pct,
    )?;
    let admin = s.scope.user_id;
    let fields = ProgramFields {
        name: spec.name,
        ppe_hours_required: spec.ppe_hours_required,
        pass_threshold_pct: spec.pass_threshold_pct,
    };
    let row = db(state, move |c| programs::insert(c, &fields, Some(admin)))
        .await
        .map_err(name_taken("a program with this name already exists"))?;
    tracing::info!(program.id = row.id, user.id = admin, "program created");
    Ok(ProgramView::from(&row))
}

/// Edits a program the caller administers.
pub async fn update_program(
    state: &AppState,
    s: &Session,
    id: i64,
    patch: ProgramPatch,
) -> AppResult<ProgramView> {
    if !s.scope.administers(id) {
        return Err(refuse(s.scope.can_view_program(id)));
    }
    let current = db(state, move |c| programs::find(c, id))
        .await
        .map_err(not_found("program"))?;
    let spec = ProgramSpec::parse(
        patch.name.as_deref().unwrap_or(&current.name),
        patch
            .ppe_hours_required
            .unwrap_or(i64::from(current.ppe_hours_required)),
        patch
            .pass_threshold_pct
            .unwrap_or(i64::from(current.pass_threshold_pct)),
    )?;
    let fields = ProgramFields {
        name: spec.name,
        ppe_hours_required: spec.ppe_hours_required,
        pass_threshold_pct: spec.pass_threshold_pct,
    };
    let row = db(state, move |c| programs::update(c, id, &fields))
        .await
        .map_err(name_taken("a program with this name already exists"))?;
    tracing::info!(
        program.id = id,
        user.id = s.scope.user_id,
        "program updated"
    );
    Ok(ProgramView::from(&row))
}

fn name_taken(message: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| match e {
        AppError::Conflict { .. } => AppError::conflict("name", message),
        other => other,
    }
}

// ---- cohorts --------------------------------------------------------------

/// A program's cohorts: all of them for its admins, else the caller's own.
pub async fn list_cohorts(
    state: &AppState,
    s: &Session,
    program_id: i64,
) -> AppResult<Vec<CohortView>> {
    if !s.scope.can_view_program(program_id) {
        return Err(AppError::NotFound("program"));
    }
    let only: Option<Vec<i64>> = (!s.scope.administers(program_id))
        .then(|| s.scope.cohorts.iter().map(|(id, _)| *id).collect());
    let rows = db(state, move |c| {
        cohorts::list(c, program_id, only.as_deref())
    })
    .await?;
    Ok(rows.iter().map(CohortView::from).collect())
}

async fn load_cohort(state: &AppState, id: i64) -> AppResult<crate::store::cohorts::CohortRow> {
    db(state, move |c| cohorts::find(c, id))
        .await
        .map_err(not_found("cohort"))
}

fn cohort_ref(row: &crate::store::cohorts::CohortRow) -> CohortRef {
    CohortRef {
        id: row.id,
        program_id: row.program_id,
    }
}

/// One cohort, if the caller administers its program or is enrolled in it.
pub async fn get_cohort(state: &AppState, s: &Session, id: i64) -> AppResult<CohortView> {
    let row = load_cohort(state, id).await?;
    if !s.scope.can_view_cohort(cohort_ref(&row)) {
        return Err(AppError::NotFound("cohort"));
    }
    Ok(CohortView::from(&row))
}

/// Creates a cohort in a program the caller administers.
pub async fn create_cohort(
    state: &AppState,
    s: &Session,
    program_id: i64,
    input: CohortInput,
) -> AppResult<CohortView> {
    if !s.scope.administers(program_id) {
        return Err(refuse(s.scope.can_view_program(program_id)));
    }
    let spec = CohortSpec::parse(&input.name, input.term_start, input.term_end)?;
    let fields = CohortFields {
        name: spec.name,
        term_start: spec.term_start,
        term_end: spec.term_end,
    };
    let row = db(state, move |c| cohorts::insert(c, program_id, &fields))
        .await
        .map_err(name_taken(
            "this program already has a cohort with this name",
        ))?;
    tracing::info!(
        cohort.id = row.id,
        program.id = program_id,
        "cohort created"
    );
    Ok(CohortView::from(&row))
}

/// Edits a cohort the caller administers.
pub async fn update_cohort(
    state: &AppState,
    s: &Session,
    id: i64,
    patch: CohortPatch,
) -> AppResult<CohortView> {
    let current = load_cohort(state, id).await?;
    let r = cohort_ref(&current);
    if !s.scope.can_manage_cohort(r) {
        return Err(refuse(s.scope.can_view_cohort(r)));
    }
    let spec = CohortSpec::parse(
        patch.name.as_deref().unwrap_or(&current.name),
        patch.term_start.unwrap_or(current.term_start),
        patch.term_end.unwrap_or(current.term_end),
    )?;
    let fields = CohortFields {
        name: spec.name,
        term_start: spec.term_start,
        term_end: spec.term_end,
    };
    let row = db(state, move |c| cohorts::update(c, id, &fields))
        .await
        .map_err(name_taken(
            "this program already has a cohort with this name",
        ))?;
    tracing::info!(cohort.id = id, "cohort updated");
    Ok(CohortView::from(&row))
}

// ---- enrolments -----------------------------------------------------------

/// A cohort's supervisors and students, for its admins and supervisors.
pub async fn roster(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
) -> AppResult<Vec<EnrolmentView>> {
    let row = load_cohort(state, cohort_id).await?;
    let r = cohort_ref(&row);
    if !s.scope.can_view_roster(r) {
        return Err(if s.scope.can_view_cohort(r) {
            AppError::Forbidden
        } else {
            AppError::NotFound("cohort")
        });
    }
    let rows = db(state, move |c| cohorts::roster(c, cohort_id)).await?;
    Ok(rows
        .iter()
        .map(|(e, u)| EnrolmentView::from_rows(e, u))
        .collect())
}

/// Enrols a user of the cohort's program in the part their account allows.
pub async fn enrol(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    input: EnrolInput,
) -> AppResult<EnrolmentView> {
    let cohort = load_cohort(state, cohort_id).await?;
    let r = cohort_ref(&cohort);
    if !s.scope.can_manage_cohort(r) {
        return Err(if s.scope.can_view_cohort(r) {
            AppError::Forbidden
        } else {
            AppError::NotFound("cohort")
        });
    }
    let user_id = input.user_id;
    let user = match db(state, move |c| users::find(c, user_id)).await {
        Ok(u) if u.program_id == cohort.program_id => u,
        Ok(_) | Err(AppError::NotFound(_)) => {
            return Err(
                Invalid::new("user_id", "no account with this id in the cohort's program").into(),
            );
        }
        Err(e) => return Err(e),
    };
    if UserView::from_row(&user).role != input.role.required_account_role() {
        return Err(Invalid::new(
            "role",
            format!(
                "a {} account cannot be enrolled as {}",
                user.role,
                input.role.as_str()
            ),
        )
        .into());
    }
    let part = input.role.as_str();
    let enrolment = db(state, move |c| cohorts::enrol(c, cohort_id, user_id, part))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => {
                AppError::conflict("user_id", "this account is already enrolled in the cohort")
            }
            other => other,
        })?;
    tracing::info!(cohort.id = cohort_id, user.id = user_id, "enrolled");
    let entry = super::audit_entry(
        s,
        Some(r.program_id),
        "account.enrol",
        "cohort",
        Some(cohort_id),
        None,
        Some(serde_json::json!({"user_id": user_id, "role": part})),
    );
    record_audit(state, entry).await;
    Ok(EnrolmentView::from_rows(&enrolment, &user))
}

/// Removes an enrolment.
pub async fn unenrol(state: &AppState, s: &Session, cohort_id: i64, user_id: i64) -> AppResult<()> {
    let cohort = load_cohort(state, cohort_id).await?;
    let r = cohort_ref(&cohort);
    if !s.scope.can_manage_cohort(r) {
        return Err(if s.scope.can_view_cohort(r) {
            AppError::Forbidden
        } else {
            AppError::NotFound("cohort")
        });
    }
    let removed = db(state, move |c| cohorts::unenrol(c, cohort_id, user_id)).await?;
    if !removed {
        return Err(AppError::NotFound("enrolment"));
    }
    tracing::info!(cohort.id = cohort_id, user.id = user_id, "unenrolled");
    let entry = super::audit_entry(
        s,
        Some(r.program_id),
        "account.unenrol",
        "cohort",
        Some(cohort_id),
        Some(serde_json::json!({"user_id": user_id})),
        None,
    );
    record_audit(state, entry).await;
    Ok(())
}

// ---- accounts -------------------------------------------------------------

/// Accounts the caller may see: an admin's programs' users, a supervisor's
/// students (and themselves), or a student's own account.
pub async fn list_users(state: &AppState, s: &Session, q: UserQuery) -> AppResult<Vec<UserView>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            Some("limit"),
            "limit must be from 1 to 500",
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::bad_request(
            Some("offset"),
            "offset must not be negative",
        ));
    }
    let mut filter = UserFilter {
        role: q.role.map(|r| r.as_str().to_owned()),
        limit,
        offset,
        ..Default::default()
    };
    match s.scope.role {
        Role::ProgramAdmin => {
            filter.program_ids = Some(s.scope.admin_of.clone());
            if let Some(cohort) = q.cohort_id {
                filter.student_in_cohorts = Some(vec![cohort]);
            }
        }
        Role::Supervisor => {
            let mine = s.scope.supervised_cohorts();
            let cohorts = match q.cohort_id {
                Some(c) if mine.contains(&c) => vec![c],
                Some(_) => return Err(AppError::NotFound("cohort")),
                None => mine,
            };
            filter.student_in_cohorts = Some(cohorts);
        }
        Role::Student => filter.only_id = Some(s.scope.user_id),
    }
    let rows = db(state, move |c| users::list(c, &filter)).await?;
    Ok(rows.iter().map(UserView::from_row).collect())
}

async fn load_user_ref(
    state: &AppState,
    id: i64,
) -> AppResult<(crate::store::users::UserRow, UserRef)> {
    let (row, student_in) = db(state, move |c| {
        let row = users::find(c, id)?;
        let student_in = users::student_cohorts(c, id)?;
        Ok((row, student_in))
    })
    .await
    .map_err(not_found("user"))?;
    let r = UserRef {
        id: row.id,
        program_id: row.program_id,
        student_in,
    };
    Ok((row, r))
}

/// One account, if visible.
pub async fn get_user(state: &AppState, s: &Session, id: i64) -> AppResult<UserView> {
    let (row, r) = load_user_ref(state, id).await?;
    if !s.scope.can_view_user(&r) {
        return Err(AppError::NotFound("user"));
    }
    Ok(UserView::from_row(&row))
}

/// Creates an account in a program the caller administers.
pub async fn create_user(state: &AppState, s: &Session, input: UserInput) -> AppResult<UserView> {
    if s.scope.role != Role::ProgramAdmin {
        return Err(AppError::Forbidden);
    }
    // Another program's accounts are none of the caller's business.
    if !s.scope.administers(input.program_id) {
        return Err(AppError::Forbidden);
    }
    let email = parse_email(&input.email)?;
    let display_name = parse_display_name(&input.display_name)?;
    let credential = parse_credential(input.credential.as_deref())?;
    check_new_password(&input.password)?;
    let password = input.password;
    let password_hash = state
        .hashing
        .run(move || password::hash(&password))
        .await??;
    let new = NewUser {
        email,
        display_name,
        role: input.role.as_str().to_owned(),
        credential,
        program_id: input.program_id,
        password_hash,
    };
    let row = db(state, move |c| users::insert(c, new))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => {
                AppError::conflict("email", "an account with this e-mail already exists")
            }
            other => other,
        })?;
    tracing::info!(user.id = row.id, by = s.scope.user_id, "account created");
    audit_account(
        state,
        s,
        "account.create",
        row.program_id,
        row.id,
        None,
        &row,
    )
    .await;
    Ok(UserView::from_row(&row))
}

/// Edits an account in a program the caller administers.
pub async fn update_user(
    state: &AppState,
    s: &Session,
    id: i64,
    patch: UserPatch,
) -> AppResult<UserView> {
    let (_, r) = load_user_ref(state, id).await?;
    if !s.scope.can_manage_user(&r) {
        return Err(refuse(s.scope.can_view_user(&r)));
    }
    if id == s.scope.user_id && patch.active == Some(false) {
        return Err(Invalid::new("active", "you cannot deactivate your own account").into());
    }
    let mut changes = UserChanges {
        display_name: patch
            .display_name
            .as_deref()
            .map(parse_display_name)
            .transpose()?,
        credential: patch
            .credential
            .as_deref()
            .map(|c| parse_credential(Some(c)))
            .transpose()?,
        active: patch.active,
        password_hash: None,
    };
    if let Some(password) = patch.password {
        check_new_password(&password)?;
        changes.password_hash = Some(
            state
                .hashing
                .run(move || password::hash(&password))
                .await??,
        );
    }
    if changes.display_name.is_none()
        && changes.credential.is_none()
        && changes.active.is_none()
        && changes.password_hash.is_none()
    {
        return Err(AppError::bad_request(
            None,
            "nothing to change: give at least one field",
        ));
    }
    let before = db(state, move |c| users::find(c, id))
        .await
        .map_err(not_found("user"))?;
    let row = db(state, move |c| users::update(c, id, changes))
        .await
        .map_err(not_found("user"))?;
    tracing::info!(user.id = id, by = s.scope.user_id, "account updated");
    audit_account(
        state,
        s,
        "account.update",
        row.program_id,
        id,
        Some(&before),
        &row,
    )
    .await;
    Ok(UserView::from_row(&row))
}

/// Changes the caller's own password after checking the current one.
pub async fn change_own_password(
    state: &AppState,
    s: &Session,
    input: PasswordChange,
) -> AppResult<()> {
    check_new_password(&input.new_password).map_err(|e| Invalid::new("new_password", e.message))?;
    let id = s.scope.user_id;
    let row = db(state, move |c| users::find(c, id)).await?;
    let current = input.current_password;
    let ok = state
        .hashing
        .run(move || password::verify(&current, &row.password_hash))
        .await?;
    if !ok {
        return Err(Invalid::new("current_password", "the current password is incorrect").into());
    }
    let new = input.new_password;
    let hash = state.hashing.run(move || password::hash(&new)).await??;
    let changes = UserChanges {
        password_hash: Some(hash),
        ..Default::default()
    };
    let row = db(state, move |c| users::update(c, id, changes)).await?;
    tracing::info!(user.id = id, "password changed");
    audit_account(state, s, "account.password", row.program_id, id, None, &row).await;
    Ok(())
}

/// An account as the audit log keeps it (never the password hash).
fn account_json(u: &users::UserRow) -> serde_json::Value {
    serde_json::json!({
        "email": u.email,
        "display_name": u.display_name,
        "role": u.role,
        "credential": u.credential,
        "active": u.active,
    })
}

async fn audit_account(
    state: &AppState,
    s: &Session,
    action: &str,
    program_id: i64,
    user_id: i64,
    before: Option<&users::UserRow>,
    after: &users::UserRow,
) {
    let entry = super::audit_entry(
        s,
        Some(program_id),
        action,
        "user",
        Some(user_id),
        before.map(account_json),
        Some(account_json(after)),
    );
    record_audit(state, entry).await;
}

/// Writes an audit entry after a committed change; a failure is logged, not
/// returned, since the change itself stands.
async fn record_audit(state: &AppState, entry: crate::store::audit::NewAudit) {
    if let Err(e) = db(state, move |c| crate::store::audit::record(c, &entry)).await {
        tracing::error!(error = %e, "audit entry not written");
    }
}
