//! Narrower and broader forms of the true disease (`data/lexicon/subtypes.txt`): "acute
//! promyelocytic leukemia" for acute myeloid leukemia is the diagnosis with detail; "AML" for
//! acute promyelocytic leukemia names the family, not the disease.

use super::names::groups_of;
use super::{case_words, supported, Judgement};
use crate::engine::case::Case;
use crate::engine::lexicon::Lexicon;
use crate::engine::text::{normalize, terms};

/// The judgement of `given` when one of its lexicon entries (`given_groups`, whole or head) is
/// a narrower or broader form of the true disease as named (`names`, not widened by readings:
/// "Cushing disease" is not "Cushing's", whose syndrome has other forms); none otherwise.
pub(super) fn by_form(
    case: &Case,
    truth: &str,
    given: &str,
    given_groups: &[usize],
    names: &[String],
    truth_texts: &[String],
) -> Option<Judgement> {
    let subtypes = Lexicon::subtypes();
    let truth_exact: Vec<usize> = names.iter().flat_map(|n| groups_of(n)).collect();
    let related = |narrower_is_given: bool| {
        given_groups.iter().any(|&g| {
            truth_exact.iter().any(|&t| {
                if narrower_is_given {
                    subtypes.is_narrower(g, t)
                } else {
                    subtypes.is_narrower(t, g)
                }
            })
        })
    };
    if related(true) {
        let said = case_words(case);
        let truth_stems: Vec<String> = truth_texts.iter().flat_map(|t| terms(t)).collect();
        let supported_detail = terms(&normalize(given))
            .iter()
            .filter(|w| !truth_stems.contains(w))
            .all(|w| supported(w, &said));
        return Some(if supported_detail {
            Judgement::offline(
                5,
                format!("\"{given}\" is a form of the diagnosis ({truth}) that the case supports."),
            )
        } else {
            Judgement::offline(
                4,
                format!("\"{given}\" is a more specific form of the diagnosis ({truth})."),
            )
        });
    }
    related(false).then(|| {
        Judgement::offline(
            3,
            format!(
                "\"{given}\" is broader than the diagnosis ({truth}): it names the disease family, not the disease."
            ),
        )
    })
}
