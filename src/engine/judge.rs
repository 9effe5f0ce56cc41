//! The judge: scores a given diagnosis against the case's on a 1–5 scale with a one-line
//! rationale. 5: the diagnosis or a synonym; 4: its whole name covered, or a near-identical
//! spelling; 3: the same disease family; 2: the same organ system; 1: otherwise.

use super::case::Case;
use super::text::{contains_phrase, normalize, stem, words};

/// A score and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// 1–5.
    pub score: u8,
    /// One line.
    pub rationale: String,
}

impl Judgement {
    /// Correct means 4 or 5.
    pub fn correct(&self) -> bool {
        self.score >= 4
    }
}

/// Scores diagnoses.
#[async_trait::async_trait]
pub trait Judge: Send + Sync {
    /// The judgement of `given` for `case`; `None` when the case has no recorded diagnosis.
    async fn judge(
        &self,
        case: &Case,
        given: &str,
    ) -> Result<Option<Judgement>, super::gatekeeper::Unavailable>;
}

/// The offline judge: names, synonyms, spelling distance, family words and an organ-system
/// lexicon.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineJudge;

/// Words that name each organ system, for the score of 2.
const SYSTEMS: &[(&str, &[&str])] = &[
    (
        "cardiovascular",
        &[
            "heart",
            "cardiac",
            "cardio",
            "coronary",
            "myocardial",
            "myocarditis",
            "pericardial",
            "pericarditis",
            "aortic",
            "aorta",
            "valve",
            "valvular",
            "endocarditis",
            "arrhythmia",
            "angina",
            "atrial",
            "ventricular",
            "vascular",
            "artery",
            "arterial",
            "hypertension",
        ],
    ),
    (
        "respiratory",
        &[
            "lung",
            "pulmonary",
            "pneumonia",
            "pneumonitis",
            "bronch",
            "bronchitis",
            "asthma",
            "copd",
            "pleural",
            "pleurisy",
            "respiratory",
            "airway",
            "tracheal",
        ],
    ),
    (
        "gastrointestinal",
        &[
            "bowel",
            "intestinal",
            "colon",
            "colitis",
            "gastric",
            "gastritis",
            "gastro",
            "duodenal",
            "pancreas",
            "pancreatic",
            "pancreatitis",
            "appendix",
            "appendiceal",
            "esophageal",
            "peritonitis",
            "diverticulitis",
            "abdominal",
        ],
    ),
    (
        "hepatobiliary",
        &[
            "liver",
            "hepatic",
            "hepatitis",
            "biliary",
            "gallbladder",
            "cholecystitis",
            "cholangitis",
            "cirrhosis",
            "hepatotoxicity",
        ],
    ),
    (
        "renal",
        &[
            "kidney",
            "renal",
            "nephritis",
            "nephropathy",
            "nephrotic",
            "glomerular",
            "glomerulonephritis",
            "tubular",
        ],
    ),
    (
        "endocrine",
        &[
            "thyroid",
            "thyroiditis",
            "hyperthyroidism",
            "hypothyroidism",
            "adrenal",
            "pituitary",
            "parathyroid",
            "diabetes",
            "diabetic",
            "endocrine",
            "cortisol",
            "insulin",
        ],
    ),
    (
        "hematologic",
        &[
            "anemia",
            "anaemia",
            "blood",
            "hematologic",
            "platelet",
            "thrombocytopenia",
            "hemolytic",
            "haemolytic",
            "coagulopathy",
            "leukemia",
            "lymphoma",
            "myeloma",
            "marrow",
        ],
    ),
    (
        "oncologic",
        &[
            "cancer",
            "carcinoma",
            "tumor",
            "tumour",
            "malignancy",
            "neoplasm",
            "metastatic",
            "lymphoma",
            "sarcoma",
        ],
    ),
    (
        "infectious",
        &[
            "infection",
            "infectious",
            "sepsis",
            "bacterial",
            "viral",
            "bacteremia",
            "abscess",
            "fungal",
        ],
    ),
    (
        "neurologic",
        &[
            "brain",
            "cerebral",
            "neurologic",
            "neuropathy",
            "nerve",
            "spinal",
            "stroke",
            "seizure",
            "epilepsy",
            "encephalitis",
            "meningitis",
            "myelitis",
            "polyneuropathy",
            "demyelinating",
            "neuromuscular",
        ],
    ),
    (
        "musculoskeletal",
        &[
            "bone",
            "muscle",
            "muscular",
            "joint",
            "fracture",
            "myopathy",
            "myositis",
            "tendon",
            "osteomyelitis",
        ],
    ),
    (
        "rheumatologic",
        &[
            "arthritis",
            "vasculitis",
            "arteritis",
            "autoimmune",
            "lupus",
            "rheumatoid",
            "connective",
            "crystal",
            "gout",
            "polymyalgia",
        ],
    ),
    ("dermatologic", &["skin", "dermatitis", "rash", "cutaneous"]),
    (
        "psychiatric",
        &[
            "depression",
            "psychiatric",
            "anxiety",
            "psychosis",
            "bipolar",
        ],
    ),
    (
        "toxicologic",
        &["overdose", "poisoning", "toxicity", "ingestion", "toxic"],
    ),
    (
        "obstetric",
        &["pregnancy", "obstetric", "gestational", "placental"],
    ),
    (
        "gynecologic",
        &[
            "ovarian",
            "ovary",
            "uterine",
            "tubal",
            "pelvic",
            "gynecologic",
            "adnexal",
        ],
    ),
    (
        "urologic",
        &["bladder", "prostate", "urinary", "ureteral", "urethral"],
    ),
    (
        "immunologic",
        &["immune", "immunodeficiency", "allergic", "anaphylaxis"],
    ),
    (
        "metabolic",
        &[
            "metabolic",
            "electrolyte",
            "acidosis",
            "alkalosis",
            "hyponatremia",
            "hyperkalemia",
        ],
    ),
];

/// Words that add nothing to a diagnosis' identity.
const FILLER: &[&str] = &[
    "acute",
    "chronic",
    "the",
    "of",
    "with",
    "and",
    "due",
    "to",
    "a",
    "an",
    "primary",
    "secondary",
];

fn significant(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .collect()
}

/// True when every significant word of `name` is in `given` (by stem).
fn covers(given: &str, name: &str) -> bool {
    let given: Vec<String> = words(given).iter().map(|w| stem(w)).collect();
    let name = significant(name);
    !name.is_empty() && name.iter().all(|w| given.contains(&stem(w)))
}

/// Names a text's organ system, if any of its words belongs to one.
pub fn system_of(text: &str) -> Option<&'static str> {
    let text = normalize(text);
    SYSTEMS
        .iter()
        .find(|(_, terms)| {
            terms
                .iter()
                .any(|t| words(&text).iter().any(|w| w.starts_with(t)))
        })
        .map(|(name, _)| *name)
}

#[async_trait::async_trait]
impl Judge for OfflineJudge {
    async fn judge(
        &self,
        case: &Case,
        given: &str,
    ) -> Result<Option<Judgement>, super::gatekeeper::Unavailable> {
        Ok(OfflineJudge::judge(self, case, given))
    }
}

impl OfflineJudge {
    /// The judgement of `given` for `case` (never fails: everything is local).
    pub fn judge(&self, case: &Case, given: &str) -> Option<Judgement> {
        let truth = case.diagnosis.as_deref()?;
        let names = case.diagnosis_names();
        let given_n = normalize(given);
        let verdict = |score: u8, rationale: String| Some(Judgement { score, rationale });
        if given_n.is_empty() {
            return verdict(1, "No diagnosis was given.".into());
        }
        let mut sorted_given = significant(&given_n);
        sorted_given.sort();
        for name in &names {
            let mut sorted_name = significant(name);
            sorted_name.sort();
            if *name == given_n || (!sorted_name.is_empty() && sorted_name == sorted_given) {
                return verdict(
                    5,
                    format!("\"{given}\" is the diagnosis ({truth}) or an accepted name for it."),
                );
            }
        }
        for name in &names {
            if contains_phrase(&given_n, name) || covers(&given_n, name) {
                return verdict(
                    4,
                    format!("\"{given}\" covers the whole diagnosis ({truth}), with additions."),
                );
            }
            let similarity = strsim::normalized_levenshtein(&given_n, name);
            if similarity >= 0.85 && name.len() >= 6 {
                return verdict(
                    4,
                    format!("\"{given}\" is a near-identical spelling of {truth}."),
                );
            }
        }
        if case
            .family_terms
            .iter()
            .any(|f| contains_phrase(&given_n, f) || covers(&given_n, f))
        {
            return verdict(
                3,
                format!(
                    "\"{given}\" is in the same disease family as {truth}, but not the diagnosis."
                ),
            );
        }
        let case_system = case.system.as_deref().or_else(|| system_of(truth));
        if let (Some(expected), Some(got)) = (case_system, system_of(&given_n)) {
            if expected == got {
                return verdict(2, format!("\"{given}\" concerns the right organ system ({expected}) but another disease than {truth}."));
            }
        }
        verdict(1, format!("\"{given}\" does not match {truth}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> Case {
        serde_json::from_value(serde_json::json!({
            "id": "t", "title": "t", "summary": "s", "full_text": "x",
            "diagnosis": "Acute pulmonary embolism",
            "synonyms": ["pulmonary embolism", "PE", "pulmonary thromboembolism"],
            "family_terms": ["venous thromboembolism", "thromboembolic"],
            "system": "respiratory"
        }))
        .unwrap()
    }

    #[test]
    fn the_scale_on_a_table_of_pairs() {
        let table = [
            ("Acute pulmonary embolism", 5),
            ("acute pulmonary embolism.", 5),
            ("PE", 5),
            ("Pulmonary thromboembolism", 5),
            ("embolism, pulmonary", 5),
            (
                "Massive acute pulmonary embolism with right heart strain",
                4,
            ),
            ("pulmonary embolsim", 4),
            ("Venous thromboembolism", 3),
            ("Community-acquired pneumonia", 2),
            ("Asthma exacerbation", 2),
            ("Acute myocardial infarction", 1),
            ("Gout", 1),
            ("", 1),
        ];
        for (given, expected) in table {
            let j = OfflineJudge.judge(&case(), given).unwrap();
            assert_eq!(j.score, expected, "{given:?}: {}", j.rationale);
            assert_eq!(j.correct(), expected >= 4);
            assert!(!j.rationale.contains('\n'));
        }
    }

    #[test]
    fn no_diagnosis_no_verdict() {
        let mut c = case();
        c.diagnosis = None;
        assert!(OfflineJudge.judge(&c, "anything").is_none());
    }
}
