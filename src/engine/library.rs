//! The bundled cases, compiled into the binary from `data/cases/*.json`.

use super::case::Case;
use include_dir::{include_dir, Dir};

static CASES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data/cases");

/// Every bundled case, by id; a malformed file is a build defect, named in the error.
pub fn bundled_cases() -> Result<Vec<Case>, Vec<String>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    let mut files: Vec<_> = CASES
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort_by_key(|f| f.path().to_path_buf());
    for file in files {
        let name = file.path().display().to_string();
        match serde_json::from_slice::<Case>(file.contents()) {
            Ok(case) => {
                let case_problems = case.problems();
                if case_problems.is_empty() {
                    cases.push(case);
                } else {
                    problems.extend(case_problems.into_iter().map(|p| format!("{name}: {p}")));
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}
