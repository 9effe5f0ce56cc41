//! Reading cases from files: the native format and the original project's three formats. All
//! or nothing: every bad file or record is named, and nothing is returned unless all are good.
//!
//! Accepted at PATH:
//! - a native case file (`{id, title, summary, history, …}`) or a JSON list of them;
//! - a JSON list of `{id, summary, full_text, diagnosis?, synonyms?}`;
//! - a JSON file `{id, summary, steps: [{id, text}], diagnosis?, synonyms?}`;
//! - a directory holding any of the above `.json` files, and directories with `summary.txt` and
//!   `full.txt` (plus optional `diagnosis.txt` and `synonyms.txt`, one per line).

use super::case::Case;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// The original's list record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextRecord {
    id: Value,
    summary: String,
    full_text: String,
    #[serde(default)]
    diagnosis: Option<String>,
    #[serde(default)]
    synonyms: Vec<String>,
}

/// The original's per-file record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepsRecord {
    id: Value,
    summary: String,
    steps: Vec<Step>,
    #[serde(default)]
    diagnosis: Option<String>,
    #[serde(default)]
    synonyms: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Step {
    #[expect(
        dead_code,
        reason = "read to accept the field; the step's place is its order"
    )]
    id: Value,
    text: String,
}

/// A case id from an original record: numbers and strings become a slug.
fn slug(id: &Value) -> String {
    let raw = match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    for c in raw.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        format!("case-{out}")
    } else {
        out
    }
}

/// A title from an abstract: its first sentence, at most 80 characters.
fn title_from(summary: &str) -> String {
    let first = summary
        .split_inclusive(['.', '\n'])
        .next()
        .unwrap_or(summary)
        .trim()
        .trim_end_matches('.');
    if first.chars().count() <= 80 {
        first.to_string()
    } else {
        let cut: String = first.chars().take(77).collect();
        format!("{}…", cut.trim_end())
    }
}

fn free_text_case(
    id: &Value,
    summary: String,
    full_text: String,
    diagnosis: Option<String>,
    synonyms: Vec<String>,
) -> Case {
    Case {
        id: slug(id),
        title: title_from(&summary),
        specialty: "Imported".into(),
        difficulty: Default::default(),
        default: false,
        summary,
        history: Vec::new(),
        exam: Vec::new(),
        tests: Vec::new(),
        full_text: Some(full_text),
        diagnosis: diagnosis.filter(|d| !d.trim().is_empty()),
        synonyms,
        family_terms: Vec::new(),
        system: None,
        teaching_points: Vec::new(),
    }
}

/// Cases from one JSON document, or what is wrong with it (`origin` names the file).
pub fn from_json(origin: &str, text: &str) -> Result<Vec<Case>, Vec<String>> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("{origin}: not valid JSON: {e}")])?;
    let records = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(vec![format!(
                "{origin}: expected a JSON object or a list of objects"
            )])
        }
    };
    let single = records.len() == 1;
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in records.into_iter().enumerate() {
        let at = if single {
            origin.to_string()
        } else {
            format!("{origin} record {}", i + 1)
        };
        let parsed = if record.get("steps").is_some() {
            serde_json::from_value::<StepsRecord>(record).map(|r| {
                let text = r
                    .steps
                    .iter()
                    .map(|s| s.text.trim())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                free_text_case(&r.id, r.summary, text, r.diagnosis, r.synonyms)
            })
        } else if record.get("full_text").is_some() && record.get("history").is_none() {
            serde_json::from_value::<TextRecord>(record)
                .map(|r| free_text_case(&r.id, r.summary, r.full_text, r.diagnosis, r.synonyms))
        } else {
            serde_json::from_value::<Case>(record)
        };
        match parsed {
            Ok(case) => {
                let case_problems = case.problems();
                if case_problems.is_empty() {
                    cases.push(case);
                } else {
                    problems.extend(case_problems.into_iter().map(|p| format!("{at}: {p}")));
                }
            }
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn from_case_dir(dir: &Path) -> Result<Case, Vec<String>> {
    let origin = dir.display().to_string();
    let summary = read(&dir.join("summary.txt")).map_err(|e| vec![e])?;
    let full = read(&dir.join("full.txt")).map_err(|e| vec![e])?;
    let optional = |name: &str| -> Result<Option<String>, Vec<String>> {
        let path = dir.join(name);
        if path.exists() {
            read(&path).map(Some).map_err(|e| vec![e])
        } else {
            Ok(None)
        }
    };
    let diagnosis = optional("diagnosis.txt")?.map(|d| d.trim().to_string());
    let synonyms = optional("synonyms.txt")?
        .map(|s| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let case = free_text_case(
        &Value::String(name),
        summary.trim().to_string(),
        full.trim().to_string(),
        diagnosis,
        synonyms,
    );
    let problems = case.problems();
    if problems.is_empty() {
        Ok(case)
    } else {
        Err(problems
            .into_iter()
            .map(|p| format!("{origin}: {p}"))
            .collect())
    }
}

/// Reads every case at `path` (a file or a directory); all or nothing.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, Vec<String>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    let mut take = |result: Result<Vec<Case>, Vec<String>>| match result {
        Ok(found) => cases.extend(found),
        Err(found) => problems.extend(found),
    };
    if path.is_dir() {
        if path.join("summary.txt").exists() {
            take(from_case_dir(path).map(|c| vec![c]));
        } else {
            let mut entries: Vec<_> = match std::fs::read_dir(path) {
                Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
                Err(e) => return Err(vec![format!("{}: cannot read: {e}", path.display())]),
            };
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    if entry.join("summary.txt").exists() || entry.join("full.txt").exists() {
                        take(from_case_dir(&entry).map(|c| vec![c]));
                    }
                } else if entry.extension().is_some_and(|e| e == "json") {
                    let origin = entry.display().to_string();
                    take(
                        read(&entry)
                            .map_err(|e| vec![e])
                            .and_then(|t| from_json(&origin, &t)),
                    );
                }
            }
        }
    } else {
        let origin = path.display().to_string();
        take(
            read(path)
                .map_err(|e| vec![e])
                .and_then(|t| from_json(&origin, &t)),
        );
    }
    let mut seen = HashSet::new();
    for case in &cases {
        if !seen.insert(case.id.clone()) {
            problems.push(format!("case id {:?} appears more than once", case.id));
        }
    }
    if cases.is_empty() && problems.is_empty() {
        problems.push(format!("{}: no cases found", path.display()));
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        if let Some(parent) = dir.join(name).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn every_original_format_and_the_native_one_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "list.json",
            r#"[{"id": 1, "summary": "A 40-year-old man with cough.", "full_text": "He coughs. CXR shows a right lower lobe opacity.", "diagnosis": "Pneumonia", "synonyms": ["CAP"]},
                                  {"id": "b-2", "summary": "A woman with a rash.", "full_text": "Rash on the cheeks."}]"#,
        );
        write(
            d,
            "steps.json",
            r#"{"id": "s1", "summary": "A boy with a limp.", "steps": [{"id": 1, "text": "He limps."}, {"id": 2, "text": "The hip is tender."}]}"#,
        );
        write(d, "dir-case/summary.txt", "A 70-year-old with confusion.");
        write(d, "dir-case/full.txt", "Sodium 118 mmol/L (ref 135-145).");
        write(d, "dir-case/diagnosis.txt", "Hyponatremia\n");
        write(
            d,
            "native.json",
            r#"{"id": "n1", "title": "Native", "summary": "s", "history": [{"topic": "t", "keywords": ["k"], "answer": "a"}]}"#,
        );
        let cases = read_cases(d).unwrap();
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["dir-case", "case-1", "b-2", "n1", "s1"]);
        let first = &cases[1];
        assert_eq!(first.diagnosis.as_deref(), Some("Pneumonia"));
        assert_eq!(first.synonyms, vec!["CAP"]);
        assert_eq!(first.title, "A 40-year-old man with cough");
        assert!(cases[2].diagnosis.is_none(), "a case without a diagnosis");
        assert_eq!(cases[0].diagnosis.as_deref(), Some("Hyponatremia"));
        assert!(cases[4]
            .full_text
            .as_deref()
            .unwrap()
            .contains("hip is tender"));
    }

    #[test]
    fn bad_input_names_every_bad_file_and_record_and_yields_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "good.json",
            r#"{"id": "g", "summary": "s", "full_text": "t"}"#,
        );
        write(d, "broken.json", "{not json");
        write(
            d,
            "list.json",
            r#"[{"id": "ok", "summary": "s", "full_text": "t"}, {"id": "x", "summary": "s"}, {"id": "y", "summary": "", "full_text": "t"}]"#,
        );
        write(d, "nofull/summary.txt", "only a summary");
        let problems = read_cases(d).unwrap_err();
        let text = problems.join("\n");
        assert!(text.contains("broken.json"), "{text}");
        assert!(text.contains("list.json record 2"), "{text}");
        assert!(text.contains("list.json record 3"), "{text}");
        assert!(text.contains("nofull"), "{text}");
        assert!(!text.contains("good.json"), "{text}");
        assert_eq!(problems.len(), 5, "{text}");
    }

    #[test]
    fn duplicate_ids_and_empty_folders_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "a.json",
            r#"{"id": "same", "summary": "s", "full_text": "t"}"#,
        );
        write(
            tmp.path(),
            "b.json",
            r#"{"id": "same", "summary": "s", "full_text": "t"}"#,
        );
        assert!(read_cases(tmp.path()).unwrap_err()[0].contains("more than once"));
        let empty = tempfile::tempdir().unwrap();
        assert!(read_cases(empty.path()).unwrap_err()[0].contains("no cases"));
    }
}
