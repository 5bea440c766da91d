//! Synthetic people: patients and providers with identifiers from fictional
//! ranges only (555-0100…0199 phones, example.* e-mail, `SYN-` MRNs, `ZZ`
//! member ids, NPI-shaped test numbers).

use chrono::{Datelike, NaiveDate};
use fake::Fake;
use fake::faker::address::en::{CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::name::en::LastName;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// First names by sex, so a note's pronouns and the record agree.
const FEMALE: &[&str] = &[
    "Ava", "Beatrice", "Camila", "Dana", "Elena", "Farah", "Grace", "Hana", "Imani", "Julia",
    "Keiko", "Lena", "Maya", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tessa", "Uma", "Vera",
    "Wendy", "Yara", "Zoe",
];
const MALE: &[&str] = &[
    "Aaron", "Bruno", "Carlos", "Darius", "Elias", "Felix", "Gabriel", "Hassan", "Isaac", "Jamal",
    "Kenji", "Liam", "Marco", "Nathan", "Omar", "Pavel", "Rafael", "Samuel", "Tomas", "Victor",
    "Wesley", "Xavier", "Yusuf", "Zane",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];
const CLINICIANS: &[(&str, &str)] = &[
    ("Morgan Ellis", "MD"),
    ("Riley Chen", "MD"),
    ("Jordan Okafor", "DO"),
    ("Casey Lindqvist", "MD"),
    ("Avery Santos", "MD"),
    ("Quinn Abernathy", "DO"),
];

/// A synthetic patient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Patient {
    pub first_name: String,
    pub last_name: String,
    /// F or M.
    pub sex: String,
    pub birth_date: NaiveDate,
    /// Whole years on the date of service.
    pub age: u32,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    pub email: String,
    pub mrn: String,
    pub member_id: String,
    /// "she" or "he", for templates.
    pub pronoun: String,
    /// "her" or "his".
    pub possessive: String,
}

/// The rendering clinician.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub credential: String,
    /// A 10-digit NPI-shaped test number passing the Luhn check with prefix 80840.
    pub npi: String,
}

/// Age in whole years on a date.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Makes a patient of the given sex ("F", "M" or "any") and age band.
pub fn patient(rng: &mut impl Rng, sex: &str, ages: [u32; 2], dos: NaiveDate) -> Patient {
    let sex = match sex {
        "F" | "M" => sex.to_owned(),
        _ => if rng.random_bool(0.5) { "F" } else { "M" }.to_owned(),
    };
    let names = if sex == "F" { FEMALE } else { MALE };
    let first = names[rng.random_range(0..names.len())].to_owned();
    let last: String = LastName().fake_with_rng(rng);
    let age = rng.random_range(ages[0]..=ages[1].max(ages[0]));
    // A birthday within the year that gives exactly `age` on the date of service.
    let latest = dos.with_year(dos.year() - age as i32).unwrap_or(dos);
    let birth = latest - chrono::Days::new(rng.random_range(0..365));
    let birth = if age_on(birth, dos) == age {
        birth
    } else {
        latest
    };
    let street_no: u32 = rng.random_range(10..9999);
    let street: String = StreetName().fake_with_rng(rng);
    let phone = format!(
        "{}-555-01{:02}",
        rng.random_range(201..990),
        rng.random_range(0..100)
    );
    let email = format!(
        "{}.{}{}@{}",
        first.to_lowercase(),
        last.to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
        rng.random_range(1..100),
        DOMAINS[rng.random_range(0..DOMAINS.len())]
    );
    let (pronoun, possessive) = if sex == "F" {
        ("she", "her")
    } else {
        ("he", "his")
    };
    Patient {
        first_name: first,
        last_name: last,
        sex,
        birth_date: birth,
        age: age_on(birth, dos),
        address: format!("{street_no} {street}"),
        city: CityName().fake_with_rng(rng),
        state: StateAbbr().fake_with_rng(rng),
        zip: ZipCode()
            .fake_with_rng::<String, _>(rng)
            .chars()
            .take(5)
            .collect(),
        phone,
        email,
        mrn: format!("SYN-{:07}", rng.random_range(0..10_000_000)),
        member_id: format!("ZZ{:09}", rng.random_range(0..1_000_000_000u32)),
        pronoun: pronoun.into(),
        possessive: possessive.into(),
    }
}

/// Makes a rendering provider with a test NPI.
pub fn provider(rng: &mut impl Rng) -> Provider {
    let (name, credential) = CLINICIANS[rng.random_range(0..CLINICIANS.len())];
    let body: String = (0..9)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    Provider {
        name: name.into(),
        credential: credential.into(),
        npi: format!("{body}{}", npi_check_digit(&body)),
    }
}

/// The NPI check digit: Luhn over "80840" + the first nine digits.
pub fn npi_check_digit(nine: &str) -> u32 {
    let digits: Vec<u32> = format!("80840{nine}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_textbook_test_npi_checks_out() {
        assert_eq!(
            npi_check_digit("123456789"),
            3,
            "1234567893 is the standard test NPI"
        );
    }

    #[test]
    fn patients_match_their_constraints_and_fictional_ranges() {
        let dos = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..500 {
            let p = patient(&mut rng, "F", [18, 64], dos);
            assert_eq!(p.sex, "F");
            assert!((18..=64).contains(&p.age), "{}", p.age);
            assert_eq!(age_on(p.birth_date, dos), p.age);
            assert!(p.phone.contains("-555-01"));
            assert!(DOMAINS.iter().any(|d| p.email.ends_with(d)));
            assert!(p.mrn.starts_with("SYN-") && p.member_id.starts_with("ZZ"));
        }
        let pr = provider(&mut rng);
        assert_eq!(pr.npi.len(), 10);
        assert_eq!(npi_check_digit(&pr.npi[..9]).to_string(), pr.npi[9..]);
    }
}
