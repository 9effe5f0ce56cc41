//! The bundled cases, compiled into the binary from `data/cases/*.json`.

use super::case::Case;
use super::import::from_json;
use include_dir::{include_dir, Dir};

static CASES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data/cases");

/// Every bundled case, by file name; a malformed file is a build defect, named in the error.
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
        let text = String::from_utf8_lossy(file.contents());
        match from_json(&name, &text) {
            Ok(found) => cases.extend(found),
            Err(found) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_cases_load_with_exactly_one_default() {
        let cases = super::bundled_cases().expect("well-formed cases");
        assert!(cases.len() >= 24);
        let defaults: Vec<&str> = cases
            .iter()
            .filter(|c| c.default)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(defaults, vec!["rlq-pain-19m"]);
        assert!(cases
            .iter()
            .all(|c| c.diagnosis.is_some() && !c.teaching_points.is_empty()));
    }
}
