//! X12 837P (005010X222A1) for a submitted claim: one interchange with one
//! functional group and one transaction, the patient as the subscriber, and
//! synthetic submitter, receiver, payer and billing provider identifiers.
//! Marked as test data (ISA15 = T).

use chrono::NaiveDateTime;

use super::{Claim, pointer_index};

/// Who and what the file names besides the claim itself.
#[derive(Debug, Clone)]
pub struct X12Parties {
    /// Control number source (the submission id).
    pub control: u32,
    pub created: NaiveDateTime,
    pub patient_family: String,
    pub patient_given: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub member_id: String,
    /// commercial, medicare or medicaid.
    pub payer: String,
    pub provider_name: String,
    pub provider_npi: String,
    /// The claim id the provider assigns (CLM01).
    pub claim_id: String,
}

/// The synthetic billing provider every export uses (a Luhn-valid,
/// NPI-shaped test number).
pub const BILLING_NPI: &str = "1234567893";
const SUBMITTER_ID: &str = "PRACTICUMSUB";
const RECEIVER_ID: &str = "PRACTICUMRCV";
/// Dollars per unit when a line carries no charge (the file needs one).
pub const DEFAULT_UNIT_CHARGE: f64 = 100.0;

/// Keeps text to the X12 basic character set, upper case, without the
/// delimiters this file uses (`*`, `:`, `^`, `~`).
fn clean(text: &str, max: usize) -> String {
    let s: String = text
        .to_uppercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -.,'&/;()".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.chars().take(max).collect()
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

fn money(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The claim filing indicator (SBR09) for a payer type.
fn filing_indicator(payer: &str) -> &'static str {
    match payer {
        "medicare" => "MB",
        "medicaid" => "MC",
        _ => "CI",
    }
}

/// Renders the 837P. Segments end with `~` and a newline for readability.
pub fn render_837p(claim: &Claim, p: &X12Parties) -> String {
    let date8 = p.created.format("%Y%m%d").to_string();
    let date6 = p.created.format("%y%m%d").to_string();
    let time = p.created.format("%H%M").to_string();
    let control = format!("{:09}", p.control % 1_000_000_000);
    let group = (p.control % 1_000_000_000).max(1).to_string();
    let mut seg: Vec<String> = Vec::new();
    let isa = format!(
        "ISA*00*{}*00*{}*ZZ*{}*ZZ*{}*{date6}*{time}*^*00501*{control}*0*T*:",
        pad("", 10),
        pad("", 10),
        pad(SUBMITTER_ID, 15),
        pad(RECEIVER_ID, 15),
    );
    let gs = format!("GS*HC*{SUBMITTER_ID}*{RECEIVER_ID}*{date8}*{time}*{group}*X*005010X222A1");
    // The transaction set, counted for SE01.
    seg.push("ST*837*0001*005010X222A1".into());
    seg.push(format!(
        "BHT*0019*00*{}*{date8}*{time}*CH",
        clean(&p.claim_id, 30)
    ));
    seg.push(format!(
        "NM1*41*2*PRACTICUM TRAINING SUBMITTER*****46*{SUBMITTER_ID}"
    ));
    seg.push("PER*IC*PRACTICUM SUPPORT*TE*5555550100".into());
    seg.push(format!(
        "NM1*40*2*PRACTICUM SYNTHETIC PAYER*****46*{RECEIVER_ID}"
    ));
    // 2000A billing provider.
    seg.push("HL*1**20*1".into());
    seg.push(format!(
        "NM1*85*2*PRACTICUM TEACHING CLINIC*****XX*{BILLING_NPI}"
    ));
    seg.push("N3*100 TRAINING WAY".into());
    seg.push("N4*SPRINGFIELD*IL*627010001".into());
    seg.push("REF*EI*990000001".into());
    // 2000B subscriber = patient.
    seg.push("HL*2*1*22*0".into());
    seg.push(format!("SBR*P*18*******{}", filing_indicator(&p.payer)));
    seg.push(format!(
        "NM1*IL*1*{}*{}****MI*{}",
        clean(&p.patient_family, 60),
        clean(&p.patient_given, 35),
        clean(&p.member_id, 80).replace(' ', "")
    ));
    seg.push(format!("N3*{}", clean(&p.address, 55)));
    let zip: String = p.zip.chars().filter(char::is_ascii_digit).collect();
    seg.push(format!(
        "N4*{}*{}*{}",
        clean(&p.city, 30),
        clean(&p.state, 2),
        if zip.len() >= 5 { zip } else { "00000".into() }
    ));
    seg.push(format!(
        "DMG*D8*{}*{}",
        claim.patient.birth_date.format("%Y%m%d"),
        if claim.patient.sex == "F" { "F" } else { "M" }
    ));
    seg.push("NM1*PR*2*PRACTICUM SYNTHETIC PAYER*****PI*SYNPAYER01".into());
    // 2300 claim.
    let charges: Vec<f64> = claim
        .lines
        .iter()
        .map(|l| l.charge.unwrap_or(DEFAULT_UNIT_CHARGE * f64::from(l.units)))
        .collect();
    let total: f64 = charges.iter().sum();
    let pos = claim
        .lines
        .first()
        .and_then(|l| l.pos.clone())
        .unwrap_or_else(|| "11".into());
    seg.push(format!(
        "CLM*{}*{}***{}:B:1*Y*A*Y*Y",
        clean(&p.claim_id, 38).replace(' ', ""),
        money(total),
        pos
    ));
    if !claim.diagnoses.is_empty() {
        let codes: Vec<String> = claim
            .diagnoses
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let q = if i == 0 { "ABK" } else { "ABF" };
                format!("{q}:{}", d.replace('.', "").to_ascii_uppercase())
            })
            .collect();
        seg.push(format!("HI*{}", codes.join("*")));
    }
    // 2310B rendering provider.
    let (last, first) = split_name(&p.provider_name);
    seg.push(format!(
        "NM1*82*1*{}*{}****XX*{}",
        clean(&last, 60),
        clean(&first, 35),
        p.provider_npi
    ));
    // 2400 service lines.
    for (i, (l, charge)) in claim.lines.iter().zip(&charges).enumerate() {
        seg.push(format!("LX*{}", i + 1));
        let mut proc = format!("HC:{}", l.code.to_ascii_uppercase());
        for m in l.modifiers.iter().take(4) {
            proc.push(':');
            proc.push_str(&m.to_ascii_uppercase());
        }
        let pointers: Vec<String> = l
            .pointers
            .iter()
            .filter_map(|p| pointer_index(p).map(|i| (i + 1).to_string()))
            .take(4)
            .collect();
        let line_pos = l.pos.clone().filter(|lp| *lp != pos).unwrap_or_default();
        seg.push(format!(
            "SV1*{proc}*{}*UN*{}*{line_pos}**{}",
            money(*charge),
            l.units,
            pointers.join(":")
        ));
        let dos = l.date_of_service.unwrap_or(claim.date_of_service);
        seg.push(format!("DTP*472*D8*{}", dos.format("%Y%m%d")));
    }
    let count = seg.len() + 1;
    seg.push(format!("SE*{count}*0001"));
    let mut out = String::new();
    for s in std::iter::once(isa)
        .chain(std::iter::once(gs))
        .chain(seg)
        .chain([format!("GE*1*{group}"), format!("IEA*1*{control}")])
    {
        out.push_str(&s);
        out.push_str("~\n");
    }
    out
}

/// "Casey Lindqvist" → ("Lindqvist", "Casey").
fn split_name(name: &str) -> (String, String) {
    match name.rsplit_once(' ') {
        Some((first, last)) => (last.to_owned(), first.to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> Claim {
        serde_json::from_str(
            r#"{"date_of_service": "2026-06-14", "patient": {"sex": "F", "birth_date": "1950-03-01"},
                "diagnoses": ["S52.531A", "W01.0XXA"],
                "lines": [{"code": "25600", "modifiers": ["RT"], "units": 1, "pointers": ["A", "B"], "pos": "11"},
                          {"code": "73110", "modifiers": ["RT"], "units": 1, "pointers": ["A"], "pos": "11", "charge": 85.5}]}"#,
        )
        .unwrap()
    }

    fn parties() -> X12Parties {
        X12Parties {
            control: 42,
            created: "2026-06-15T09:30:00".parse().unwrap(),
            patient_family: "O'Hara*".into(),
            patient_given: "Ann~".into(),
            address: "12 Elm St".into(),
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62701".into(),
            member_id: "ZZ123456789".into(),
            payer: "medicare".into(),
            provider_name: "Casey Lindqvist".into(),
            provider_npi: "1234567893".into(),
            claim_id: "PRC42V1".into(),
        }
    }

    #[test]
    fn envelope_counts_and_claim_segments() {
        let x = render_837p(&claim(), &parties());
        let segs: Vec<&str> = x.split("~\n").filter(|s| !s.is_empty()).collect();
        assert_eq!(segs[0].len(), 105, "ISA is fixed width: {}", segs[0]);
        assert!(segs[0].ends_with("*000000042*0*T*:"));
        let st = segs.iter().position(|s| s.starts_with("ST*")).unwrap();
        let se = segs.iter().position(|s| s.starts_with("SE*")).unwrap();
        assert_eq!(segs[se], format!("SE*{}*0001", se - st + 1));
        assert!(segs.contains(&"HI*ABK:S52531A*ABF:W010XXA"));
        assert!(segs.contains(&"SV1*HC:25600:RT*100*UN*1***1:2"));
        assert!(segs.contains(&"SV1*HC:73110:RT*85.5*UN*1***1"));
        assert!(segs.contains(&"CLM*PRC42V1*185.5***11:B:1*Y*A*Y*Y"));
        assert!(segs.contains(&"DTP*472*D8*20260614"));
        assert!(segs.contains(&"SBR*P*18*******MB"));
        assert!(
            segs.iter().any(|s| s.starts_with("NM1*IL*1*O'HARA*ANN")),
            "delimiters removed"
        );
        assert_eq!(segs.last().unwrap(), &"IEA*1*000000042");
        assert!(!x.contains("S52.531A"), "no dots in HI");
    }
}
