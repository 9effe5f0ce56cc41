//! What a test's name says about it besides its name: the modality, the body sites and the
//! specimen. Two names that agree on all three name the same study ("CT abdomen" and "CT of the
//! abdomen and pelvis with contrast"); a urine culture is never a blood culture.

use crate::engine::text::Padded;

/// Modalities and the words that name them.
const MODALITIES: &[(&str, &[&str])] = &[
    ("ct", &["ct", "cat", "computed tomography", "cta", "ctpa"]),
    ("mri", &["mri", "mr", "magnetic resonance", "mra", "mrcp"]),
    (
        "cath",
        &[
            "catheterization",
            "catheterisation",
            "cath",
            "coronary angiography",
            "coronary angiogram",
            "ventriculography",
            "ventriculogram",
        ],
    ),
    (
        "ultrasound",
        &[
            "ultrasound",
            "us",
            "sonogram",
            "sonography",
            "ultrasonography",
            "doppler",
            "duplex",
        ],
    ),
    (
        "xray",
        &[
            "x ray",
            "xray",
            "radiograph",
            "radiography",
            "film",
            "films",
            "cxr",
            "kub",
            "plain film",
        ],
    ),
    (
        "echo",
        &["echocardiogram", "echocardiography", "echo", "tte", "tee"],
    ),
    (
        "ecg",
        &["ecg", "ekg", "electrocardiogram", "electrocardiography"],
    ),
    ("culture", &["culture", "cultures", "cx", "ucx", "bcx"]),
];

/// Words that make a study an angiogram (a different study from the plain one).
const ANGIO: &[&str] = &[
    "angiography",
    "angiogram",
    "cta",
    "ctpa",
    "mra",
    "angio",
    "venography",
    "venogram",
    "mrv",
    "ctv",
];

/// Body sites, each with the words that name it.
const SITES: &[(&str, &[&str])] = &[
    ("head", &["head", "brain", "cranial", "skull"]),
    ("neck", &["neck", "soft tissue neck"]),
    (
        "chest",
        &[
            "chest",
            "thorax",
            "lung",
            "lungs",
            "cxr",
            "pulmonary",
            "ctpa",
        ],
    ),
    ("abdomen", &["abdomen", "abdominal", "abdo", "kub"]),
    (
        "ruq",
        &["ruq", "right upper quadrant", "gallbladder", "biliary"],
    ),
    ("rlq", &["rlq", "right lower quadrant", "appendix"]),
    ("luq", &["luq", "left upper quadrant", "spleen"]),
    ("llq", &["llq", "left lower quadrant"]),
    ("pelvis", &["pelvis", "pelvic", "transvaginal"]),
    ("kidney", &["kidney", "kidneys", "renal"]),
    ("liver", &["liver", "hepatic", "hepatobiliary"]),
    ("spine", &["spine", "spinal"]),
    ("cervical", &["cervical"]),
    ("thoracic", &["thoracic"]),
    ("lumbar", &["lumbar", "lumbosacral"]),
    ("heart", &["heart", "cardiac", "coronary"]),
    ("aorta", &["aorta", "aortic"]),
    ("carotid", &["carotid", "carotids"]),
    (
        "leg",
        &[
            "leg",
            "legs",
            "lower extremity",
            "lower limb",
            "calf",
            "femoral",
            "popliteal",
        ],
    ),
    ("arm", &["arm", "upper extremity", "upper limb"]),
    ("knee", &["knee"]),
    ("hip", &["hip"]),
    ("ankle", &["ankle"]),
    ("foot", &["foot", "feet"]),
    ("hand", &["hand", "hands"]),
    ("wrist", &["wrist"]),
    ("shoulder", &["shoulder"]),
    ("thyroid", &["thyroid"]),
    ("sinus", &["sinus", "sinuses"]),
    ("scrotum", &["scrotal", "scrotum", "testicular", "testis"]),
];

/// Specimens, each with the words that name it.
const SPECIMENS: &[(&str, &[&str])] = &[
    ("arterial", &["arterial", "abg"]),
    ("venous", &["venous", "vbg"]),
    ("blood", &["blood", "serum", "plasma", "bcx"]),
    ("urine", &["urine", "urinary", "urinalysis", "ua", "ucx"]),
    (
        "csf",
        &["csf", "cerebrospinal", "spinal fluid", "lumbar puncture"],
    ),
    ("sputum", &["sputum"]),
    ("stool", &["stool", "fecal", "faecal", "feces"]),
    ("throat", &["throat", "pharyngeal"]),
    ("wound", &["wound", "abscess"]),
    ("synovial", &["synovial", "joint fluid", "arthrocentesis"]),
    ("pleural", &["pleural"]),
    (
        "peritoneal",
        &["peritoneal", "ascitic", "ascites", "paracentesis"],
    ),
    ("nasal", &["nasal", "nasopharyngeal", "nares"]),
];

/// What a test name says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Described {
    pub modality: Option<&'static str>,
    pub angio: bool,
    pub sites: Vec<&'static str>,
    pub specimen: Option<&'static str>,
    /// Every specimen the text names.
    pub specimens: Vec<&'static str>,
}

/// True when a result from specimen `a` answers an order on specimen `b`: the same, or blood
/// and a venous or arterial sample (a potassium on a venous gas), never arterial for venous.
pub(super) fn compatible(a: &str, b: &str) -> bool {
    a == b
        || (a == "blood" && matches!(b, "arterial" | "venous"))
        || (b == "blood" && matches!(a, "arterial" | "venous"))
}

/// Reads a test name (or a sentence reporting one).
pub(super) fn describe(name: &str) -> Described {
    let padded = Padded::new(name);
    let first = |table: &[(&'static str, &[&str])]| {
        table
            .iter()
            .find(|(_, words)| words.iter().any(|w| padded.has(w)))
            .map(|(k, _)| *k)
    };
    Described {
        modality: first(MODALITIES),
        angio: ANGIO.iter().any(|w| padded.has(w)),
        sites: SITES
            .iter()
            .filter(|(_, words)| words.iter().any(|w| padded.has(w)))
            .map(|(k, _)| *k)
            .collect(),
        specimen: first(SPECIMENS),
        specimens: SPECIMENS
            .iter()
            .filter(|(_, words)| words.iter().any(|w| padded.has(w)))
            .map(|(k, _)| *k)
            .collect(),
    }
}

impl Described {
    /// True when a study of this description answers an order of `ordered`: the same modality,
    /// both or neither angiograms, no other specimen, and a shared body site when both name one
    /// (an imaging study must name one).
    pub fn answers(&self, ordered: &Described) -> bool {
        let Some(modality) = ordered.modality else {
            return false;
        };
        if self.modality != Some(modality) || self.angio != ordered.angio {
            return false;
        }
        if let (Some(a), Some(b)) = (self.specimen, ordered.specimen) {
            if a != b {
                return false;
            }
        }
        let imaging = matches!(modality, "ct" | "mri" | "ultrasound" | "xray");
        if imaging && (self.sites.is_empty() || ordered.sites.is_empty()) {
            return false;
        }
        if !self.sites.is_empty() && !ordered.sites.is_empty() {
            // Spine levels and abdominal quadrants name different studies of one region.
            for parts in [
                &["cervical", "thoracic", "lumbar"][..],
                &["ruq", "rlq", "luq", "llq"][..],
            ] {
                let levels = |d: &Described| -> Vec<&str> {
                    d.sites
                        .iter()
                        .copied()
                        .filter(|s| parts.contains(s))
                        .collect()
                };
                let (a, b) = (levels(self), levels(ordered));
                if !a.is_empty() && !b.is_empty() && !a.iter().any(|s| b.contains(s)) {
                    return false;
                }
                if a.is_empty() != b.is_empty() && !parts.contains(&"cervical") {
                    return false;
                }
            }
            return self.sites.iter().any(|s| ordered.sites.contains(s));
        }
        true
    }

    /// True when the text names no specimen, or one that `specimen` may be read from.
    pub fn names_specimen(&self, specimen: &str) -> bool {
        self.specimens.is_empty() || self.specimens.iter().any(|s| compatible(s, specimen))
    }

    /// The specimen, blood when a laboratory name says none.
    pub fn specimen_or_blood(&self) -> &'static str {
        self.specimen.unwrap_or("blood")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn studies_are_told_apart_by_modality_site_and_specimen() {
        let ct = describe("CT abdomen and pelvis with contrast");
        assert!(ct.answers(&describe("CT abdomen")));
        assert!(!ct.answers(&describe("CT chest")));
        assert!(!ct.answers(&describe("MRI abdomen")));
        assert!(!describe("CT angiography of head and neck").answers(&describe("CT head")));
        assert!(!describe("Blood cultures x2").answers(&describe("urine culture")));
        assert!(describe("Urine culture").answers(&describe("UCx")));
        assert!(!describe("MRI lumbar spine").answers(&describe("MRI cervical spine")));
        assert!(describe("Chest radiograph, PA and lateral").answers(&describe("CXR")));
    }
}
