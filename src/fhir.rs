//! FHIR R4 views of the synthetic records: Patient, Encounter, Condition
//! (problem list), Observation (vital signs and results), DocumentReference
//! (notes) and Bundles. Every resource carries the HL7 test-data tag and
//! Practicum's own synthetic tag. Nothing here exposes an answer key: the
//! problem list is text only, and encounters carry no reason codes.

use base64::Engine;
use serde_json::{Value, json};

use crate::scenarios::LabResult;
use crate::service::ehr::{DocumentView, EncounterDetail, PatientView};

/// The FHIR version served.
pub const FHIR_VERSION: &str = "4.0.1";

/// Media type of FHIR JSON.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

/// `meta` with the synthetic-data tags.
fn meta() -> Value {
    json!({
        "tag": [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST", "display": "test health data"},
            {"system": "urn:practicum:tags", "code": "synthetic", "display": "Synthetic record generated for coding education; not a real person"}
        ]
    })
}

/// A Patient.
pub fn patient(p: &PatientView) -> Value {
    let mut telecom = Vec::new();
    if !p.phone.is_empty() {
        telecom.push(json!({"system": "phone", "value": p.phone, "use": "home"}));
    }
    if !p.email.is_empty() {
        telecom.push(json!({"system": "email", "value": p.email}));
    }
    let mut identifier = vec![json!({
        "use": "usual",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}]},
        "system": "urn:practicum:mrn",
        "value": p.mrn
    })];
    if !p.member_id.is_empty() {
        identifier.push(json!({
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB", "display": "Member Number"}]},
            "system": "urn:practicum:member-id",
            "value": p.member_id
        }));
    }
    let mut resource = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "meta": meta(),
        "identifier": identifier,
        "active": true,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": if p.sex == "F" { "female" } else { "male" },
        "birthDate": p.birth_date.to_string(),
    });
    if !telecom.is_empty() {
        resource["telecom"] = Value::Array(telecom);
    }
    if !p.address.is_empty() {
        resource["address"] = json!([{
            "use": "home",
            "line": [p.address],
            "city": p.city,
            "state": p.state,
            "postalCode": p.zip,
            "country": "US"
        }]);
    }
    resource
}

/// The v3 ActCode encounter class for a place of service.
fn encounter_class(pos: &str) -> (&'static str, &'static str) {
    match pos {
        "23" => ("EMER", "emergency"),
        "21" | "31" | "32" | "51" | "61" => ("IMP", "inpatient encounter"),
        "12" => ("HH", "home health"),
        "02" | "10" => ("VR", "virtual"),
        _ => ("AMB", "ambulatory"),
    }
}

/// An Encounter.
pub fn encounter(d: &EncounterDetail) -> Value {
    let e = &d.view.encounter;
    let (class, class_name) = encounter_class(&e.place_of_service);
    let p = &d.chart.provider;
    json!({
        "resourceType": "Encounter",
        "id": e.id.to_string(),
        "meta": meta(),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class, "display": class_name},
        "serviceType": {"text": e.department},
        "subject": {"reference": format!("Patient/{}", d.view.patient.id), "display": d.view.patient.display_name()},
        "participant": [{
            "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PPRF", "display": "primary performer"}]}],
            "individual": {
                "identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": p.npi},
                "display": format!("{}, {}", p.name, p.credential)
            }
        }],
        "period": {"start": e.date_of_service.to_string(), "end": e.date_of_service.to_string()},
        "location": [{"location": {"display": format!("Place of service {} — {}", e.place_of_service, e.place_of_service_name)}}]
    })
}

/// The problem list of an encounter, as Conditions (text only: coding the
/// problem list is the student's work).
pub fn conditions(d: &EncounterDetail) -> Vec<Value> {
    d.chart
        .problems
        .iter()
        .enumerate()
        .map(|(i, text)| {
            json!({
                "resourceType": "Condition",
                "id": format!("{}-problem-{i}", d.view.encounter.id),
                "meta": meta(),
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item", "display": "Problem List Item"}]}],
                "code": {"text": text},
                "subject": {"reference": format!("Patient/{}", d.view.patient.id)},
                "encounter": {"reference": format!("Encounter/{}", d.view.encounter.id)},
                "recordedDate": d.view.encounter.date_of_service.to_string()
            })
        })
        .collect()
}

fn quantity(value: &str, unit: &str, ucum: &str) -> Option<Value> {
    let v: f64 = value.trim().parse().ok()?;
    Some(json!({"value": v, "unit": unit, "system": UCUM, "code": ucum}))
}

fn observation(d: &EncounterDetail, id: String, category: (&str, &str), code: Value) -> Value {
    json!({
        "resourceType": "Observation",
        "id": id,
        "meta": meta(),
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": category.0, "display": category.1}]}],
        "code": code,
        "subject": {"reference": format!("Patient/{}", d.view.patient.id)},
        "encounter": {"reference": format!("Encounter/{}", d.view.encounter.id)},
        "effectiveDateTime": d.view.encounter.date_of_service.to_string()
    })
}

fn loinc(code: &str, display: &str) -> Value {
    json!({"coding": [{"system": LOINC, "code": code, "display": display}], "text": display})
}

/// Vital signs and results of an encounter, as Observations.
pub fn observations(d: &EncounterDetail) -> Vec<Value> {
    let enc = d.view.encounter.id;
    let v = &d.chart.vitals;
    let vital = ("vital-signs", "Vital Signs");
    let mut out = Vec::new();
    let simple: [(&str, &str, &str, &str, &str, &str); 5] = [
        (
            "temp",
            "8310-5",
            "Body temperature",
            &v.temperature_f,
            "degF",
            "[degF]",
        ),
        (
            "hr",
            "8867-4",
            "Heart rate",
            &v.heart_rate,
            "beats/minute",
            "/min",
        ),
        (
            "rr",
            "9279-1",
            "Respiratory rate",
            &v.respiratory_rate,
            "breaths/minute",
            "/min",
        ),
        (
            "spo2",
            "59408-5",
            "Oxygen saturation in Arterial blood by Pulse oximetry",
            &v.spo2,
            "%",
            "%",
        ),
        (
            "weight",
            "29463-7",
            "Body weight",
            &v.weight_lb,
            "lb",
            "[lb_av]",
        ),
    ];
    for (slug, code, display, value, unit, ucum) in simple {
        if let Some(q) = quantity(value, unit, ucum) {
            let mut o = observation(
                d,
                format!("{enc}-vitals-{slug}"),
                vital,
                loinc(code, display),
            );
            o["valueQuantity"] = q;
            out.push(o);
        }
    }
    if let Some((sys, dia)) = v.blood_pressure.split_once('/')
        && let (Some(s), Some(di)) = (
            quantity(sys, "mmHg", "mm[Hg]"),
            quantity(dia, "mmHg", "mm[Hg]"),
        )
    {
        let mut o = observation(
            d,
            format!("{enc}-vitals-bp"),
            vital,
            loinc("85354-9", "Blood pressure panel with all children optional"),
        );
        o["component"] = json!([
            {"code": loinc("8480-6", "Systolic blood pressure"), "valueQuantity": s},
            {"code": loinc("8462-4", "Diastolic blood pressure"), "valueQuantity": di}
        ]);
        out.push(o);
    }
    for (i, r) in d.chart.results.iter().enumerate() {
        out.push(result(d, i, r));
    }
    out
}

fn result(d: &EncounterDetail, i: usize, r: &LabResult) -> Value {
    let code = match &r.loinc {
        Some(c) => loinc(c, &r.name),
        None => json!({"text": r.name}),
    };
    let mut o = observation(
        d,
        format!("{}-lab-{i}", d.view.encounter.id),
        ("laboratory", "Laboratory"),
        code,
    );
    let ucum = match r.unit.as_str() {
        "10*3/uL" => "10*3/uL",
        "mL/min/1.73m2" => "mL/min/{1.73_m2}",
        other => other,
    };
    match quantity(&r.value, &r.unit, ucum).filter(|_| !r.unit.is_empty()) {
        Some(q) => o["valueQuantity"] = q,
        None => o["valueString"] = json!(r.value),
    }
    let range: Vec<&str> = r.reference.split('–').collect();
    match range.as_slice() {
        [lo, hi] if lo.parse::<f64>().is_ok() && hi.parse::<f64>().is_ok() => {
            o["referenceRange"] = json!([{
                "low": quantity(lo, &r.unit, ucum),
                "high": quantity(hi, &r.unit, ucum),
                "text": r.reference
            }]);
        }
        _ if !r.reference.is_empty() => o["referenceRange"] = json!([{"text": r.reference}]),
        _ => {}
    }
    let flag = match r.flag.as_str() {
        "H" => Some(("H", "High")),
        "L" => Some(("L", "Low")),
        _ => None,
    };
    if let Some((code, display)) = flag {
        o["interpretation"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": code, "display": display}]}]);
    }
    o
}

/// The LOINC document type of a note kind.
fn document_type(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "progress_note" => ("11506-3", "Progress note"),
        "procedure_note" => ("28570-0", "Procedure note"),
        "operative_note" => ("11504-8", "Surgical operation note"),
        "radiology_report" => ("18748-4", "Diagnostic imaging study"),
        "lab_report" => ("11502-2", "Laboratory report"),
        "pathology_report" => ("11526-1", "Pathology study"),
        _ => return None,
    })
}

/// A note, as a DocumentReference with the text attached.
pub fn document_reference(doc: &DocumentView, d: &EncounterDetail) -> Value {
    let kind = match document_type(&doc.kind) {
        Some((code, display)) => loinc(code, display),
        None => json!({"text": doc.kind_label}),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(doc.body.as_bytes());
    json!({
        "resourceType": "DocumentReference",
        "id": doc.id.to_string(),
        "meta": meta(),
        "status": "current",
        "docStatus": "final",
        "type": kind,
        "category": [{"coding": [{"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "code": "clinical-note", "display": "Clinical Note"}]}],
        "subject": {"reference": format!("Patient/{}", d.view.patient.id)},
        "date": format!("{}T12:00:00Z", d.view.encounter.date_of_service),
        "author": [{"display": format!("{}, {}", d.chart.provider.name, d.chart.provider.credential)}],
        "description": doc.title,
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "language": "en-US", "data": data, "title": doc.title}}],
        "context": {"encounter": [{"reference": format!("Encounter/{}", d.view.encounter.id)}]}
    })
}

/// Every resource of an encounter: patient, encounter, problems, observations
/// and notes.
pub fn encounter_resources(d: &EncounterDetail) -> Vec<Value> {
    let mut all = vec![patient(&d.view.patient), encounter(d)];
    all.extend(conditions(d));
    all.extend(observations(d));
    all.extend(d.documents.iter().map(|doc| document_reference(doc, d)));
    all
}

/// A searchset Bundle of resources at `base`.
pub fn searchset(
    base: &str,
    self_link: &str,
    resources: Vec<Value>,
    total: Option<usize>,
) -> Value {
    let total = total.unwrap_or(resources.len());
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            json!({
                "fullUrl": format!("{base}/{}/{}", r["resourceType"].as_str().unwrap_or(""), r["id"].as_str().unwrap_or("")),
                "resource": r,
                "search": {"mode": "match"}
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": uuid_like(self_link),
        "meta": meta(),
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": format!("{base}/{self_link}")}],
        "entry": entries
    })
}

/// A stable, FHIR-valid id for a bundle, from what it answers.
fn uuid_like(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(text.as_bytes());
    h.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// An OperationOutcome for an error.
pub fn outcome(code: &str, message: &str, expression: Option<&str>) -> Value {
    let mut issue = json!({"severity": "error", "code": code, "diagnostics": message});
    if let Some(e) = expression {
        issue["expression"] = json!([e]);
    }
    json!({"resourceType": "OperationOutcome", "meta": meta(), "issue": [issue]})
}

/// The server's CapabilityStatement.
pub fn capability_statement(base: &str, software_version: &str) -> Value {
    let read = |t: &str, search: Vec<(&str, &str)>| {
        json!({
            "type": t,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": search.into_iter().map(|(n, ty)| json!({"name": n, "type": ty})).collect::<Vec<_>>()
        })
    };
    json!({
        "resourceType": "CapabilityStatement",
        "id": "practicum",
        "meta": meta(),
        "status": "active",
        "date": "2026-11-25",
        "kind": "instance",
        "software": {"name": "Practicum", "version": software_version},
        "implementation": {"description": "Practicum simulated EHR: synthetic records for coding education", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Bearer token from /api/v1/auth/login. Every resource is synthetic.",
            "resource": [
                read("Patient", vec![("name", "string"), ("identifier", "token"), ("birthdate", "date")]),
                read("Encounter", vec![("patient", "reference")]),
                read("Condition", vec![("encounter", "reference")]),
                read("Observation", vec![("encounter", "reference")]),
                read("DocumentReference", vec![("encounter", "reference")])
            ],
            "operation": [
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Encounter-everything"}
            ]
        }]
    })
}
