//! A clinical case: the abstract shown at the start, the findings the gatekeeper may reveal,
//! and the answer key (diagnosis, synonyms, teaching points) it must never reveal.

use super::text::normalize;
use serde::{Deserialize, Serialize};

/// How hard a case is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    /// A classic presentation.
    Easy,
    /// Needs a focused work-up.
    Medium,
    /// Atypical or rare.
    Hard,
    /// Not rated (imported cases).
    #[default]
    Unrated,
}

impl Difficulty {
    /// The spelling used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
            Difficulty::Unrated => "unrated",
        }
    }
}

/// One thing the patient can tell, or the examiner can find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about.
    pub topic: String,
    /// Words a question on the topic would use.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The answer.
    pub answer: String,
}

/// A test result the case holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTest {
    /// The test's usual name.
    pub name: String,
    /// Its CPT code, when one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpt: Option<String>,
    /// The report.
    pub result: String,
}

/// A case in the native format (imported free-text cases carry `full_text` instead of findings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Lower-case slug.
    pub id: String,
    /// Short title; never names the diagnosis.
    pub title: String,
    /// Medical specialty.
    #[serde(default)]
    pub specialty: String,
    /// How hard it is.
    #[serde(default)]
    pub difficulty: Difficulty,
    /// The case a socket opens when none is named.
    #[serde(default)]
    pub default: bool,
    /// The abstract shown at the start.
    pub summary: String,
    /// What the patient can tell.
    #[serde(default)]
    pub history: Vec<Finding>,
    /// What the examination finds.
    #[serde(default)]
    pub exam: Vec<Finding>,
    /// Test results the case holds.
    #[serde(default)]
    pub tests: Vec<CaseTest>,
    /// The whole case text of an imported free-text case (answers come from its sentences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_text: Option<String>,
    /// The true diagnosis; without one the case cannot be judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    /// Other accepted names of the diagnosis.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Words naming the disease family.
    #[serde(default)]
    pub family_terms: Vec<String>,
    /// The organ system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Shown with the verdict only.
    #[serde(default)]
    pub teaching_points: Vec<String>,
}

impl Case {
    /// Says everything wrong with the case, or nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.id.is_empty()
            || self.id.len() > 80
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            problems.push(format!(
                "id {:?} must be 1–80 characters of a-z, 0-9, - and _",
                self.id
            ));
        }
        if self.title.trim().is_empty() {
            problems.push("title is empty".into());
        }
        if self.summary.trim().is_empty() {
            problems.push("summary is empty".into());
        }
        let has_findings =
            !self.history.is_empty() || !self.exam.is_empty() || !self.tests.is_empty();
        let has_text = self
            .full_text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty());
        if !has_findings && !has_text {
            problems
                .push("the case has neither findings (history, exam, tests) nor full_text".into());
        }
        for (i, f) in self.history.iter().chain(&self.exam).enumerate() {
            if f.answer.trim().is_empty() {
                problems.push(format!(
                    "finding {} ({:?}) has an empty answer",
                    i + 1,
                    f.topic
                ));
            }
        }
        for t in &self.tests {
            if t.name.trim().is_empty() || t.result.trim().is_empty() {
                problems.push(format!("test {:?} needs a name and a result", t.name));
            }
            if let Some(cpt) = &t.cpt {
                if !valid_cpt(cpt) {
                    problems.push(format!(
                        "test {:?} has a malformed CPT code {cpt:?}",
                        t.name
                    ));
                }
            }
        }
        if let Some(d) = &self.diagnosis {
            if normalize(d).is_empty() {
                problems.push("diagnosis is empty".into());
            }
        }
        problems
    }

    /// Every name the diagnosis goes by (normalised, non-empty).
    pub fn diagnosis_names(&self) -> Vec<String> {
        self.diagnosis
            .iter()
            .chain(&self.synonyms)
            .map(|n| normalize(n))
            .filter(|n| !n.is_empty())
            .collect()
    }
}

/// Five characters: four digits and a digit or capital letter (CPT Category I/II/III, HCPCS-like).
pub fn valid_cpt(code: &str) -> bool {
    code.len() == 5
        && code
            .chars()
            .take(4)
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && code.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_named() {
        let case: Case = serde_json::from_str(
            r#"{"id":"Bad Id","title":"","summary":"s","tests":[{"name":"x","cpt":"12","result":"r"}]}"#,
        )
        .unwrap();
        let problems = case.problems();
        assert!(problems.iter().any(|p| p.contains("id")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("title")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("CPT")), "{problems:?}");
    }
}
