//! Scoring a finding against a question: which words of the question count, how a finding's
//! words meet them, and the score that decides and ranks.

use crate::engine::case::Finding;
use crate::engine::text::{contains_phrase, normalize, stem, terms};

/// Verbs of an examination request: they say where to look, not what to look for.
const REQUEST_VERBS: &[&str] = &[
    "examine",
    "examination",
    "exam",
    "listen",
    "auscultate",
    "palpate",
    "inspect",
    "percuss",
    "look",
    "check",
    "measure",
    "assess",
    "perform",
];

/// Words that set a question's frame but never identify a finding alone ("Any urinary
/// symptoms?" is about urine, not about the finding titled "Leg symptoms").
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
    "change",
    "changes",
    "thing",
    "things",
    "anything",
    "something",
    "make",
    "makes",
    "made",
    "feel",
    "feeling",
];

/// The meaningful terms of a question, each marked generic or not.
pub(super) struct Asked {
    terms: Vec<(String, bool)>,
}

impl Asked {
    pub(super) fn new(question: &str) -> Self {
        let verbs: Vec<String> = REQUEST_VERBS.iter().map(|v| stem(v)).collect();
        let generic: Vec<String> = GENERIC.iter().map(|g| stem(g)).collect();
        let terms = terms(question)
            .into_iter()
            .filter(|t| !verbs.contains(t))
            .map(|t| {
                let g = generic.contains(&t);
                (t, g)
            })
            .collect();
        Self { terms }
    }

    pub(super) fn specific(&self) -> impl Iterator<Item = &String> {
        self.terms.iter().filter(|(_, g)| !g).map(|(t, _)| t)
    }
}

/// How a term of the question meets a finding's words: 1 equal, 0.7 nearly equal, 0 not.
pub(super) fn closeness(term: &str, words: &[String]) -> f64 {
    words
        .iter()
        .map(|t| {
            if t == term {
                1.0
            } else if term.len() >= 5 && strsim::jaro_winkler(t, term) >= 0.92 {
                0.7
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max)
}

/// A finding's words, by how much they say about it.
pub(super) struct Described {
    /// The topic's terms.
    topic: Vec<String>,
    /// Terms of single-word keywords, and of phrases the question holds whole.
    full: Vec<String>,
    /// Terms of phrases the question does not hold whole: "pressure" of "blood pressure" says
    /// little about a question on jugular venous pressure.
    partial: Vec<String>,
    /// How many keyword phrases the question holds whole.
    phrases: usize,
}

impl Described {
    pub(super) fn new(question: &str, finding: &Finding) -> Self {
        let mut out = Self {
            topic: terms(&finding.topic),
            full: Vec::new(),
            partial: Vec::new(),
            phrases: 0,
        };
        for keyword in &finding.keywords {
            let keyword = normalize(keyword);
            if !keyword.contains(' ') {
                out.full.extend(terms(&keyword));
            } else if contains_phrase(question, &keyword) {
                out.phrases += 1;
                out.full.extend(terms(&keyword));
            } else {
                out.partial.extend(terms(&keyword));
            }
        }
        out.full.extend(out.topic.iter().cloned());
        out
    }

    /// How well one term of the question meets the finding: plainly, and for ranking (where a
    /// word of a phrase the question does not hold counts half).
    fn meets(&self, term: &str) -> (f64, f64) {
        let full = closeness(term, &self.full);
        let partial = closeness(term, &self.partial);
        (full.max(partial), full.max(0.5 * partial))
    }

    pub(super) fn mentions(&self, term: &str) -> bool {
        self.meets(term).0 > 0.0
    }
}

/// How well a finding answers a question: `None` when it does not, else its plain score (to
/// hold against the threshold) and the score to rank by.
/// Keyword phrases found whole count most, then shared terms, a term weighted by how rare it is
/// among the case's findings (`rarity`) and more when the topic names it. Generic words count
/// only beside a specific match, and a question of three or more specific terms must meet at
/// least half of them (or a whole phrase).
pub(super) fn score(
    asked: &Asked,
    described: &Described,
    rarity: &dyn Fn(&str) -> f64,
) -> Option<(f64, f64)> {
    let phrases = 2.0 * described.phrases as f64;
    let mut raw = phrases;
    let mut ranked = phrases;
    let mut specific_met = 0;
    let mut generic = (0.0, 0.0);
    for (term, is_generic) in &asked.terms {
        let (met, met_ranked) = described.meets(term);
        if met == 0.0 {
            continue;
        }
        let topic = if closeness(term, &described.topic) > 0.0 {
            1.25
        } else {
            1.0
        };
        let weighted = met_ranked * topic * rarity(term);
        if *is_generic {
            generic.0 += met;
            generic.1 += weighted;
        } else {
            specific_met += 1;
            raw += met;
            ranked += weighted;
        }
    }
    if specific_met == 0 && described.phrases == 0 {
        return None;
    }
    let specific_asked = asked.specific().count();
    if described.phrases == 0 && specific_asked >= 3 && specific_met * 2 < specific_asked {
        return None;
    }
    raw += generic.0;
    ranked += generic.1;
    Some((raw, ranked))
}
