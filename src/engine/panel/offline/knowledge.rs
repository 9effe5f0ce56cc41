//! The knowledge base of the offline panel (`data/knowledge/`, compiled in): findings, and
//! diseases with a prior and the probability of each finding. Checked whole on load — every
//! reference resolves, every test is priced, every number is in range.

use crate::engine::prices::PriceTable;
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

static KNOWLEDGE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data/knowledge");

/// Where a finding shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The patient tells it.
    History,
    /// The examination finds it.
    Exam,
    /// A test result shows it.
    Test,
}

/// Which way a numeric reading counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Present above the limit.
    High,
    /// Present below the limit.
    Low,
}

/// One finding, as written in the files.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Unique id.
    pub id: String,
    /// Shown in the panel's reasoning.
    pub label: String,
    /// Where it shows.
    pub kind: Kind,
    /// How the panel asks about it (history and exam).
    #[serde(default)]
    pub question: Option<String>,
    /// Phrases meaning present.
    #[serde(default)]
    pub present: Vec<String>,
    /// Phrases meaning absent.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Names written before a numeric value.
    #[serde(default)]
    pub analyte: Vec<String>,
    /// Which way the value counts.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// The cut-off (default: the reference range in the text).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// A multiple of the upper reference limit.
    #[serde(default)]
    pub times: Option<f64>,
    /// The test that reveals it (exact price-table name).
    #[serde(default)]
    pub test: Option<String>,
    /// P(present) in a patient with none of the diseases that list it.
    pub base: f64,
}

/// One disease, as written in the files.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disease {
    /// Unique id.
    pub id: String,
    /// The diagnosis as given.
    pub name: String,
    /// Other names.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// The specialty.
    pub specialty: String,
    /// Relative frequency (a weight).
    pub prior: f64,
    /// Where the numbers come from.
    pub basis: String,
    /// P(finding present | disease), by finding id.
    pub findings: BTreeMap<String, f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    finding: Vec<Finding>,
    #[serde(default)]
    disease: Vec<Disease>,
}

/// The loaded, checked knowledge base with its likelihood table.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// Every finding.
    pub findings: Vec<Finding>,
    /// Every disease.
    pub diseases: Vec<Disease>,
    /// `likelihood[d][f]` = P(finding f present | disease d), clamped to 0.01–0.99.
    pub likelihood: Vec<Vec<f64>>,
    /// Priors normalised to sum to 1.
    pub prior: Vec<f64>,
}

/// The lowest and highest probability a finding may have in a disease.
pub const CLAMP: (f64, f64) = (0.01, 0.99);

impl Knowledge {
    /// The bundled knowledge base, checked against the bundled price table.
    pub fn bundled(prices: &PriceTable) -> Result<Knowledge, Vec<String>> {
        fn walk(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
            for file in dir.files() {
                if file.path().extension().is_some_and(|e| e == "toml") {
                    out.push((
                        file.path().display().to_string(),
                        String::from_utf8_lossy(file.contents()).into_owned(),
                    ));
                }
            }
            for sub in dir.dirs() {
                walk(sub, out);
            }
        }
        let mut files = Vec::new();
        walk(&KNOWLEDGE, &mut files);
        files.sort();
        Knowledge::parse(&files, prices)
    }

    /// Reads and checks files given as (name, text); every problem is named.
    pub fn parse(
        files: &[(String, String)],
        prices: &PriceTable,
    ) -> Result<Knowledge, Vec<String>> {
        let mut problems = Vec::new();
        let mut findings: Vec<Finding> = Vec::new();
        let mut diseases: Vec<Disease> = Vec::new();
        for (name, text) in files {
            match toml::from_str::<File>(text) {
                Ok(file) => {
                    findings.extend(file.finding);
                    diseases.extend(file.disease);
                }
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            let at = format!("finding {:?}", f.id);
            if f.id.is_empty() || index.insert(f.id.as_str(), i).is_some() {
                problems.push(format!("{at}: missing or duplicate id"));
            }
            if matches!(f.kind, Kind::History | Kind::Exam) && f.question.is_none() {
                problems.push(format!("{at}: a history or exam finding needs a question"));
            }
            if f.kind == Kind::Test {
                match f.test.as_deref() {
                    Some(test) if prices.exact(test).is_some_and(|t| t.name == test) => {}
                    other => problems.push(format!(
                        "{at}: test {other:?} is not a name in the price table"
                    )),
                }
            }
            if f.present.is_empty() && f.analyte.is_empty() {
                problems.push(format!("{at}: needs present phrases or an analyte"));
            }
            if !f.analyte.is_empty() && f.direction.is_none() {
                problems.push(format!("{at}: an analyte needs a direction"));
            }
            if !(0.001..=0.9).contains(&f.base) {
                problems.push(format!("{at}: base must be in 0.001–0.9"));
            }
        }
        let mut seen = HashMap::new();
        for d in &diseases {
            let at = format!("disease {:?}", d.id);
            if d.id.is_empty() || seen.insert(d.id.as_str(), ()).is_some() {
                problems.push(format!("{at}: missing or duplicate id"));
            }
            if !(d.prior > 0.0 && d.prior <= 1.0) {
                problems.push(format!("{at}: prior must be in (0, 1]"));
            }
            for (id, p) in &d.findings {
                if !index.contains_key(id.as_str()) {
                    problems.push(format!("{at}: unknown finding {id:?}"));
                }
                if !(CLAMP.0..=CLAMP.1).contains(p) {
                    problems.push(format!(
                        "{at}: finding {id:?} probability must be in 0.01–0.99"
                    ));
                }
            }
        }
        if diseases.is_empty() {
            problems.push("no diseases".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let likelihood = diseases
            .iter()
            .map(|d| {
                findings
                    .iter()
                    .map(|f| {
                        d.findings
                            .get(&f.id)
                            .copied()
                            .unwrap_or(f.base)
                            .clamp(CLAMP.0, CLAMP.1)
                    })
                    .collect()
            })
            .collect();
        let total: f64 = diseases.iter().map(|d| d.prior).sum();
        let prior = diseases.iter().map(|d| d.prior / total).collect();
        Ok(Knowledge {
            findings,
            diseases,
            likelihood,
            prior,
        })
    }

    /// The index of the finding `id`.
    pub fn finding(&self, id: &str) -> Option<usize> {
        self.findings.iter().position(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Vec<(String, String)> {
        vec![("test.toml".to_string(), text.to_string())]
    }

    #[test]
    fn the_bundled_knowledge_base_loads_whole() {
        let prices = PriceTable::bundled();
        let kb = Knowledge::bundled(&prices).unwrap_or_else(|p| panic!("{}", p.join("\n")));
        assert!(kb.diseases.len() >= 80, "{} diseases", kb.diseases.len());
        assert!((kb.prior.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        for d in &kb.diseases {
            assert!(d.findings.len() >= 6, "{} lists too few findings", d.id);
        }
    }

    #[test]
    fn every_problem_is_named() {
        let prices = PriceTable::bundled();
        let problems = Knowledge::parse(
            &file(
                r#"
[[finding]]
id = "fever"
label = "Fever"
kind = "exam"
present = ["fever"]
base = 0.1

[[finding]]
id = "scan"
label = "Scan"
kind = "test"
test = "Quantum scan"
present = ["x"]
base = 2.0

[[disease]]
id = "flu"
name = "Influenza"
specialty = "ID"
prior = 0.1
basis = "b"
[disease.findings]
fever = 1.5
cough = 0.5
"#,
            ),
            &prices,
        )
        .unwrap_err()
        .join("\n");
        for expected in [
            "\"fever\": a history or exam finding needs a question",
            "\"scan\": test Some(\"Quantum scan\") is not a name",
            "\"scan\": base must be",
            "unknown finding \"cough\"",
            "finding \"fever\" probability must be",
        ] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
        assert!(Knowledge::parse(&file("[[disease]]\nid = 3"), &prices).is_err());
    }
}
