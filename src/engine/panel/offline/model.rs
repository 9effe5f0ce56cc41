//! The arithmetic: the posterior over diseases given what is known (naive Bayes in log space),
//! its entropy, and the expected information gain of learning a finding.

use super::knowledge::Knowledge;

/// What is known of each finding (indexed like `Knowledge::findings`).
pub type Evidence = Vec<Option<bool>>;

/// P(disease | evidence) for every disease.
pub fn posterior(kb: &Knowledge, evidence: &Evidence) -> Vec<f64> {
    let logs: Vec<f64> = kb
        .prior
        .iter()
        .zip(&kb.likelihood)
        .map(|(prior, row)| {
            evidence
                .iter()
                .zip(row)
                .fold(prior.ln(), |acc, (known, p)| match known {
                    Some(true) => acc + p.ln(),
                    Some(false) => acc + (1.0 - p).ln(),
                    None => acc,
                })
        })
        .collect();
    normalise_logs(&logs)
}

fn normalise_logs(logs: &[f64]) -> Vec<f64> {
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// Shannon entropy in bits.
pub fn entropy(p: &[f64]) -> f64 {
    p.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum()
}

/// The posterior after learning finding `f` is `present`, and how likely that outcome was.
pub fn update(kb: &Knowledge, post: &[f64], f: usize, present: bool) -> (Vec<f64>, f64) {
    let weights: Vec<f64> = post
        .iter()
        .zip(&kb.likelihood)
        .map(|(p, row)| p * if present { row[f] } else { 1.0 - row[f] })
        .collect();
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return (post.to_vec(), 0.0);
    }
    (weights.iter().map(|w| w / total).collect(), total)
}

/// The expected fall in entropy from learning finding `f`, in bits.
pub fn gain(kb: &Knowledge, post: &[f64], f: usize) -> f64 {
    let before = entropy(post);
    let (yes, p_yes) = update(kb, post, f, true);
    let (no, p_no) = update(kb, post, f, false);
    (before - p_yes * entropy(&yes) - p_no * entropy(&no)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::prices::PriceTable;

    /// Two diseases, one finding, hand-checked.
    fn tiny() -> Knowledge {
        let text = r#"
[[finding]]
id = "fever"
label = "Fever"
kind = "exam"
question = "Any fever?"
present = ["fever"]
base = 0.1

[[finding]]
id = "rash"
label = "Rash"
kind = "exam"
question = "Any rash?"
present = ["rash"]
base = 0.1

[[disease]]
id = "flu"
name = "Influenza"
specialty = "ID"
prior = 0.3
basis = "b"
[disease.findings]
fever = 0.9
rash = 0.1

[[disease]]
id = "cold"
name = "Common cold"
specialty = "ID"
prior = 0.1
basis = "b"
[disease.findings]
fever = 0.2
rash = 0.1
"#;
        Knowledge::parse(
            &[("t.toml".into(), text.to_string())],
            &PriceTable::bundled(),
        )
        .unwrap()
    }

    #[test]
    fn the_posterior_follows_bayes_rule() {
        let kb = tiny();
        assert!((posterior(&kb, &vec![None, None])[0] - 0.75).abs() < 1e-12);
        // Fever: 0.75×0.9 = 0.675 against 0.25×0.2 = 0.05 → 0.675/0.725.
        let p = posterior(&kb, &vec![Some(true), None]);
        assert!((p[0] - 0.675 / 0.725).abs() < 1e-12);
        // No fever: 0.75×0.1 = 0.075 against 0.25×0.8 = 0.2 → the cold leads.
        let p = posterior(&kb, &vec![Some(false), None]);
        assert!((p[1] - 0.2 / 0.275).abs() < 1e-12);
    }

    #[test]
    fn information_gain_prefers_the_finding_that_separates() {
        let kb = tiny();
        let post = posterior(&kb, &vec![None, None]);
        let fever = gain(&kb, &post, 0);
        let rash = gain(&kb, &post, 1);
        assert!(fever > 0.1, "{fever}");
        assert!(
            rash.abs() < 1e-12,
            "a finding equally likely in both tells nothing: {rash}"
        );
        assert!((entropy(&[0.5, 0.5]) - 1.0).abs() < 1e-12);
    }
}
