//! The bundled cases in the store, and the stored form of a case.

use crate::engine::Case;
use crate::error::AppError;

/// Stores the bundled cases (new ones added, changed ones refreshed); returns how many there are.
pub async fn install_bundled_cases(
    store: &dyn crate::store::Store,
    now: i64,
) -> Result<usize, AppError> {
    let cases = crate::engine::library::bundled_cases().map_err(|problems| {
        AppError::Internal(format!(
            "bundled cases are malformed: {}",
            problems.join("; ")
        ))
    })?;
    let records = cases
        .iter()
        .map(case_record)
        .collect::<Result<Vec<_>, _>>()?;
    store.put_bundled_cases(&records, now).await?;
    Ok(records.len())
}

/// The stored form of a case.
pub fn case_record(case: &Case) -> Result<crate::store::CaseRecord, AppError> {
    Ok(crate::store::CaseRecord {
        id: case.id.clone(),
        title: case.title.clone(),
        specialty: case.specialty.clone(),
        difficulty: case.difficulty.as_str().to_string(),
        summary: case.summary.clone(),
        is_default: case.default,
        source: "bundled".into(),
        body: serde_json::to_string(case)
            .map_err(|e| AppError::Internal(format!("cannot encode case {}: {e}", case.id)))?,
    })
}
