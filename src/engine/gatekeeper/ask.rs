//! What a question asks: its concepts (each a set of phrases that mean the same, widened through
//! the clinical lexicon), the section it is about, and whether it asks how long or since when.

use super::items::Section;
use crate::engine::lexicon::{is_everyday, Lexicon};
use crate::engine::text::{is_stopword, normalize, stem};

/// One thing a question asks about, in every wording the lexicon knows.
#[derive(Debug, Clone)]
pub(super) struct Concept {
    /// Stem sequences that mean it, the question's own wording first.
    pub wordings: Vec<Vec<String>>,
    /// Stem sequences that show it in a sentence without naming it ("mother" for family
    /// history): weaker than a wording.
    pub cues: Vec<Vec<String>>,
}

/// A question, understood.
#[derive(Debug, Clone)]
pub(super) struct Asked {
    pub concepts: Vec<Concept>,
    /// The section it is about, when it says.
    pub section: Option<Section>,
    /// "How long…?", "Since when…?", "When did it start?"
    pub duration: bool,
}

/// Verbs of an examination request: they say where to look, not what to look for.
const EXAM_VERBS: &[&str] = &[
    "examine",
    "examination",
    "exam",
    "listen",
    "auscultate",
    "auscultation",
    "palpate",
    "palpation",
    "inspect",
    "inspection",
    "percuss",
    "percussion",
    "look",
    "check",
    "measure",
    "assess",
    "perform",
    "o e",
];

/// Words that set a question's frame but never identify a finding alone ("Any other symptoms?").
const GENERIC: &[&str] = &[
    "symptom",
    "symptoms",
    "recent",
    "recently",
    "lately",
    "other",
    "others",
    "else",
    "problem",
    "problems",
    "issue",
    "issues",
    "history",
    "hx",
    "change",
    "changes",
    "thing",
    "things",
    "anything",
    "something",
    "make",
    "makes",
    "made",
    "feeling",
    "now",
    "today",
    "take",
    "use",
    "used",
    "using",
    "ok",
    "okay",
    "new",
    "normal",
    "usual",
    "well",
    "yes",
    "no",
    "not",
    "all",
    "also",
    "too",
    "just",
    "really",
    "very",
    "more",
    "less",
    "times",
    "time",
    "day",
    "days",
    "everything",
    "details",
    "detail",
    "more",
    "information",
    "info",
    "result",
    "results",
    "level",
    "levels",
    "value",
    "status",
    "signs",
    "sign",
    "present",
    "there",
    "here",
    "been",
    "go",
    "going",
    "see",
    "seen",
    "seem",
    "find",
    "findings",
    "finding",
    "show",
    "shows",
    // Light verbs and fillers: they carry the question, not what it is about.
    "bring",
    "bringing",
    "brought",
    "getting",
    "gets",
    "come",
    "coming",
    "came",
    "happen",
    "happened",
    "happening",
    "keep",
    "keeps",
    "put",
    "give",
    "gives",
    "gave",
    "seems",
    "looks",
    "looking",
    "tend",
    "usually",
    "often",
    "ever",
    "still",
    "much",
    "any",
    "lot",
    "lots",
    "kind",
    "type",
    "sort",
    "way",
    "like",
    "able",
    "try",
    "tried",
];

/// Phrases that ask how long or since when.
const DURATION: &[&str] = &[
    "how long",
    "since when",
    "when did",
    "when was",
    "when were",
    "when has",
    "when have",
    "what time",
    "duration",
    "how many days",
    "how many weeks",
    "how many months",
    "how many years",
    "how many hours",
    "onset",
];

/// Words a duration question uses that name no finding.
const DURATION_WORDS: &[&str] = &[
    "long", "since", "when", "duration", "start", "started", "starting", "begin", "began", "begun",
    "onset", "first", "last", "lasted", "many", "hours", "weeks", "months", "years", "ago",
];

/// True when a text states a duration or a time ("three weeks", "since Monday", "2 days ago").
pub(super) fn states_duration(text: &str) -> bool {
    const UNITS: &[&str] = &[
        "second",
        "seconds",
        "minute",
        "minutes",
        "min",
        "mins",
        "hour",
        "hours",
        "hr",
        "hrs",
        "day",
        "days",
        "week",
        "weeks",
        "wk",
        "wks",
        "month",
        "months",
        "year",
        "years",
        "yr",
        "yrs",
        "night",
        "nights",
        "morning",
        "evening",
        "yesterday",
        "overnight",
        "decade",
    ];
    const MARKERS: &[&str] = &["since", "ago", "yesterday", "last", "past", "for", "over"];
    const COUNTS: &[&str] = &[
        "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "several", "few", "couple", "many", "some", "half",
    ];
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').collect();
    let has_unit = words.iter().any(|w| UNITS.contains(w));
    let has_marker = words.iter().any(|w| MARKERS.contains(w));
    // "5 hours", "three weeks", "a few days": a count before a unit states a duration.
    let counted = words.windows(2).any(|pair| {
        (pair[0].chars().all(|c| c.is_ascii_digit()) || COUNTS.contains(&pair[0]))
            && UNITS.contains(&pair[1])
    }) || words
        .windows(3)
        .any(|w| COUNTS.contains(&w[0]) && w[1] == "few" && UNITS.contains(&w[2]));
    (has_unit && has_marker) || counted || words.contains(&"since") || words.contains(&"ago")
}

/// The cue words of a clinical-lexicon group (see `data/lexicon/cues.txt`).
fn cues_of(group: usize, lexicon: &Lexicon) -> Vec<Vec<String>> {
    let cues = Lexicon::cues();
    (0..cues.len())
        .map(|c| cues.group(c))
        .filter(|cue| lexicon.groups_of(&cue.phrases[0]).contains(&group))
        .flat_map(|cue| cue.stems[1..].iter().filter(|s| !s.is_empty()).cloned())
        .collect()
}

fn section_of(lexicon_section: &str) -> Option<Section> {
    match lexicon_section {
        "history" | "symptoms" => Some(Section::History),
        "exam" | "vitals" => Some(Section::Exam),
        "tests" => Some(Section::Test),
        _ => None,
    }
}

impl Asked {
    /// Understands one question (a part of a message).
    pub fn new(question: &str) -> Self {
        let lexicon = Lexicon::clinical();
        let normalized = normalize(question);
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        let padded = format!(" {normalized} ");
        let duration = DURATION.iter().any(|p| padded.contains(&format!(" {p} ")));
        let mut exam_request = EXAM_VERBS
            .iter()
            .any(|v| padded.contains(&format!(" {v} ")));
        let mut sections: Vec<Section> = Vec::new();
        let mut concepts: Vec<Concept> = Vec::new();
        let mut covered = vec![false; words.len()];
        for found in lexicon.find(question) {
            let mut wordings: Vec<Vec<String>> = Vec::new();
            let own: Vec<String> = words[found.start..found.start + found.len]
                .iter()
                .filter(|w| !is_stopword(w))
                .map(|w| stem(w))
                .collect();
            if !own.is_empty() {
                wordings.push(own);
            }
            let mut cues: Vec<Vec<String>> = Vec::new();
            for &g in &found.groups {
                let group = lexicon.group(g);
                if let Some(section) = section_of(&group.section) {
                    sections.push(section);
                }
                for (phrase, stems) in group.phrases.iter().zip(&group.stems) {
                    // "all" (allergies) or "t" (temperature) would be found everywhere.
                    if stems.is_empty() || is_everyday(phrase) || wordings.contains(stems) {
                        continue;
                    }
                    wordings.push(stems.clone());
                    // "nausea and vomiting" is told as "nausea without vomiting": each half
                    // shows the whole.
                    if let Some((a, b)) = phrase.split_once(" and ") {
                        for half in [a, b] {
                            let half = crate::engine::text::terms(half);
                            if !half.is_empty() && !cues.contains(&half) {
                                cues.push(half);
                            }
                        }
                    }
                }
                cues.extend(cues_of(g, lexicon));
            }
            for c in covered.iter_mut().skip(found.start).take(found.len) {
                *c = true;
            }
            let generic_alone = found.len == 1 && GENERIC.contains(&words[found.start]);
            // A phrase's head word shows it too, weakly: "drug allergies" are told under
            // "Allergies".
            // Only for the history: an examination sign ("jugular venous pressure") is not
            // shown by its head word ("blood pressure").
            let history = found
                .groups
                .iter()
                .any(|&g| section_of(&lexicon.group(g).section) == Some(Section::History));
            let heads: Vec<Vec<String>> = wordings
                .iter()
                .filter(|w| history && w.len() >= 2)
                .filter_map(|w| w.last().map(|h| vec![h.clone()]))
                .collect();
            for head in heads {
                if !cues.contains(&head) && !GENERIC.contains(&head[0].as_str()) {
                    cues.push(head);
                }
            }
            if !wordings.is_empty() && !generic_alone {
                concepts.push(Concept { wordings, cues });
            }
        }
        for (i, word) in words.iter().enumerate() {
            if covered[i]
                || is_stopword(word)
                || GENERIC.contains(word)
                || EXAM_VERBS.contains(word)
                || (duration && DURATION_WORDS.contains(word))
            {
                continue;
            }
            let s = stem(word);
            if s.is_empty() || concepts.iter().any(|c| c.wordings[0] == [s.clone()]) {
                continue;
            }
            concepts.push(Concept {
                wordings: vec![vec![s]],
                cues: Vec::new(),
            });
        }
        if sections.contains(&Section::Exam) {
            exam_request = true;
        }
        let section = if exam_request {
            Some(Section::Exam)
        } else if sections.contains(&Section::History) {
            Some(Section::History)
        } else {
            None
        };
        Self {
            concepts,
            section,
            duration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_told_apart() {
        assert!(states_duration("It started three days ago."));
        assert!(states_duration("for the past 2 weeks"));
        assert!(states_duration("The pain began 5 hours before arrival."));
        assert!(!states_duration("I take 10 mg daily."));
    }
}
