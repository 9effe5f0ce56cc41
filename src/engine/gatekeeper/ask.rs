//! What a question asks: its concepts (each a set of phrases that mean the same, widened through
//! the clinical lexicon), the section it is about, and whether it asks how long or since when.

use super::items::Section;
use crate::engine::lexicon::{is_everyday, Lexicon};
use crate::engine::text::{is_stopword, normalize, stem, Padded};

/// One thing a question asks about, in every wording the lexicon knows.
#[derive(Debug, Clone)]
pub(super) struct Concept {
    /// Stem sequences that mean it, the question's own wording first.
    pub wordings: Vec<Vec<String>>,
    /// Stem sequences that show it in a sentence without naming it ("mother" for family
    /// history): weaker than a wording.
    pub cues: Vec<Vec<String>>,
}

impl Concept {
    fn new(wordings: Vec<Vec<String>>, cues: Vec<Vec<String>>) -> Self {
        Self { wordings, cues }
    }
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

/// Lexicon concepts that frame a question ("how long has she had…", "what makes it worse")
/// without naming what it is about; a case never writes them, so they are not looked for. The
/// first two make it a duration question.
const FRAMES: &[&str] = &[
    "duration",
    "onset",
    "duration of symptoms",
    "onset of symptoms",
    "episode duration",
    "frequency of episodes",
    "associated symptoms",
    "pain character",
    "pain location",
    "aggravating factors",
    "relieving factors",
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
    // "at 6 a.m.", "around 3 pm", "at 14:00", "this morning", "on Monday".
    const DAYS: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tonight",
        "yesterday",
    ];
    let clock = words.windows(2).any(|pair| {
        pair[0].chars().all(|c| c.is_ascii_digit())
            && matches!(
                pair[1],
                "am" | "pm" | "a" | "p" | "o" | "h" | "hrs" | "hours"
            )
            && !pair[0].is_empty()
    }) || words.windows(2).any(|pair| {
        matches!(pair[0], "this" | "last" | "yesterday")
            && matches!(
                pair[1],
                "morning" | "afternoon" | "evening" | "night" | "week"
            )
    }) || words.iter().any(|w| DAYS.contains(w));
    (has_unit && has_marker)
        || counted
        || clock
        || words.contains(&"since")
        || words.contains(&"ago")
}

/// The cue words of a clinical-lexicon group (see `data/lexicon/cues.txt`).
fn cues_of(group: usize, lexicon: &Lexicon) -> Vec<Vec<String>> {
    let cues = Lexicon::cues();
    (0..cues.len())
        .map(|c| cues.group(c))
        // A lexicon's phrases are stored normalised.
        .filter(|cue| {
            lexicon
                .groups_of_normalized(&cue.phrases[0])
                .contains(&group)
        })
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
        let padded = Padded::of_normalized(&normalized);
        let found_all = lexicon.find(question);
        let frame = |f: &crate::engine::lexicon::Found| {
            f.groups
                .iter()
                .any(|&g| FRAMES.contains(&lexicon.group(g).phrases[0].as_str()))
        };
        let duration = DURATION.iter().any(|p| padded.has(p))
            || found_all.iter().any(|f| {
                f.groups.iter().any(|&g| {
                    matches!(
                        lexicon.group(g).phrases[0].as_str(),
                        "duration" | "onset" | "duration of symptoms" | "onset of symptoms"
                    )
                })
            });
        let mut exam_request = EXAM_VERBS.iter().any(|v| padded.has(v));
        let mut sections: Vec<Section> = Vec::new();
        let mut concepts: Vec<Concept> = Vec::new();
        let mut covered = vec![false; words.len()];
        for found in found_all {
            // A frame's own words still count one by one ("where does it hurt": "hurt").
            if frame(&found) {
                continue;
            }
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
            // A shorthand of two sections ("LOC": loss or level of consciousness) says none.
            let mut own_sections: Vec<Section> = found
                .groups
                .iter()
                .filter_map(|&g| section_of(&lexicon.group(g).section))
                .collect();
            own_sections.dedup();
            if let [one] = own_sections.as_slice() {
                sections.push(*one);
            }
            for &g in &found.groups {
                let group = lexicon.group(g);
                for (phrase, stems) in group.phrases.iter().zip(&group.stems) {
                    // "all" (allergies) or "t" (temperature) would be found everywhere.
                    // "been away" is not "away": a phrase that loses all but one word to the
                    // stopwords has lost what made it specific.
                    let collapsed = stems.len() == 1 && phrase.split(' ').count() >= 2;
                    let everyday = is_everyday(phrase)
                        || collapsed
                        || (stems.len() == 1 && is_everyday(&stems[0]));
                    if stems.is_empty() || everyday || wordings.contains(stems) {
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
            // Only of each concept's own name ("drug allergies", "blood transfusion"): in its
            // other wordings the last word is often no head ("received blood", "shoot up").
            let heads: Vec<Vec<String>> = found
                .groups
                .iter()
                .map(|&g| &lexicon.group(g).stems[0])
                .filter(|w| history && w.len() >= 2)
                .filter_map(|w| w.last().map(|h| vec![h.clone()]))
                .filter(|h| h[0].len() >= 4 && !is_everyday(&h[0]))
                .collect();
            // A narrower phrase shows through its head word ("temperature now" in "temperature
            // 38.6 °C", "blood transfusion" in "transfused"), weakly.
            // Not of an examination sign: "jugular venous pressure" is no blood pressure.
            let exam_sign = found
                .groups
                .iter()
                .any(|&g| matches!(lexicon.group(g).section.as_str(), "exam" | "tests"));
            if found.len >= 2 && !exam_sign {
                let head = wordings.first().and_then(|own| {
                    own.iter()
                        .rev()
                        .find(|w| !GENERIC.iter().any(|g| stem(g) == **w))
                        .cloned()
                });
                if let Some(head) = head.filter(|h| h.len() >= 4 && !is_everyday(h)) {
                    let single = vec![head];
                    if !cues.contains(&single) {
                        cues.push(single);
                    }
                }
            }
            for head in heads {
                let generic = GENERIC.iter().any(|g| stem(g) == head[0]);
                if !cues.contains(&head) && !generic {
                    cues.push(head);
                }
            }
            if !wordings.is_empty() && !generic_alone {
                concepts.push(Concept::new(wordings, cues));
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
            concepts.push(Concept::new(vec![vec![s]], Vec::new()));
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
mod tests;
