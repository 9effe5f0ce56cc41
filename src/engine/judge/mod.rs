//! The judge: scores a given diagnosis against the case's on a 1–5 scale with a one-line
//! rationale. 5: the diagnosis or another name for it (abbreviation, eponym, older or lay name,
//! the knowledge base's synonyms), with at most extra detail the case supports; 4: its whole name
//! covered with other additions, or a near-identical spelling; 3: the same disease family, or the
//! same disease with a qualifier that makes it another (secondary for primary, another organism,
//! another site); 2: the same organ system; 1: otherwise. A placeholder, a question or a list of
//! several diseases is not a diagnosis and is never scored correct.

pub mod llm;
mod names;
mod read;
mod subtypes;
mod systems;

use super::case::Case;
use super::text::{contains_phrase, normalize, stem, terms};
use names::{
    groups_of, opposed, organisms, read_name, readings, same_word, soft, stands_for, Name,
};
use read::{read, Given};
use std::collections::HashSet;
pub use systems::system_of;

/// A score and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// 1–5.
    pub score: u8,
    /// One line.
    pub rationale: String,
    /// Which judge decided, for people ("the offline judge", "the language-model judge …").
    pub by: String,
}

/// True when `given` names one diagnosis: not a placeholder ("No diagnosis reached"), a
/// question ("Could this be X?") or a list of several diseases.
pub fn names_one_diagnosis(given: &str) -> bool {
    matches!(read(given), Given::One(_))
}

/// How the offline judge signs its judgements.
pub const OFFLINE_JUDGE: &str = "the offline judge";

impl Judgement {
    /// A judgement of the offline judge.
    pub fn offline(score: u8, rationale: String) -> Self {
        Self {
            score,
            rationale,
            by: OFFLINE_JUDGE.into(),
        }
    }

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
    ) -> Result<Option<Judgement>, super::EngineError>;
}

/// The offline judge: names, synonyms, spelling distance, family words and an organ-system
/// lexicon.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineJudge;

/// The case's own names of its diagnosis, and the lexicon's names for the same disease.
fn own_names(case: &Case) -> Vec<String> {
    let mut names = case.diagnosis_names();
    let lexicon = super::lexicon::Lexicon::diagnoses();
    for name in names.clone() {
        for g in groups_of(&name) {
            for phrase in &lexicon.group(g).phrases {
                // "cushing's" names two diseases: it identifies neither.
                if !names.contains(phrase) && groups_of(phrase).len() == 1 {
                    names.push(phrase.clone());
                }
            }
        }
    }
    names
}

/// The word sets of two names agree (any order, filler aside).
fn same_words(a: &str, b: &str) -> bool {
    let mut x = read_name(a).stems;
    let mut y = read_name(b).stems;
    x.sort();
    y.sort();
    !x.is_empty() && x == y
}

/// Every word the case says (findings, results, text, teaching points), as stems.
fn case_words(case: &Case) -> HashSet<String> {
    let mut text = vec![case.summary.clone()];
    text.extend(
        case.history
            .iter()
            .chain(&case.exam)
            .map(|f| f.answer.clone()),
    );
    text.extend(
        case.tests
            .iter()
            .map(|t| format!("{} {}", t.name, t.result)),
    );
    text.extend(case.full_text.iter().cloned());
    text.extend(case.teaching_points.iter().cloned());
    text.iter().flat_map(|t| terms(t)).collect()
}

/// True when the case says what an extra word of the diagnosis adds (the word itself, or every
/// word of another name for it: "RCA" for "right coronary artery").
fn supported(word: &str, said: &HashSet<String>) -> bool {
    if said.contains(word) {
        return true;
    }
    [
        super::lexicon::Lexicon::clinical(),
        super::lexicon::Lexicon::diagnoses(),
    ]
    .iter()
    .any(|lexicon| {
        lexicon.groups_of(word).iter().any(|&g| {
            lexicon
                .group(g)
                .stems
                .iter()
                .any(|stems| !stems.is_empty() && stems.iter().all(|s| said.contains(s)))
        })
    })
}

/// How one reading of the given diagnosis meets one reading of the true one.
enum Meeting {
    /// Nothing in common worth a score here.
    Apart,
    /// The same name.
    Same,
    /// The same name, misspelt.
    Misspelt,
    /// The whole true name, with extra words (supported by the case, or not).
    Covers { extras: Vec<String> },
    /// The whole true name, with a qualifier that makes another disease.
    Opposed(String),
}

fn meet(given: &Name, truth: &Name) -> Meeting {
    let covered = truth
        .stems
        .iter()
        .all(|t| soft(t) || given.stems.iter().any(|g| stands_for(g, t)));
    if !covered || truth.stems.iter().all(|t| soft(t)) {
        return Meeting::Apart;
    }
    if let Some(why) = opposed(&given.text, &truth.text) {
        return Meeting::Opposed(why);
    }
    let (g_org, t_org) = (organisms(&given.text), organisms(&truth.text));
    if !g_org.is_empty()
        && !t_org.is_empty()
        && !g_org
            .iter()
            .any(|o| t_org.iter().any(|t| names::same_organism(*o, *t)))
    {
        return Meeting::Opposed("another organism".into());
    }
    let extras: Vec<String> = given
        .stems
        .iter()
        .filter(|g| !truth.stems.iter().any(|t| stands_for(g, t)))
        .cloned()
        .collect();
    let misspelt = truth
        .stems
        .iter()
        .any(|t| !given.stems.contains(t) && !soft(t));
    if extras.is_empty() && misspelt {
        Meeting::Misspelt
    } else if extras.is_empty() {
        Meeting::Same
    } else {
        Meeting::Covers { extras }
    }
}

impl OfflineJudge {
    /// The judgement of `given` for `case` (never fails: everything is local).
    pub fn judge(&self, case: &Case, given: &str) -> Option<Judgement> {
        let truth = case.diagnosis.as_deref()?;
        let verdict = |score: u8, rationale: String| Some(Judgement::offline(score, rationale));
        match read(given) {
            Given::Placeholder => verdict(1, "No diagnosis was given.".into()),
            Given::Question(inner) => {
                let j = self.one(case, truth, &inner);
                let (score, about) = if j.score >= 4 {
                    (
                        3,
                        " It asks about the right disease, but a question commits to nothing.",
                    )
                } else {
                    (j.score.min(3), "")
                };
                verdict(
                    score,
                    format!(
                        "\"{}\" is a question, not a diagnosis.{about}",
                        given.trim()
                    ),
                )
            }
            Given::List(parts) => {
                let scored: Vec<(Judgement, &String)> = parts
                    .iter()
                    .map(|p| (self.one(case, truth, p), p))
                    .collect();
                if scored.iter().all(|(j, _)| j.correct()) {
                    let (best, _) = scored.into_iter().max_by_key(|(j, _)| j.score)?;
                    return Some(best);
                }
                let (best, part) = scored.into_iter().max_by_key(|(j, _)| j.score)?;
                let (score, about) = if best.correct() {
                    (
                        3,
                        format!(" It includes the diagnosis ({part}), among others."),
                    )
                } else {
                    (best.score.min(3), String::new())
                };
                verdict(
                    score,
                    format!(
                        "\"{}\" lists {} diseases: a list is not a diagnosis.{about}",
                        given.trim(),
                        parts.len()
                    ),
                )
            }
            Given::One(text) => Some(self.one(case, truth, &text)),
        }
    }

    /// The judgement of one named diagnosis.
    fn one(&self, case: &Case, truth: &str, given: &str) -> Judgement {
        let verdict = Judgement::offline;
        let given_n = normalize(given);
        if given_n.is_empty() {
            return verdict(1, "No diagnosis was given.".into());
        }
        let names = own_names(case);
        let given_groups = groups_of(&given_n);
        // Every reading of the true names ("acute exacerbation of COPD" for "… of chronic
        // obstructive pulmonary disease") and the lexicon entries they are whole names of.
        let truth_texts: Vec<String> = names.iter().flat_map(|n| readings(n)).collect();
        let truth_groups: Vec<usize> = truth_texts.iter().flat_map(|n| groups_of(n)).collect();
        let unopposed = |name: &str| {
            case.diagnosis_names()
                .iter()
                .all(|own| opposed(name, own).is_none())
        };
        if names.contains(&given_n) || given_groups.iter().any(|g| truth_groups.contains(g)) {
            return verdict(
                5,
                format!("\"{given}\" is the diagnosis ({truth}) or another name for it."),
            );
        }
        // The knowledge base's names count only whole, and never for a name the lexicon knows
        // as another disease: they may be broader than the case's ("venous thromboembolism"
        // among the names of pulmonary embolism).
        let own_for_kb = case.diagnosis_names();
        let another_known = !given_groups.is_empty();
        if !another_known
            && super::gatekeeper::unlisted::knowledge_names(&own_for_kb)
                .iter()
                .any(|n| (*n == given_n || same_words(n, &given_n)) && unopposed(&given_n))
        {
            return verdict(
                5,
                format!("\"{given}\" is another name for the diagnosis ({truth})."),
            );
        }
        let head = read::head_of(&given_n);
        let head_groups = groups_of(&head);
        let given_all: Vec<usize> = given_groups.iter().chain(&head_groups).copied().collect();
        if let Some(j) = subtypes::by_form(case, truth, given, &given_all, &names, &truth_texts) {
            return j;
        }
        // A given diagnosis that names another disease the lexicon knows, and none of the
        // true disease's names, is another disease however alike the words ("Cushing syndrome"
        // and "Cushing disease", "non-Hodgkin lymphoma" and "Hodgkin lymphoma").
        // Only the head of the given diagnosis counts here, not what it adds after "with" or
        // "due to"; and a name the true diagnosis itself contains ("AAA" in "ruptured AAA") is
        // no other disease.
        let lexicon = super::lexicon::Lexicon::diagnoses();
        let truth_spans: Vec<usize> = truth_texts
            .iter()
            .flat_map(|n| lexicon.find(n))
            .flat_map(|f| f.groups)
            .chain(truth_groups.iter().copied())
            .collect();
        let head_words: Vec<&str> = head.split(' ').collect();
        let given_spans: Vec<(String, Vec<usize>)> = lexicon
            .find(&head)
            .into_iter()
            .map(|f| (head_words[f.start..f.start + f.len].join(" "), f.groups))
            .filter(|(_, g)| g.iter().all(|&i| lexicon.group(i).section != "organisms"))
            .collect();
        // An entry the true diagnosis contains by one of its unambiguous names ("acute kidney
        // injury" in "acute kidney injury due to rhabdomyolysis") is part of it, not another.
        let within_truth = |g: usize| {
            lexicon.group(g).phrases.iter().any(|p| {
                groups_of(p).len() == 1 && truth_texts.iter().any(|t| contains_phrase(t, p))
            })
        };
        let names_truth = given_spans
            .iter()
            .filter(|(_, g)| g.len() == 1)
            .any(|(_, g)| g.iter().any(|i| truth_spans.contains(i)));
        let names_another = given_spans.iter().any(|(phrase, g)| {
            g.len() == 1
                && !g.iter().any(|i| truth_spans.contains(i))
                && !truth_texts.iter().any(|t| contains_phrase(t, phrase))
        });
        let head_apart = !head_groups.is_empty()
            && !head_groups
                .iter()
                .any(|g| truth_groups.contains(g) || within_truth(*g));
        // A head that holds one of the true disease's own names as words ("euglycemic DKA") is
        // that disease with a qualifier, judged below; "EGPA" holds no "GPA".
        let holds_truth = names
            .iter()
            .any(|n| groups_of(n).len() <= 1 && contains_phrase(&head, n));
        let known_apart = !holds_truth
            && (head_apart || (names_another && !names_truth))
            && !truth_spans.is_empty();
        let said = case_words(case);
        let given_readings: Vec<Name> = readings(&given_n).iter().map(|r| read_name(r)).collect();
        let truth_readings: Vec<Name> = names
            .iter()
            .flat_map(|n| readings(n))
            .map(|r| read_name(&r))
            .collect();
        let own = case.diagnosis_names();
        let mut best: Option<Judgement> = None;
        let mut keep = |j: Judgement| {
            if best.as_ref().is_none_or(|b| j.score > b.score) {
                best = Some(j);
            }
        };
        for g in &given_readings {
            for t in &truth_readings {
                match meet(g, t) {
                    Meeting::Apart => {}
                    Meeting::Same if !known_apart => keep(verdict(
                        5,
                        format!("\"{given}\" is the diagnosis ({truth}) or another name for it."),
                    )),
                    Meeting::Same => {}
                    Meeting::Misspelt if !known_apart => keep(verdict(
                        4,
                        format!("\"{given}\" is a near-identical spelling of {truth}."),
                    )),
                    Meeting::Misspelt => {}
                    Meeting::Covers { .. } if known_apart => {}
                    // A one-word name ("lupus" among the names of SLE) is too broad to be
                    // covered: "discoid lupus" is not SLE.
                    Meeting::Covers { .. } if t.stems.len() < 2 && !own.contains(&t.text) => {}
                    Meeting::Covers { extras } => {
                        if extras.iter().all(|w| supported(w, &said)) {
                            keep(verdict(5, format!("\"{given}\" is the diagnosis ({truth}), with detail the case supports.")));
                        } else {
                            keep(verdict(4, format!("\"{given}\" covers the whole diagnosis ({truth}), with additions.")));
                        }
                    }
                    Meeting::Opposed(why) => keep(verdict(
                        3,
                        format!("\"{given}\" names the disease with a qualifier that makes it another ({why}); the diagnosis is {truth}."),
                    )),
                }
            }
        }
        // A reading of the true disease that the given one contradicts (another organism than
        // "EBV mononucleosis" implies) makes it another disease, whatever the other readings.
        let contradicted = given_readings.iter().find_map(|g| {
            truth_readings.iter().find_map(|t| match meet(g, t) {
                Meeting::Opposed(why) => Some(why),
                _ => None,
            })
        });
        if let (Some(why), Some(b)) = (&contradicted, &best) {
            if b.score > 3 {
                return verdict(
                    3,
                    format!("\"{given}\" names the disease with a qualifier that makes it another ({why}); the diagnosis is {truth}."),
                );
            }
        }
        // A stated cause ("IgG4-related", "drug-induced") makes another disease of a primary or
        // idiopathic one.
        let primary = truth_texts
            .iter()
            .any(|t| t.split(' ').any(|w| matches!(w, "primary" | "idiopathic")));
        let cause = given_n.split(' ').find(|w| {
            names::CAUSES.contains(w) && !truth_texts.iter().any(|t| t.split(' ').any(|x| x == *w))
        });
        if let (true, Some(word), Some(b)) = (primary, cause, &best) {
            if b.score > 3 {
                return verdict(
                    3,
                    format!("\"{given}\" states a cause (\"{word}\") where the diagnosis is primary ({truth})."),
                );
            }
        }
        if let Some(found) = best.filter(|b| b.score >= 4 || b.score == 3) {
            return found;
        }
        if !known_apart {
            for name in &names {
                let similarity = strsim::normalized_levenshtein(&given_n, name);
                let conflict = opposed(&given_n, name).is_some() || {
                    let (g, t) = (organisms(&given_n), organisms(name));
                    !g.is_empty()
                        && !t.is_empty()
                        && !g
                            .iter()
                            .any(|o| t.iter().any(|x| names::same_organism(*o, *x)))
                };
                if similarity >= 0.85 && name.len() >= 6 && !conflict {
                    return verdict(
                        4,
                        format!("\"{given}\" is a near-identical spelling of {truth}."),
                    );
                }
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
        // The same head noun ("… pneumonia", "… leukemia") is the same family of disease.
        let head = |n: &Name| n.stems.last().cloned();
        let given_head = head(&read_name(&given_n));
        if given_head.as_ref().is_some_and(|h| {
            truth_readings
                .iter()
                .any(|t| head(t).is_some_and(|th| same_word(&th, h)))
        }) {
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

/// True when every significant word of `name` is in `given` (by stem).
fn covers(given: &str, name: &str) -> bool {
    let given: Vec<String> = normalize(given).split(' ').map(stem).collect();
    let name = read_name(name).stems;
    !name.is_empty() && name.iter().all(|w| given.iter().any(|g| same_word(g, w)))
}

#[async_trait::async_trait]
impl Judge for OfflineJudge {
    async fn judge(
        &self,
        case: &Case,
        given: &str,
    ) -> Result<Option<Judgement>, super::EngineError> {
        Ok(OfflineJudge::judge(self, case, given))
    }
}

#[cfg(test)]
mod tests;
