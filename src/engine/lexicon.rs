//! Words a patient's history is told in: a question asked in one word ("occupation") should find
//! a sentence told in another ("he works in a grain mill"). Used to widen free-text retrieval.

use super::text::stem;

/// Groups of words that ask after the same part of the history or examination.
const CONCEPTS: &[&[&str]] = &[
    &[
        "occupation",
        "job",
        "work",
        "works",
        "employed",
        "employment",
        "profession",
        "retired",
    ],
    &[
        "smoke",
        "smoker",
        "cigarette",
        "tobacco",
        "pack",
        "vape",
        "nicotine",
    ],
    &[
        "alcohol", "drink", "drinks", "beer", "wine", "spirits", "liquor",
    ],
    &[
        "recreational",
        "illicit",
        "cocaine",
        "heroin",
        "cannabis",
        "marijuana",
        "inject",
        "methamphetamine",
    ],
    &[
        "medication",
        "medicine",
        "tablet",
        "pill",
        "prescription",
        "prescribed",
    ],
    &["allergy", "allergies", "allergic"],
    &[
        "family", "mother", "father", "brother", "sister", "sibling", "parent", "relative",
    ],
    &["travel", "trip", "abroad", "overseas", "returned"],
    &["sexual", "sex", "partner", "partners", "condom"],
    &["fever", "temperature", "febrile", "chill", "rigor", "sweat"],
    &[
        "pregnant",
        "pregnancy",
        "menstrual",
        "menstruation",
        "period",
        "menses",
    ],
    &["pain", "ache", "hurt", "sore", "tender", "tenderness"],
    &[
        "breath",
        "breathless",
        "breathing",
        "dyspnea",
        "dyspnoea",
        "wheeze",
    ],
    &["vomit", "vomiting", "nausea", "nauseous"],
    &["stool", "bowel", "diarrhea", "diarrhoea", "constipation"],
    &[
        "urine",
        "urinate",
        "urination",
        "urinary",
        "micturition",
        "bladder",
    ],
    &["appetite", "eat", "eating", "hungry"],
    &["weight", "kg", "pound", "thinner"],
    &["sleep", "insomnia", "tired", "fatigue"],
    &[
        "vaccine",
        "vaccination",
        "vaccinated",
        "immunization",
        "immunisation",
    ],
    &["pet", "animal", "dog", "cat", "bird", "livestock", "farm"],
    &["home", "live", "lives", "house", "housing"],
    &["pulse", "heart rate", "bpm"],
    &["blood pressure", "mmhg"],
    &[
        "vital",
        "temperature",
        "pulse",
        "pressure",
        "respiratory",
        "saturation",
        "oxygen",
    ],
];

/// Stems related to `term` (itself a stem) through a concept group, without `term` itself.
pub fn related(term: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for group in CONCEPTS {
        let stems: Vec<String> = group.iter().flat_map(|w| w.split(' ')).map(stem).collect();
        if stems.iter().any(|s| s == term) {
            for s in stems {
                if s != term && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_reaches_its_group_through_stems() {
        assert!(related(&stem("occupation")).contains(&stem("works")));
        assert!(related(&stem("smoking")).contains(&stem("cigarettes")));
        assert!(related(&stem("vitals")).contains(&stem("saturation")));
        assert!(related("zebra").is_empty());
    }
}
