//! Reporting a test's result. The case's own entry for the ordered test is found under any
//! name (the table row's name or aliases, its CPT code, a name that resolves to the same row, a
//! study of the same modality, site and specimen, an analyte inside a listed panel, or a panel's
//! parts listed one by one); a free-text case reports only sentences that name the test. Only
//! when the case holds nothing is a result synthesised (see `unlisted`).

use super::describe::describe;
use super::items::reporting_sentences;
use super::{unlisted, LeakGuard, Report};
use crate::engine::case::{Case, CaseTest};
use crate::engine::lexicon::Lexicon;
use crate::engine::prices::{Lookup, PriceTable, PricedTest};
use crate::engine::text::{list_parts, normalize, terms};
use crate::protocol::ResultSource;
use std::sync::LazyLock;

/// The bundled list of panels and their components.
const BUNDLED_PANELS: &str = include_str!("../../../data/lexicon/panels.txt");

static PANELS: LazyLock<Lexicon> = LazyLock::new(|| {
    crate::engine::lexicon::parse(BUNDLED_PANELS).unwrap_or_else(|problems| {
        tracing::error!(?problems, "the bundled panel list is malformed");
        Lexicon::default()
    })
});

/// The components of a panel row (normalised names), if it is one.
fn components(test: &PricedTest) -> Vec<String> {
    let panels = &*PANELS;
    panels
        .groups_of(&test.name)
        .iter()
        .map(|&g| panels.group(g))
        .filter(|g| g.phrases[0] == normalize(&test.name))
        .flat_map(|g| g.phrases[1..].iter().cloned())
        .collect()
}

/// Every name a row goes by, normalised: its own, its aliases, and the clinical lexicon's
/// names for the row's own name (an alias may be broader than the row: "MPO/PR3 ANCA").
fn names_of(test: &PricedTest) -> Vec<String> {
    let lexicon = Lexicon::clinical();
    let mut names: Vec<String> = std::iter::once(&test.name)
        .chain(&test.aliases)
        .map(|n| normalize(n))
        .filter(|n| !n.is_empty())
        .collect();
    {
        let name = normalize(&test.name);
        for &g in lexicon.groups_of(&name) {
            let group = lexicon.group(g);
            if group.section != "tests" {
                continue;
            }
            for phrase in &group.phrases {
                if !names.contains(phrase) && !crate::engine::lexicon::is_everyday(phrase) {
                    names.push(phrase.clone());
                }
            }
        }
    }
    names
}

/// The panel rows that list a test among their components.
fn containing_panels<'a>(test: &PricedTest, prices: &'a PriceTable) -> Vec<&'a PricedTest> {
    let panels = &*PANELS;
    let own = normalize(&test.name);
    (0..panels.len())
        .map(|g| panels.group(g))
        .filter(|g| g.phrases[1..].contains(&own))
        .filter_map(|g| prices.exact(&g.phrases[0]))
        .collect()
}

/// True when the stems of a name occur in order in the stems of a text ("pulmonary function
/// testing" says "pulmonary function tests").
fn says(text: &[String], name: &[String]) -> bool {
    !name.is_empty() && text.windows(name.len()).any(|w| w == name)
}

/// The names of an analyte: its row's name and aliases when the table has it, else itself.
fn analyte_names(name: &str, prices: &PriceTable) -> Vec<String> {
    match prices.exact(name) {
        Some(row) => names_of(row),
        None => vec![normalize(name)],
    }
}

/// The case's entries for a row, in case order: named by the row's name or an alias, by a name
/// that resolves to that row, by its CPT code when no other row shares it (troponin I and T,
/// throat and CSF cultures are different tests under one code), or a study of the same
/// modality, site and specimen under another name. "PFTs" is the spirometry and the DLCO.
fn named(case: &Case, test: &PricedTest, prices: &PriceTable) -> Option<String> {
    let names = names_of(test);
    let same_code = |t: &CaseTest| {
        t.cpt
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&test.cpt))
    };
    // Which row a case test's own name stands for; looked up only for candidates (same code or
    // none), since a fuzzy lookup ranks the whole table.
    let resolves_here = |t: &CaseTest| match prices.lookup(&t.name) {
        Lookup::Found(row) => Some(row.name == test.name),
        Lookup::Unknown(_) => None,
    };
    let code_is_unique = prices
        .tests()
        .iter()
        .filter(|r| r.cpt.eq_ignore_ascii_case(&test.cpt))
        .count()
        == 1;
    let own = describe(&test.name);
    let study = if own.modality.is_some() {
        own
    } else {
        describe(&names.join(" ; "))
    };
    let found: Vec<&str> = case
        .tests
        .iter()
        .filter(|t| {
            if names.contains(&normalize(&t.name)) {
                return true;
            }
            // One lookup per candidate entry: it ranks the whole table.
            if t.cpt.is_none() || same_code(t) {
                let resolved = resolves_here(t);
                if resolved == Some(true)
                    || (code_is_unique && same_code(t) && resolved != Some(false))
                {
                    return true;
                }
            }
            describe(&t.name).answers(&study)
        })
        .map(|t| t.result.trim())
        .collect();
    (!found.is_empty()).then(|| found.join(" "))
}

/// Words that report a value without a number.
const VERDICT_WORDS: &[&str] = &[
    "positive",
    "negative",
    "normal",
    "elevated",
    "low",
    "high",
    "raised",
    "reduced",
    "absent",
    "present",
    "detected",
    "undetectable",
    "trace",
];

/// The parts of a report that give a value of one of `names`: the name, then a number or a word
/// that reports one.
fn parts_naming(text: &str, names: &[String]) -> Vec<String> {
    list_parts(text)
        .into_iter()
        .filter(|part| {
            let normalized = normalize(part);
            names.iter().any(|name| {
                let Some(at) = format!(" {normalized} ").find(&format!(" {name} ")) else {
                    return false;
                };
                // Short names (K, Na, Hb, Mg) open the part and are followed by their value:
                // "mg" in "BUN 17 mg/dL" is a unit, not magnesium.
                if name.len() <= 3 {
                    const LEADING: &[&str] = &[
                        "serum", "plasma", "blood", "a", "the", "total", "her", "his", "and",
                    ];
                    let words: Vec<&str> = normalized
                        .split(' ')
                        .skip_while(|w| LEADING.contains(w))
                        .collect();
                    return words.first() == Some(&name.as_str())
                        && words
                            .get(1)
                            .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
                }
                let after = &normalized[at.min(normalized.len())..];
                after.chars().any(|c| c.is_ascii_digit())
                    || after.split(' ').any(|w| VERDICT_WORDS.contains(&w))
            })
        })
        .map(|p| p.trim_end_matches('.').to_string())
        .collect()
}

/// True when a case test is a laboratory report that may hold analytes (not a study).
fn holds_analytes(t: &CaseTest, prices: &PriceTable) -> bool {
    if describe(&t.name).modality.is_some() {
        return false;
    }
    match prices.lookup(&t.name) {
        Lookup::Found(row) => row.category == "lab",
        Lookup::Unknown(_) => true,
    }
}

/// Same specimen: a serum analyte is not read from a urinalysis.
fn same_specimen(a: &str, b: &str) -> bool {
    super::describe::compatible(
        describe(a).specimen_or_blood(),
        describe(b).specimen_or_blood(),
    )
}

/// The case's results for an analyte inside a listed panel, or for a panel whose parts are
/// listed (or sit inside another panel).
fn inside(case: &Case, test: &PricedTest, prices: &PriceTable) -> Option<String> {
    let parts_of_panel = components(test);
    let wanted: Vec<String> = if parts_of_panel.is_empty() {
        names_of(test)
    } else {
        parts_of_panel
            .iter()
            .flat_map(|c| analyte_names(c, prices))
            .collect()
    };
    let mut found: Vec<String> = Vec::new();
    for t in &case.tests {
        // A component listed on its own answers a panel order whole.
        if !parts_of_panel.is_empty() && wanted.contains(&normalize(&t.name)) {
            found.push(t.result.trim_end_matches('.').to_string());
            continue;
        }
        if holds_analytes(t, prices) && same_specimen(&t.name, &test.name) {
            found.extend(parts_naming(&t.result, &wanted));
        }
    }
    (!found.is_empty()).then(|| format!("{}.", found.join("; ")))
}

/// Openings of a sentence that goes on reporting the study named before it.
const CONTINUATIONS: &[&str] = &[
    "it ",
    "this ",
    "these ",
    "there ",
    "the study",
    "the scan",
    "the culture",
    "the film",
    "the tracing",
];

/// The sentences of a free-text case that report the ordered test: those naming it (or, for a
/// panel, its parts), narrowed for a laboratory test to the parts that give its value; failing
/// that, a sentence naming a panel that contains it.
fn from_text(
    case: &Case,
    guard: &LeakGuard,
    test: &PricedTest,
    prices: &PriceTable,
) -> Option<String> {
    let reported = reporting_sentences(case, guard);
    if reported.is_empty() {
        return None;
    }
    let own: Vec<String> = names_of(test);
    let panel_parts = components(test);
    let names: Vec<String> = own
        .iter()
        .cloned()
        .chain(panel_parts.iter().flat_map(|c| analyte_names(c, prices)))
        .collect();
    if let Some(found) =
        sentences_naming(case, guard, &reported, test, &names, panel_parts.is_empty())
    {
        return Some(found);
    }
    containing_panels(test, prices)
        .into_iter()
        .find_map(|panel| sentences_naming(case, guard, &reported, panel, &names_of(panel), false))
}

fn sentences_naming(
    case: &Case,
    guard: &LeakGuard,
    reported: &[String],
    test: &PricedTest,
    names: &[String],
    narrow: bool,
) -> Option<String> {
    let study = describe(&test.name);
    let specimen = study.specimen_or_blood();
    let name_stems: Vec<Vec<String>> = names
        .iter()
        .filter(|n| n.len() > 3)
        .map(|n| terms(n))
        .collect();
    let text = case.full_text.as_deref().unwrap_or_default();
    let all = crate::engine::retrieval::sentences(text);
    let mut kept: Vec<String> = Vec::new();
    for sentence in reported {
        let stems = terms(sentence);
        let names_it = name_stems.iter().any(|n| says(&stems, n))
            || (study.modality.is_some() && describe(sentence).answers(&study));
        let values: Vec<String> = parts_naming(sentence, names)
            .into_iter()
            .filter(|p| describe(p).names_specimen(specimen))
            .collect();
        if !names_it && values.is_empty() {
            continue;
        }
        // "Urine protein-to-creatinine ratio" names creatinine, but not the serum test.
        if study.modality.is_none()
            && values.is_empty()
            && !describe(sentence).names_specimen(specimen)
        {
            continue;
        }
        if narrow && study.modality.is_none() && !values.is_empty() {
            kept.push(format!("{}.", values.join("; ")));
            continue;
        }
        kept.push(sentence.clone());
        // A following sentence that goes on about the same study.
        if let Some(next) = all
            .iter()
            .position(|s| s == sentence)
            .and_then(|i| all.get(i + 1))
        {
            let lower = next.to_lowercase();
            if names_it
                && CONTINUATIONS.iter().any(|c| lower.starts_with(c))
                && !guard.leaks(next)
                && !kept.contains(next)
            {
                kept.push(next.clone());
            }
        }
    }
    kept.dedup();
    (!kept.is_empty()).then(|| kept.join(" "))
}

/// The label a report carries: the test's name, or a neutral word when a table name itself
/// names a disease ("… (pulmonary embolism protocol)") — labelled neutrally rather than withheld.
pub(crate) fn label<'a>(guard: &LeakGuard, test: &'a PricedTest) -> &'a str {
    if guard.leaks(&test.name) {
        "Result"
    } else {
        test.name.as_str()
    }
}

/// The case's own report of a test, through the guard; `None` when the case holds nothing on
/// it.
pub(crate) fn recorded(
    case: &Case,
    guard: &LeakGuard,
    test: &PricedTest,
    prices: &PriceTable,
) -> Option<String> {
    let label = label(guard, test);
    let text = named(case, test, prices)
        .or_else(|| inside(case, test, prices))
        .or_else(|| {
            containing_panels(test, prices)
                .into_iter()
                .find_map(|panel| named(case, panel, prices))
        })
        .or_else(|| from_text(case, guard, test, prices))?;
    Some(guard.filter(format!("{label}: {text}")))
}

/// The report for one priced test, already through the guard: the case's own, else one
/// synthesised consistently with the case (see `unlisted`).
pub(super) fn report(
    case: &Case,
    guard: &LeakGuard,
    test: &PricedTest,
    prices: &PriceTable,
) -> Report {
    if let Some(text) = recorded(case, guard, test, prices) {
        return Report {
            text,
            source: ResultSource::Case,
        };
    }
    unlisted::report(case, guard, test)
}

#[cfg(test)]
mod tests;
