//! Accuracy tallies and program reports: what a student or a cohort got right,
//! by area and by week, as data, CSV tables and server-rendered SVG charts.
//!
//! Everything here works on plain values the service reads from the database,
//! so reports are computed the same way for a page, an export and a test.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::claims::scoring::{ScoreReport, Verdict};

/// Correct out of reviewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub correct: u32,
    pub total: u32,
}

impl Ratio {
    /// The share correct in percent; `None` when nothing was reviewed, so an
    /// empty category is never shown as 0 % or 100 %.
    pub fn pct(self) -> Option<f64> {
        (self.total > 0).then(|| f64::from(self.correct) / f64::from(self.total) * 100.0)
    }

    /// Pools another count into this one.
    pub fn add(&mut self, other: Ratio) {
        self.correct += other.correct;
        self.total += other.total;
    }

    /// Counts one reviewed item.
    fn count(&mut self, correct: bool) {
        self.total += 1;
        if correct {
            self.correct += 1;
        }
    }
}

/// A claim's accuracy in the units audit reports use, small enough to store
/// beside every score (JSON column). Fields default when absent so tallies
/// stored before a field existed still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tally {
    /// ICD-10-CM codes: the key's diagnoses, plus over-coded ones (never correct).
    pub icd: Ratio,
    /// CPT line codes (5 digits, or 4 digits and F, T, U or M).
    pub cpt: Ratio,
    /// HCPCS Level II line codes (a letter A–V and 4 digits).
    pub hcpcs: Ratio,
    pub modifiers: Ratio,
    pub units: Ratio,
    pub pointers: Ratio,
    /// The first-listed diagnosis, one per claim.
    pub sequencing: Ratio,
    /// Key lines right in every respect, over key lines plus over-coded lines.
    pub lines: Ratio,
    /// 1/1 for a claim that matches the key exactly, else 0/1.
    pub claims: Ratio,
}

impl Tally {
    /// Adds another tally, category by category.
    pub fn add(&mut self, other: &Tally) {
        self.icd.add(other.icd);
        self.cpt.add(other.cpt);
        self.hcpcs.add(other.hcpcs);
        self.modifiers.add(other.modifiers);
        self.units.add(other.units);
        self.pointers.add(other.pointers);
        self.sequencing.add(other.sequencing);
        self.lines.add(other.lines);
        self.claims.add(other.claims);
    }

    /// All codes pooled (ICD-10-CM, CPT and HCPCS): the headline code accuracy.
    pub fn codes(&self) -> Ratio {
        let mut pooled = self.icd;
        pooled.add(self.cpt);
        pooled.add(self.hcpcs);
        pooled
    }

    /// The count a procedure code belongs to. A code of neither CPT nor
    /// HCPCS shape is counted with CPT, the default set on a professional
    /// claim, so the pooled code total still counts every code reviewed.
    fn procedure_ratio(&mut self, code: &str) -> &mut Ratio {
        match procedure_set(code) {
            ProcedureSet::Hcpcs => &mut self.hcpcs,
            ProcedureSet::Cpt | ProcedureSet::Unrecognized => &mut self.cpt,
        }
    }
}

/// The procedure code set a line code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProcedureSet {
    Cpt,
    Hcpcs,
    /// Neither shape; claims accept any short code and leave content to edits.
    Unrecognized,
}

fn procedure_set(code: &str) -> ProcedureSet {
    let code = code.trim().as_bytes();
    let four_digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    match code {
        [a, b, c, d, e] if four_digits(&[*a, *b, *c, *d]) => {
            if e.is_ascii_digit() || matches!(e.to_ascii_uppercase(), b'F' | b'T' | b'U' | b'M') {
                ProcedureSet::Cpt
            } else {
                ProcedureSet::Unrecognized
            }
        }
        [first, a, b, c, d]
            if matches!(first.to_ascii_uppercase(), b'A'..=b'V')
                && four_digits(&[*a, *b, *c, *d]) =>
        {
            ProcedureSet::Hcpcs
        }
        _ => ProcedureSet::Unrecognized,
    }
}

/// Tallies a score report. Near misses are not correct (an auditor counts
/// them wrong); edit deductions are not coding elements and are left out.
pub fn tally(report: &ScoreReport) -> Tally {
    let mut t = Tally::default();
    // Key line number → whether every element seen for it so far is correct.
    let mut key_lines: Vec<(Option<usize>, bool)> = Vec::new();
    let mut flawless = true;
    for e in &report.elements {
        let correct = e.verdict == Verdict::Correct;
        if matches!(
            e.verdict,
            Verdict::Wrong | Verdict::Missing | Verdict::Extra | Verdict::NearMiss
        ) {
            flawless = false;
        }
        // Line codes are counted in the set of the key's code; an
        // over-coded line has only the code given.
        let procedure_code = e.expected.as_deref().or(e.given.as_deref()).unwrap_or("");
        match e.element {
            "first_listed" => {
                t.icd.count(correct);
                t.sequencing.count(correct);
            }
            "diagnosis" => t.icd.count(correct),
            "extra_diagnosis" => t.icd.count(false),
            "line_code" => t.procedure_ratio(procedure_code).count(correct),
            "line_modifiers" => t.modifiers.count(correct),
            "line_units" => t.units.count(correct),
            "line_pointers" => t.pointers.count(correct),
            "extra_line" => {
                t.procedure_ratio(procedure_code).count(false);
                t.lines.count(false);
            }
            _ => {}
        }
        if e.element.starts_with("line_") {
            match key_lines.iter_mut().find(|(line, _)| *line == e.line) {
                Some((_, all_correct)) => *all_correct &= correct,
                None => key_lines.push((e.line, correct)),
            }
        }
    }
    for (_, all_correct) in key_lines {
        t.lines.count(all_correct);
    }
    t.claims.count(flawless && report.total >= 100.0 - 1e-9);
    t
}

/// One scored claim as reports need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredClaim {
    pub student_id: i64,
    /// The scenario's practice area (for example "Orthopedics").
    pub area: String,
    /// In the program's local time; weeks are cut on this clock.
    pub submitted_at: NaiveDateTime,
    pub total: f64,
    pub passed: bool,
    pub tally: Tally,
}

/// A student's logged practicum time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentHours {
    pub student_id: i64,
    pub approved_minutes: i64,
    pub pending_minutes: i64,
}

/// Who a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentInfo {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// Sums over a set of claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub claims: u32,
    /// Mean claim score (0–100), unrounded; `None` without claims.
    pub mean_score: Option<f64>,
    pub passed: u32,
    pub tally: Tally,
}

/// One week of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Monday of the ISO week.
    pub week_start: NaiveDate,
    pub claims: u32,
    pub mean_score: f64,
    /// ICD-10-CM, CPT and HCPCS codes pooled, in percent.
    pub code_accuracy: Option<f64>,
}

/// One student's hours and accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentReport {
    pub student: StudentInfo,
    pub hours: StudentHours,
    pub required_minutes: i64,
    pub hours_complete: bool,
    pub overall: Accuracy,
    /// Sorted by area.
    pub by_area: Vec<(String, Accuracy)>,
    /// Sorted by week; weeks without claims are left out.
    pub trend: Vec<TrendPoint>,
}

/// A cohort's students and their pooled accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortReport {
    /// Sorted by name (ignoring case), then id.
    pub students: Vec<StudentReport>,
    pub overall: Accuracy,
    pub by_area: Vec<(String, Accuracy)>,
    pub trend: Vec<TrendPoint>,
    pub required_minutes: i64,
    pub students_hours_complete: u32,
}

/// Running sums; the mean is taken only at the end so pooling stays exact.
#[derive(Debug, Clone, Default)]
struct Sums {
    claims: u32,
    score_sum: f64,
    passed: u32,
    tally: Tally,
}

impl Sums {
    fn push(&mut self, claim: &ScoredClaim) {
        self.claims += 1;
        self.score_sum += claim.total;
        self.passed += u32::from(claim.passed);
        self.tally.add(&claim.tally);
    }

    fn merge(&mut self, other: &Sums) {
        self.claims += other.claims;
        self.score_sum += other.score_sum;
        self.passed += other.passed;
        self.tally.add(&other.tally);
    }

    fn mean(&self) -> Option<f64> {
        (self.claims > 0).then(|| self.score_sum / f64::from(self.claims))
    }

    fn accuracy(&self) -> Accuracy {
        Accuracy {
            claims: self.claims,
            mean_score: self.mean(),
            passed: self.passed,
            tally: self.tally.clone(),
        }
    }
}

/// Overall, per-area and per-week sums for some set of claims.
#[derive(Debug, Default)]
struct Breakdown {
    overall: Sums,
    by_area: BTreeMap<String, Sums>,
    by_week: BTreeMap<NaiveDate, Sums>,
}

fn week_start(at: NaiveDateTime) -> NaiveDate {
    let day = at.date();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

impl Breakdown {
    fn push(&mut self, claim: &ScoredClaim) {
        self.overall.push(claim);
        // Look up by &str first: areas repeat, so most claims allocate nothing.
        match self.by_area.get_mut(claim.area.as_str()) {
            Some(sums) => sums.push(claim),
            None => self
                .by_area
                .entry(claim.area.clone())
                .or_default()
                .push(claim),
        }
        self.by_week
            .entry(week_start(claim.submitted_at))
            .or_default()
            .push(claim);
    }

    fn merge(&mut self, other: &Breakdown) {
        self.overall.merge(&other.overall);
        for (area, sums) in &other.by_area {
            match self.by_area.get_mut(area.as_str()) {
                Some(mine) => mine.merge(sums),
                None => {
                    self.by_area.insert(area.clone(), sums.clone());
                }
            }
        }
        for (week, sums) in &other.by_week {
            self.by_week.entry(*week).or_default().merge(sums);
        }
    }

    fn areas(&self) -> Vec<(String, Accuracy)> {
        self.by_area
            .iter()
            .map(|(area, sums)| (area.clone(), sums.accuracy()))
            .collect()
    }

    fn trend(&self) -> Vec<TrendPoint> {
        self.by_week
            .iter()
            .map(|(week, sums)| TrendPoint {
                week_start: *week,
                claims: sums.claims,
                mean_score: sums.mean().unwrap_or(0.0),
                code_accuracy: sums.tally.codes().pct(),
            })
            .collect()
    }
}

fn build_student(
    student: StudentInfo,
    hours: StudentHours,
    required_minutes: i64,
    breakdown: &Breakdown,
) -> StudentReport {
    StudentReport {
        student,
        hours,
        required_minutes,
        hours_complete: hours.approved_minutes >= required_minutes,
        overall: breakdown.overall.accuracy(),
        by_area: breakdown.areas(),
        trend: breakdown.trend(),
    }
}

/// One student's report. Claims of other students in `claims` are ignored.
/// Hours are complete when approved minutes reach the requirement; pending
/// minutes do not count until a supervisor approves them.
pub fn student_report(
    student: StudentInfo,
    hours: StudentHours,
    required_minutes: i64,
    claims: &[ScoredClaim],
) -> StudentReport {
    let mut breakdown = Breakdown::default();
    for claim in claims.iter().filter(|c| c.student_id == student.id) {
        breakdown.push(claim);
    }
    build_student(student, hours, required_minutes, &breakdown)
}

/// A cohort's report. Claims and hours of students not in `students` are
/// ignored; students without claims or hours get zeros. A student listed twice
/// is reported once. Several hours rows for one student are added up.
pub fn cohort_report(
    students: Vec<StudentInfo>,
    hours: &[StudentHours],
    required_minutes: i64,
    claims: &[ScoredClaim],
) -> CohortReport {
    let mut students = students;
    students.sort_by_cached_key(|s| (s.name.to_lowercase(), s.id));
    let mut seen = std::collections::HashSet::with_capacity(students.len());
    students.retain(|s| seen.insert(s.id));

    // Group once by student so the work is linear in the number of claims.
    let slot: HashMap<i64, usize> = students
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    let mut breakdowns: Vec<Breakdown> = students.iter().map(|_| Breakdown::default()).collect();
    for claim in claims {
        if let Some(&i) = slot.get(&claim.student_id) {
            breakdowns[i].push(claim);
        }
    }
    let mut logged: Vec<StudentHours> = students
        .iter()
        .map(|s| StudentHours {
            student_id: s.id,
            ..StudentHours::default()
        })
        .collect();
    for h in hours {
        if let Some(&i) = slot.get(&h.student_id) {
            logged[i].approved_minutes += h.approved_minutes;
            logged[i].pending_minutes += h.pending_minutes;
        }
    }

    let mut cohort = Breakdown::default();
    let mut reports = Vec::with_capacity(students.len());
    for ((student, breakdown), hours) in students.into_iter().zip(&breakdowns).zip(logged) {
        cohort.merge(breakdown);
        reports.push(build_student(student, hours, required_minutes, breakdown));
    }
    let students_hours_complete = reports.iter().filter(|r| r.hours_complete).count() as u32;
    CohortReport {
        students: reports,
        overall: cohort.overall.accuracy(),
        by_area: cohort.areas(),
        trend: cohort.trend(),
        required_minutes,
        students_hours_complete,
    }
}

// ---------------------------------------------------------------------------
// CSV export

/// Neutralizes spreadsheet formulas: names and e-mails are user-entered, and a
/// cell such as `=HYPERLINK(...)` would run when the export is opened.
fn safe_cell(text: &str) -> String {
    // A plain number (a negative reversal, say) is no formula.
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn one_decimal(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn hours_text(minutes: i64) -> String {
    format!("{:.2}", minutes as f64 / 60.0)
}

/// Writes a table; every cell passes the formula guard.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut write = |cells: Vec<String>| {
        w.write_record(cells.iter().map(|c| safe_cell(c)))
            .expect("writing CSV to memory cannot fail");
    };
    write(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        write(row);
    }
    let bytes = w.into_inner().expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV built from strings is UTF-8")
}

/// One row per student.
pub fn cohort_csv(r: &CohortReport) -> String {
    let header = [
        "student_id",
        "name",
        "email",
        "approved_hours",
        "pending_hours",
        "required_hours",
        "hours_complete",
        "claims",
        "mean_score",
        "passed",
        "icd_pct",
        "cpt_pct",
        "hcpcs_pct",
        "modifiers_pct",
        "units_pct",
        "pointers_pct",
        "sequencing_pct",
        "line_pct",
        "claim_pct",
    ];
    let rows = r.students.iter().map(|s| {
        let t = &s.overall.tally;
        vec![
            s.student.id.to_string(),
            s.student.name.clone(),
            s.student.email.clone(),
            hours_text(s.hours.approved_minutes),
            hours_text(s.hours.pending_minutes),
            hours_text(s.required_minutes),
            s.hours_complete.to_string(),
            s.overall.claims.to_string(),
            one_decimal(s.overall.mean_score),
            s.overall.passed.to_string(),
            one_decimal(t.icd.pct()),
            one_decimal(t.cpt.pct()),
            one_decimal(t.hcpcs.pct()),
            one_decimal(t.modifiers.pct()),
            one_decimal(t.units.pct()),
            one_decimal(t.pointers.pct()),
            one_decimal(t.sequencing.pct()),
            one_decimal(t.lines.pct()),
            one_decimal(t.claims.pct()),
        ]
    });
    table(&header, rows)
}

/// One row per practice area.
pub fn areas_csv(by_area: &[(String, Accuracy)]) -> String {
    let header = [
        "area",
        "claims",
        "mean_score",
        "passed",
        "code_pct",
        "line_pct",
        "claim_pct",
    ];
    let rows = by_area.iter().map(|(area, a)| {
        vec![
            area.clone(),
            a.claims.to_string(),
            one_decimal(a.mean_score),
            a.passed.to_string(),
            one_decimal(a.tally.codes().pct()),
            one_decimal(a.tally.lines.pct()),
            one_decimal(a.tally.claims.pct()),
        ]
    });
    table(&header, rows)
}

/// One row per week.
pub fn trend_csv(trend: &[TrendPoint]) -> String {
    let header = ["week_start", "claims", "mean_score", "code_pct"];
    let rows = trend.iter().map(|p| {
        vec![
            p.week_start.to_string(),
            p.claims.to_string(),
            one_decimal(Some(p.mean_score)),
            one_decimal(p.code_accuracy),
        ]
    });
    table(&header, rows)
}

// ---------------------------------------------------------------------------
// SVG charts

const CHART_WIDTH: f64 = 640.0;
const TREND_HEIGHT: f64 = 240.0;

/// Escapes text for XML content and attributes, dropping characters XML 1.0
/// cannot carry at all (most C0 controls) so the chart stays well-formed.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A stable id stem for `aria-labelledby`, distinct for charts with different
/// content so several charts can share a page.
fn chart_id(kind: &str, title: &str, desc: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in kind.bytes().chain(title.bytes()).chain(desc.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{kind}-{hash:08x}")
}

fn open_svg(out: &mut String, kind: &str, title: &str, desc: &str, height: f64) {
    let id = chart_id(kind, title, desc);
    let title = xml_escape(title);
    let desc = xml_escape(desc);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        out,
        r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#
    );
    let _ = write!(
        out,
        r#"<text x="8" y="18" font-size="14" font-weight="bold" fill="currentColor">{title}</text>"#
    );
}

fn percent_label(value: f64) -> String {
    format!("{value:.1}%")
}

fn claims_label(n: u32) -> String {
    if n == 1 {
        "1 claim".to_owned()
    } else {
        format!("{n} claims")
    }
}

fn short_date(d: NaiveDate) -> String {
    d.format("%b %-d").to_string()
}

fn long_date(d: NaiveDate) -> String {
    d.format("%b %-d, %Y").to_string()
}

/// A finite percentage clamped to the chart's 0–100 scale.
fn on_scale(value: f64) -> f64 {
    if value.is_finite() {
        value.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// Line chart of the mean score per week, 0–100 %.
pub fn trend_svg(title: &str, points: &[TrendPoint]) -> String {
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 624.0;
    const TOP: f64 = 36.0;
    const BOTTOM: f64 = 204.0;
    let y_of = |pct: f64| BOTTOM - on_scale(pct) / 100.0 * (BOTTOM - TOP);
    let x_of = |i: usize| {
        if points.len() <= 1 {
            (LEFT + RIGHT) / 2.0
        } else {
            LEFT + i as f64 * (RIGHT - LEFT) / (points.len() - 1) as f64
        }
    };
    let tooltip = |p: &TrendPoint| {
        format!(
            "week of {}: {} over {}",
            long_date(p.week_start),
            percent_label(p.mean_score),
            claims_label(p.claims)
        )
    };
    let desc = if points.is_empty() {
        "No scored claims yet".to_owned()
    } else {
        let weeks: Vec<String> = points.iter().map(tooltip).collect();
        format!("Mean score per week. {}.", weeks.join("; "))
    };

    let mut out = String::new();
    open_svg(&mut out, "trend", title, &desc, TREND_HEIGHT);
    for pct in [0.0, 50.0, 100.0] {
        let y = y_of(pct);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" stroke="currentColor" stroke-opacity="0.2"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="currentColor">{pct}%</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
    if points.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="currentColor">No scored claims yet</text></svg>"#,
            (LEFT + RIGHT) / 2.0,
            (TOP + BOTTOM) / 2.0
        );
        return out;
    }
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x_of(i), y_of(p.mean_score)))
            .collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#2563eb" stroke-width="2"/>"##,
            path.join(" ")
        );
    }
    // At most about eight date labels, so long series stay legible.
    let label_every = points.len().div_ceil(8);
    for (i, p) in points.iter().enumerate() {
        let (x, y) = (x_of(i), y_of(p.mean_score));
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#2563eb"><title>{}</title></circle>"##,
            xml_escape(&tooltip(p))
        );
        if i % label_every == 0 {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="currentColor">{}</text>"#,
                BOTTOM + 20.0,
                xml_escape(&short_date(p.week_start))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars on a 0–100 % scale, each with its label and value; `None`
/// shows "—" and no bar. The chart grows by one row per bar.
pub fn bars_svg(title: &str, bars: &[(String, Option<f64>)]) -> String {
    const TOP: f64 = 32.0;
    const ROW: f64 = 28.0;
    const BAR: f64 = 18.0;
    const LABEL_END: f64 = 152.0;
    const BAR_START: f64 = 160.0;
    const BAR_FULL: f64 = 400.0;
    const LABEL_CHARS: usize = 22;
    let rows = bars.len().max(1) as f64;
    let height = TOP + rows * ROW + 28.0;
    let value_text = |v: Option<f64>| v.map(percent_label).unwrap_or_else(|| "—".to_owned());
    let desc = if bars.is_empty() {
        "No data yet".to_owned()
    } else {
        let items: Vec<String> = bars
            .iter()
            .map(|(label, v)| {
                format!(
                    "{label}: {}",
                    v.map(percent_label).unwrap_or_else(|| "no data".to_owned())
                )
            })
            .collect();
        format!("{}.", items.join("; "))
    };

    let mut out = String::new();
    open_svg(&mut out, "bars", title, &desc, height);
    let axis_bottom = TOP + rows * ROW;
    for pct in [0.0, 50.0, 100.0] {
        let x = BAR_START + pct / 100.0 * BAR_FULL;
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{TOP:.1}" x2="{x:.1}" y2="{axis_bottom:.1}" stroke="currentColor" stroke-opacity="0.2"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="currentColor">{pct}%</text>"#,
            axis_bottom + 16.0
        );
    }
    if bars.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="currentColor">No data yet</text>"#,
            BAR_START + BAR_FULL / 2.0,
            TOP + ROW / 2.0 + 4.0
        );
    }
    for (i, (label, value)) in bars.iter().enumerate() {
        let top = TOP + i as f64 * ROW + (ROW - BAR) / 2.0;
        let text_y = top + BAR / 2.0 + 4.0;
        // Long labels are shortened on the chart; the row's tooltip has them whole.
        let shown = if label.chars().count() > LABEL_CHARS {
            let kept: String = label.chars().take(LABEL_CHARS - 1).collect();
            format!("{}…", kept.trim_end())
        } else {
            label.clone()
        };
        let _ = write!(
            out,
            r#"<g><title>{}: {}</title><text x="{LABEL_END}" y="{text_y:.1}" text-anchor="end" fill="currentColor">{}</text>"#,
            xml_escape(label),
            xml_escape(&value_text(*value)),
            xml_escape(&shown)
        );
        let width = value.map_or(0.0, |v| on_scale(v) / 100.0 * BAR_FULL);
        if value.is_some() {
            let _ = write!(
                out,
                r##"<rect x="{BAR_START}" y="{top:.1}" width="{width:.1}" height="{BAR}" fill="#2563eb"/>"##
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{text_y:.1}" fill="currentColor">{}</text></g>"#,
            BAR_START + width + 6.0,
            xml_escape(&value_text(*value))
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::edits::{Finding, Severity, Target};
    use crate::claims::scoring::{ScoringPolicy, claim_of_key, score};
    use crate::claims::{Claim, ClaimLine};
    use crate::scenarios::{AnswerKey, KeyDiagnosis, KeyLine, KeyPatient};

    fn ratio(correct: u32, total: u32) -> Ratio {
        Ratio { correct, total }
    }

    fn diagnosis(code: &str) -> KeyDiagnosis {
        KeyDiagnosis {
            code: code.into(),
            alternates: vec![],
            rationale: format!("{code} is documented."),
            guideline: String::new(),
        }
    }

    fn key_line(code: &str, modifiers: &[&str], pointers: &[&str]) -> KeyLine {
        KeyLine {
            code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1,
            pointers: pointers.iter().map(|p| p.to_string()).collect(),
            pos: "11".into(),
            alternates: vec![],
            rationale: format!("{code} is documented."),
            guideline: String::new(),
        }
    }

    /// A wrist fracture: closed treatment and an X-ray (CPT) and a wrist
    /// orthosis (HCPCS), all on the right side.
    fn fracture_key() -> AnswerKey {
        let notes = vec![diagnosis("S52.531A"), diagnosis("W01.0XXA")];
        AnswerKey {
            date_of_service: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            patient: KeyPatient {
                sex: "F".into(),
                birth_date: NaiveDate::from_ymd_opt(1950, 3, 1).unwrap(),
            },
            diagnoses: notes.iter().map(|n| n.code.clone()).collect(),
            lines: vec![
                key_line("25600", &["RT"], &["A", "B"]),
                key_line("73110", &["RT"], &["A"]),
                key_line("L3908", &["RT"], &["A"]),
            ],
            diagnosis_notes: notes,
        }
    }

    fn scored(claim: &Claim) -> ScoreReport {
        score(claim, &fracture_key(), &ScoringPolicy::default(), &[])
    }

    #[test]
    fn a_perfect_claim_tallies_all_correct() {
        let t = tally(&scored(&claim_of_key(&fracture_key())));
        assert_eq!(
            t,
            Tally {
                icd: ratio(2, 2),
                cpt: ratio(2, 2),
                hcpcs: ratio(1, 1),
                modifiers: ratio(3, 3),
                units: ratio(3, 3),
                pointers: ratio(3, 3),
                sequencing: ratio(1, 1),
                lines: ratio(3, 3),
                claims: ratio(1, 1),
            }
        );
        assert_eq!(t.codes(), ratio(5, 5));
    }

    #[test]
    fn a_wrong_hcpcs_code_and_a_missing_modifier_tally_as_counted_by_hand() {
        let mut claim = claim_of_key(&fracture_key());
        claim.lines[1].modifiers.clear();
        // Crutches instead of the orthosis: no key line matches, so the key's
        // L3908 is missing and E0110 is an over-coded line.
        claim.lines[2].code = "E0110".into();
        let report = scored(&claim);
        let t = tally(&report);
        assert_eq!(
            t,
            Tally {
                icd: ratio(2, 2),
                cpt: ratio(2, 2),
                hcpcs: ratio(0, 2),
                modifiers: ratio(1, 2),
                units: ratio(2, 2),
                pointers: ratio(2, 2),
                sequencing: ratio(1, 1),
                lines: ratio(1, 4),
                claims: ratio(0, 1),
            }
        );
        // The same counts the scoring engine reports.
        assert_eq!(t.codes().pct().unwrap(), 4.0 / 6.0 * 100.0);
        assert!((t.lines.pct().unwrap() - report.line_accuracy).abs() < 0.05);
        assert!((t.codes().pct().unwrap() - report.code_accuracy).abs() < 0.05);
    }

    #[test]
    fn near_misses_and_over_coded_diagnoses_are_not_correct() {
        let mut claim = claim_of_key(&fracture_key());
        claim.diagnoses[0] = "S52.532A".into(); // left instead of right
        claim.diagnoses.push("R52".into());
        claim.lines[0].code = "25605".into(); // same family, with manipulation
        let t = tally(&scored(&claim));
        assert_eq!(t.icd, ratio(1, 3));
        assert_eq!(t.sequencing, ratio(0, 1));
        assert_eq!(t.cpt, ratio(1, 2));
        assert_eq!(t.lines, ratio(2, 3));
        assert_eq!(t.claims, ratio(0, 1));
    }

    #[test]
    fn extra_lines_count_in_their_code_set_and_edits_are_ignored() {
        let mut claim = claim_of_key(&fracture_key());
        claim.lines.push(ClaimLine {
            code: "29125".into(),
            ..claim.lines[0].clone()
        });
        let t = tally(&scored(&claim));
        assert_eq!(
            (t.cpt, t.hcpcs, t.lines),
            (ratio(2, 3), ratio(1, 1), ratio(3, 4))
        );

        // An edit error changes no coding count, but the claim is no longer
        // a perfect 100.
        let finding = Finding {
            rule: "DX-HEADER",
            severity: Severity::Error,
            target: Target::Diagnosis(0),
            code: Some("S52".into()),
            message: "header code".into(),
            reference: "ICD-10-CM I.A",
        };
        let perfect = claim_of_key(&fracture_key());
        let with_edit = tally(&score(
            &perfect,
            &fracture_key(),
            &ScoringPolicy::default(),
            &[finding],
        ));
        let clean = tally(&scored(&perfect));
        assert_eq!(with_edit.codes(), clean.codes());
        assert_eq!(with_edit.lines, clean.lines);
        assert_eq!(with_edit.claims, ratio(0, 1));
    }

    #[test]
    fn procedure_codes_are_sorted_into_their_sets() {
        for cpt in ["99213", "3074F", "0042T", "0001U", "0002M", "3074f"] {
            assert_eq!(procedure_set(cpt), ProcedureSet::Cpt, "{cpt}");
        }
        for hcpcs in ["L3908", "E0110", "A0425", "v2020", "J1100"] {
            assert_eq!(procedure_set(hcpcs), ProcedureSet::Hcpcs, "{hcpcs}");
        }
        for other in ["W1234", "9921", "992135", "L390", "3074X", "", "ÄÖ123"] {
            assert_eq!(procedure_set(other), ProcedureSet::Unrecognized, "{other}");
        }
    }

    #[test]
    fn tallies_round_trip_through_json_and_load_with_missing_fields() {
        let t = tally(&scored(&claim_of_key(&fracture_key())));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Tally>(&json).unwrap(), t);
        let old: Tally = serde_json::from_str(r#"{"icd":{"correct":1,"total":2}}"#).unwrap();
        assert_eq!(old.icd, ratio(1, 2));
        assert_eq!(old.claims, Ratio::default());
        assert_eq!(Ratio::default().pct(), None);
    }

    // --- reports -----------------------------------------------------------

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn codes(icd: Ratio, cpt: Ratio, hcpcs: Ratio) -> Tally {
        Tally {
            icd,
            cpt,
            hcpcs,
            ..Tally::default()
        }
    }

    fn claim(
        student_id: i64,
        area: &str,
        submitted_at: NaiveDateTime,
        total: f64,
        tally: Tally,
    ) -> ScoredClaim {
        ScoredClaim {
            student_id,
            area: area.into(),
            submitted_at,
            total,
            passed: total >= 80.0,
            tally,
        }
    }

    fn student(id: i64, name: &str) -> StudentInfo {
        StudentInfo {
            id,
            name: name.into(),
            email: format!("s{id}@demo.example"),
        }
    }

    /// Two weeks (from Monday 2 and Monday 9 March 2026), two areas, three
    /// students (one without claims or hours), and a stranger's claim.
    fn fixture() -> (Vec<StudentInfo>, Vec<StudentHours>, Vec<ScoredClaim>) {
        let students = vec![
            student(2, "ben Ode"),
            student(3, "Ana Diaz"),
            student(1, "Ana Diaz"),
        ];
        let hours = vec![
            StudentHours {
                student_id: 1,
                approved_minutes: 6000,
                pending_minutes: 30,
            },
            StudentHours {
                student_id: 2,
                approved_minutes: 5999,
                pending_minutes: 120,
            },
            StudentHours {
                student_id: 99,
                approved_minutes: 9999,
                pending_minutes: 0,
            },
        ];
        let claims = vec![
            claim(
                1,
                "Orthopedics",
                at(2026, 3, 3, 10, 0),
                90.0,
                codes(ratio(2, 2), ratio(1, 1), ratio(0, 0)),
            ),
            claim(
                1,
                "Cardiology",
                at(2026, 3, 8, 23, 59),
                70.0,
                codes(ratio(1, 2), ratio(1, 2), ratio(0, 0)),
            ),
            claim(
                1,
                "Orthopedics",
                at(2026, 3, 9, 0, 0),
                100.0,
                codes(ratio(2, 2), ratio(0, 0), ratio(1, 1)),
            ),
            claim(
                2,
                "Cardiology",
                at(2026, 3, 10, 8, 0),
                80.0,
                codes(ratio(1, 1), ratio(0, 1), ratio(0, 0)),
            ),
            claim(
                99,
                "Orthopedics",
                at(2026, 3, 4, 8, 0),
                0.0,
                codes(ratio(0, 9), ratio(0, 0), ratio(0, 0)),
            ),
        ];
        (students, hours, claims)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn monday(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn a_student_report_sums_by_area_and_week() {
        let (_, hours, claims) = fixture();
        let r = student_report(student(1, "Ana Diaz"), hours[0], 6000, &claims);
        assert!(r.hours_complete);
        assert_eq!(r.overall.claims, 3);
        assert!(close(r.overall.mean_score.unwrap(), 260.0 / 3.0));
        assert_eq!(r.overall.passed, 2);
        assert_eq!(r.overall.tally.icd, ratio(5, 6));
        assert_eq!(r.overall.tally.codes(), ratio(8, 10));

        let areas: Vec<(&str, u32, f64, u32)> = r
            .by_area
            .iter()
            .map(|(a, acc)| (a.as_str(), acc.claims, acc.mean_score.unwrap(), acc.passed))
            .collect();
        assert_eq!(
            areas,
            [("Cardiology", 1, 70.0, 0), ("Orthopedics", 2, 95.0, 2)]
        );

        assert_eq!(r.trend.len(), 2);
        assert_eq!((r.trend[0].week_start, r.trend[0].claims), (monday(2), 2));
        assert!(close(r.trend[0].mean_score, 80.0));
        assert!(close(r.trend[0].code_accuracy.unwrap(), 5.0 / 7.0 * 100.0));
        assert_eq!((r.trend[1].week_start, r.trend[1].claims), (monday(9), 1));
        assert!(close(r.trend[1].code_accuracy.unwrap(), 100.0));
    }

    #[test]
    fn a_cohort_report_pools_its_students_only() {
        let (students, hours, claims) = fixture();
        let r = cohort_report(students, &hours, 6000, &claims);

        let order: Vec<i64> = r.students.iter().map(|s| s.student.id).collect();
        assert_eq!(order, [1, 3, 2], "by name ignoring case, then id");
        let complete: Vec<bool> = r.students.iter().map(|s| s.hours_complete).collect();
        assert_eq!(complete, [true, false, false]);
        assert_eq!(r.students_hours_complete, 1);

        let empty = &r.students[1];
        assert_eq!(
            (empty.hours.approved_minutes, empty.hours.pending_minutes),
            (0, 0)
        );
        assert_eq!(empty.overall, Accuracy::default());
        assert!(empty.by_area.is_empty() && empty.trend.is_empty());
        assert_eq!(r.students[2].overall.passed, 1);
        assert_eq!(r.students[2].hours.pending_minutes, 120);

        assert_eq!(r.overall.claims, 4);
        assert!(close(r.overall.mean_score.unwrap(), 85.0));
        assert_eq!(r.overall.passed, 3);
        assert_eq!(r.overall.tally.codes(), ratio(9, 12));

        let (area, cardio) = &r.by_area[0];
        assert_eq!(
            (area.as_str(), cardio.claims, cardio.passed),
            ("Cardiology", 2, 1)
        );
        assert!(close(cardio.mean_score.unwrap(), 75.0));
        assert_eq!(cardio.tally.codes().pct(), Some(50.0));
        assert_eq!(r.by_area[1].1.tally.codes().pct(), Some(100.0));

        assert_eq!(r.trend.len(), 2);
        assert!(close(r.trend[0].mean_score, 80.0));
        assert!(close(r.trend[0].code_accuracy.unwrap(), 5.0 / 7.0 * 100.0));
        assert_eq!(r.trend[1].week_start, monday(9));
        assert!(close(r.trend[1].mean_score, 90.0));
        assert!(close(r.trend[1].code_accuracy.unwrap(), 80.0));
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(at(2026, 3, 8, 23, 59)), monday(2));
        assert_eq!(week_start(at(2026, 3, 9, 0, 0)), monday(9));
        assert_eq!(
            week_start(at(2026, 1, 1, 12, 0)),
            NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()
        );
    }

    #[test]
    fn a_large_cohort_is_reported_quickly() {
        let students: Vec<StudentInfo> = (0..200)
            .map(|i| student(i, &format!("Student {i:03}")))
            .collect();
        let areas = [
            "Orthopedics",
            "Cardiology",
            "Primary care",
            "Emergency",
            "Radiology",
        ];
        let claims: Vec<ScoredClaim> = (0..60_000i64)
            .map(|n| {
                claim(
                    n % 200,
                    areas[(n % 5) as usize],
                    at(2026, 1, 1, 0, 0) + Duration::minutes(n * 7),
                    (n % 101) as f64,
                    codes(ratio(1, 2), ratio(1, 1), ratio(0, 1)),
                )
            })
            .collect();
        let hours: Vec<StudentHours> = (0..200)
            .map(|i| StudentHours {
                student_id: i,
                approved_minutes: i * 60,
                pending_minutes: 0,
            })
            .collect();
        let started = std::time::Instant::now();
        let r = cohort_report(students, &hours, 6000, &claims);
        let elapsed = started.elapsed();
        assert_eq!(r.overall.claims, 60_000);
        assert_eq!(r.students[0].overall.claims, 300);
        assert_eq!(r.by_area.len(), 5);
        // Unoptimized test builds are several times slower than release.
        let budget_ms = if cfg!(debug_assertions) { 1000 } else { 100 };
        assert!(elapsed.as_millis() < budget_ms, "took {elapsed:?}");
    }

    // --- CSV ---------------------------------------------------------------

    fn read(csv_text: &str) -> Vec<Vec<String>> {
        csv::Reader::from_reader(csv_text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    fn headers(csv_text: &str) -> Vec<String> {
        csv::Reader::from_reader(csv_text.as_bytes())
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_cohort_table_has_a_row_per_student() {
        let (mut students, hours, claims) = fixture();
        students[0].name = "=HYPERLINK(\"http://x\"), \"Ode\"".into();
        students[1].email = "+1@demo.example".into();
        let text = cohort_csv(&cohort_report(students, &hours, 6000, &claims));
        assert_eq!(headers(&text).len(), 19);
        assert_eq!(headers(&text)[18], "claim_pct");
        let rows = read(&text);
        assert_eq!(rows.len(), 3);
        let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap();
        let ana = row("1");
        assert_eq!(
            &ana[..10],
            [
                "1",
                "Ana Diaz",
                "s1@demo.example",
                "100.00",
                "0.50",
                "100.00",
                "true",
                "3",
                "86.7",
                "2"
            ]
        );
        assert_eq!(ana[10], "83.3"); // icd 5/6
        assert_eq!(ana[12], "100.0"); // hcpcs 1/1
        assert_eq!(ana[13], "", "no modifier data");
        let no_claims = row("3");
        assert_eq!(
            (
                no_claims[3].as_str(),
                no_claims[8].as_str(),
                no_claims[10].as_str()
            ),
            ("0.00", "", "")
        );
        assert_eq!(no_claims[2], "'+1@demo.example");
        let ben = row("2");
        assert_eq!(ben[1], "'=HYPERLINK(\"http://x\"), \"Ode\"");
        assert_eq!((ben[3].as_str(), ben[6].as_str()), ("99.98", "false"));
    }

    #[test]
    fn area_and_trend_tables_parse_back() {
        let (students, hours, claims) = fixture();
        let r = cohort_report(students, &hours, 6000, &claims);
        let mut by_area = r.by_area.clone();
        by_area.push(("@risk\tarea".into(), Accuracy::default()));
        let areas = areas_csv(&by_area);
        assert_eq!(
            headers(&areas),
            [
                "area",
                "claims",
                "mean_score",
                "passed",
                "code_pct",
                "line_pct",
                "claim_pct"
            ]
        );
        assert_eq!(
            read(&areas),
            [
                ["Cardiology", "2", "75.0", "1", "50.0", "", ""],
                ["Orthopedics", "2", "95.0", "2", "100.0", "", ""],
                ["'@risk\tarea", "0", "", "0", "", "", ""],
            ]
        );
        let trend = trend_csv(&r.trend);
        assert_eq!(
            headers(&trend),
            ["week_start", "claims", "mean_score", "code_pct"]
        );
        assert_eq!(
            read(&trend),
            [
                ["2026-03-02", "2", "80.0", "71.4"],
                ["2026-03-09", "2", "90.0", "80.0"]
            ]
        );
    }

    #[test]
    fn only_formula_starts_are_guarded() {
        for risky in ["=1+1", "+1+2", "-2+3", "-cmd", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(risky), format!("'{risky}"));
        }
        // Plain numbers, negative ones included (reversing entries), stay numbers.
        for plain in ["Ana", "a=b", "", "1-2", "-30", "-0.5"] {
            assert_eq!(safe_cell(plain), plain);
        }
    }

    // --- SVG ---------------------------------------------------------------

    fn point(day: u32, mean_score: f64, claims: u32) -> TrendPoint {
        TrendPoint {
            week_start: monday(day),
            claims,
            mean_score,
            code_accuracy: None,
        }
    }

    #[test]
    fn the_trend_chart_is_accessible_and_has_a_dot_per_week() {
        let svg = trend_svg(
            "Scores <Ana & Ben>",
            &[point(2, 80.0, 2), point(9, 90.0, 1), point(16, 100.0, 3)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains(r#"width="100%""#));
        assert!(svg.contains(">Scores &lt;Ana &amp; Ben&gt;</title>"));
        assert!(svg.contains("<desc"));
        assert!(!svg.contains("<Ana"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<title>week of Mar 2, 2026: 80.0% over 2 claims</title>"));
        assert!(svg.contains("<title>week of Mar 9, 2026: 90.0% over 1 claim</title>"));
        for label in [">Mar 2<", ">Mar 16<", ">0%<", ">50%<", ">100%<"] {
            assert!(svg.contains(label), "{label}");
        }
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn an_empty_trend_chart_says_so() {
        let svg = trend_svg("Trend", &[]);
        assert!(svg.contains("No scored claims yet"));
        assert_eq!(svg.matches("<circle").count(), 0);
        assert!(svg.contains("<title id="));
    }

    #[test]
    fn bars_show_labels_values_and_escape_text() {
        let bars = vec![
            ("ICD-10-CM".to_owned(), Some(83.33)),
            ("<script>&co".to_owned(), None),
            (
                "A very long practice area name indeed".to_owned(),
                Some(150.0),
            ),
        ];
        let svg = bars_svg("Accuracy & <more>", &bars);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(">Accuracy &amp; &lt;more&gt;</title>"));
        assert!(svg.contains(">83.3%<") && svg.contains(">—<"));
        assert!(svg.contains("&lt;script&gt;&amp;co"));
        assert!(!svg.contains("<script"));
        assert_eq!(svg.matches("<rect").count(), 2, "no bar for missing data");
        assert!(svg.contains(r#"width="400.0""#), "clamped to 100 %");
        assert!(svg.contains(">A very long practice…<"));
        assert!(svg.contains("<title>A very long practice area name indeed: 150.0%</title>"));
        assert!(bars_svg("Empty", &[]).contains("No data yet"));
    }

    #[test]
    fn escaping_drops_characters_xml_cannot_carry() {
        assert_eq!(xml_escape("a\u{0}b\"c'd"), "ab&quot;c&#39;d");
    }
}
