//! Cases and encounters: the types, the storage trait, and its SQL shared by both backends.
//! Case bodies and encounter states are JSON documents; the engine owns their shape.

use crate::error::AppError;
use async_trait::async_trait;

/// A case as stored: its listing fields and its JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Slug.
    pub id: String,
    /// Title.
    pub title: String,
    /// Specialty.
    pub specialty: String,
    /// easy, medium, hard or unrated.
    pub difficulty: String,
    /// The abstract.
    pub summary: String,
    /// The default case.
    pub is_default: bool,
    /// `bundled` or `imported`.
    pub source: String,
    /// The whole case (native JSON).
    pub body: String,
}

/// An encounter as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterRecord {
    /// Random id.
    pub id: String,
    /// Whose.
    pub user_id: i64,
    /// The login session that opened it.
    pub session_id: Option<String>,
    /// Which case.
    pub case_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Spend in cents.
    pub spent_cents: i64,
    /// Budget in cents.
    pub budget_cents: Option<i64>,
    /// The engine's state (JSON).
    pub state: String,
    /// Bumped by every save.
    pub version: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// Storage of cases and encounters.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Inserts or refreshes the bundled cases (imported ones with the same id are left alone).
    async fn put_bundled_cases(&self, cases: &[CaseRecord], now: i64) -> Result<(), AppError>;
    /// Imports cases in one transaction. Ids that already exist are refused (all of them named,
    /// nothing written) unless `replace` is set; bundled cases are never replaced.
    async fn import_cases(
        &self,
        cases: &[CaseRecord],
        replace: bool,
        now: i64,
    ) -> Result<Result<usize, Vec<String>>, AppError>;
    /// Every case, default first, then by title; listings only (`body` is left empty).
    async fn list_cases(&self) -> Result<Vec<CaseRecord>, AppError>;
    /// One case.
    async fn case(&self, id: &str) -> Result<Option<CaseRecord>, AppError>;
    /// The default case's id.
    async fn default_case_id(&self) -> Result<Option<String>, AppError>;

    /// Stores a new encounter (version 1).
    async fn create_encounter(&self, encounter: &EncounterRecord) -> Result<(), AppError>;
    /// One encounter.
    async fn encounter(&self, id: &str) -> Result<Option<EncounterRecord>, AppError>;
    /// The newest open encounter of a login session on a case.
    async fn latest_open_encounter(
        &self,
        user_id: i64,
        session_id: &str,
        case_id: &str,
    ) -> Result<Option<EncounterRecord>, AppError>;
    /// Saves a new state if the stored version is still `expected_version`; false on conflict.
    async fn save_encounter(
        &self,
        id: &str,
        expected_version: i64,
        status: &str,
        spent_cents: i64,
        state: &str,
        now: i64,
    ) -> Result<bool, AppError>;
    /// A user's encounters, newest first.
    async fn encounters_of(&self, user_id: i64) -> Result<Vec<EncounterRecord>, AppError>;
    /// A user's open encounters as (case id, encounter id), newest first — without their
    /// state, which can be large.
    async fn open_encounters_of(&self, user_id: i64) -> Result<Vec<(String, String)>, AppError>;
}

pub(crate) type CaseRow = (String, String, String, String, String, bool, String, String);
pub(crate) const CASE_COLUMNS: &str =
    "id, title, specialty, difficulty, summary, is_default, source, body";

pub(crate) fn case_from_row(r: CaseRow) -> CaseRecord {
    CaseRecord {
        id: r.0,
        title: r.1,
        specialty: r.2,
        difficulty: r.3,
        summary: r.4,
        is_default: r.5,
        source: r.6,
        body: r.7,
    }
}

pub(crate) type EncounterRow = (
    String,
    i64,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    String,
    i64,
    i64,
    i64,
);
pub(crate) const ENCOUNTER_COLUMNS: &str =
    "id, user_id, session_id, case_id, status, spent_cents, \
     budget_cents, state, version, created_at, updated_at";

pub(crate) fn encounter_from_row(r: EncounterRow) -> EncounterRecord {
    EncounterRecord {
        id: r.0,
        user_id: r.1,
        session_id: r.2,
        case_id: r.3,
        status: r.4,
        spent_cents: r.5,
        budget_cents: r.6,
        state: r.7,
        version: r.8,
        created_at: r.9,
        updated_at: r.10,
    }
}

/// Implements [`CaseStore`] for a store type whose `pool` field is a pool of database `$db`.
macro_rules! impl_case_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::cases::CaseStore for $store {
            async fn put_bundled_cases(
                &self,
                cases: &[$crate::store::cases::CaseRecord],
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                for c in cases {
                    sqlx::query(
                        "INSERT INTO cases (id, title, specialty, difficulty, summary, is_default, \
                         source, body, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'bundled', $7, $8, $8) \
                         ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                         specialty = excluded.specialty, difficulty = excluded.difficulty, \
                         summary = excluded.summary, is_default = excluded.is_default, \
                         body = excluded.body, updated_at = excluded.updated_at \
                         WHERE cases.source = 'bundled' AND cases.body <> excluded.body",
                    )
                    .bind(&c.id)
                    .bind(&c.title)
                    .bind(&c.specialty)
                    .bind(&c.difficulty)
                    .bind(&c.summary)
                    .bind(c.is_default)
                    .bind(&c.body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn import_cases(
                &self,
                cases: &[$crate::store::cases::CaseRecord],
                replace: bool,
                now: i64,
            ) -> Result<Result<usize, Vec<String>>, $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                let mut refused = Vec::new();
                for c in cases {
                    let existing: Option<(String,)> =
                        sqlx::query_as("SELECT source FROM cases WHERE id = $1")
                            .bind(&c.id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match existing {
                        Some((source,)) if source == "bundled" => refused.push(format!(
                            "case {:?}: a bundled case has this id; choose another",
                            c.id
                        )),
                        Some(_) if !replace => refused.push(format!(
                            "case {:?}: already imported (use --replace to overwrite it)",
                            c.id
                        )),
                        _ => {}
                    }
                }
                if !refused.is_empty() {
                    return Ok(Err(refused));
                }
                for c in cases {
                    sqlx::query(
                        "INSERT INTO cases (id, title, specialty, difficulty, summary, is_default, \
                         source, body, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, FALSE, 'imported', $6, $7, $7) \
                         ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                         specialty = excluded.specialty, difficulty = excluded.difficulty, \
                         summary = excluded.summary, body = excluded.body, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(&c.id)
                    .bind(&c.title)
                    .bind(&c.specialty)
                    .bind(&c.difficulty)
                    .bind(&c.summary)
                    .bind(&c.body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Ok(cases.len()))
            }

            async fn list_cases(
                &self,
            ) -> Result<Vec<$crate::store::cases::CaseRecord>, $crate::error::AppError> {
                // The bodies (whole cases with their answer keys) stay in the database: a listing
                // never needs them and they are most of the table's bytes.
                let rows: Vec<$crate::store::cases::CaseRow> = sqlx::query_as(
                    "SELECT id, title, specialty, difficulty, summary, is_default, source, '' AS body \
                     FROM cases ORDER BY is_default DESC, title, id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::store::cases::case_from_row)
                    .collect())
            }

            async fn case(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::cases::CaseRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM cases WHERE id = $1",
                    $crate::store::cases::CASE_COLUMNS
                );
                let row: Option<$crate::store::cases::CaseRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map($crate::store::cases::case_from_row))
            }

            async fn default_case_id(&self) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT id FROM cases ORDER BY is_default DESC, id LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id,)| id))
            }

            async fn create_encounter(
                &self,
                e: &$crate::store::cases::EncounterRecord,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO encounters (id, user_id, session_id, case_id, status, spent_cents, \
                     budget_cents, state, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
                )
                .bind(&e.id)
                .bind(e.user_id)
                .bind(&e.session_id)
                .bind(&e.case_id)
                .bind(&e.status)
                .bind(e.spent_cents)
                .bind(e.budget_cents)
                .bind(&e.state)
                .bind(e.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn encounter(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::cases::EncounterRecord>, $crate::error::AppError>
            {
                let sql = format!(
                    "SELECT {} FROM encounters WHERE id = $1",
                    $crate::store::cases::ENCOUNTER_COLUMNS
                );
                let row: Option<$crate::store::cases::EncounterRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map($crate::store::cases::encounter_from_row))
            }

            async fn latest_open_encounter(
                &self,
                user_id: i64,
                session_id: &str,
                case_id: &str,
            ) -> Result<Option<$crate::store::cases::EncounterRecord>, $crate::error::AppError>
            {
                let sql = format!(
                    "SELECT {} FROM encounters WHERE user_id = $1 AND session_id = $2 \
                     AND case_id = $3 AND status = 'open' ORDER BY updated_at DESC, id LIMIT 1",
                    $crate::store::cases::ENCOUNTER_COLUMNS
                );
                let row: Option<$crate::store::cases::EncounterRow> = sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(session_id)
                    .bind(case_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map($crate::store::cases::encounter_from_row))
            }

            async fn save_encounter(
                &self,
                id: &str,
                expected_version: i64,
                status: &str,
                spent_cents: i64,
                state: &str,
                now: i64,
            ) -> Result<bool, $crate::error::AppError> {
                let done = sqlx::query(
                    "UPDATE encounters SET status = $1, spent_cents = $2, state = $3, \
                     version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6",
                )
                .bind(status)
                .bind(spent_cents)
                .bind(state)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn encounters_of(
                &self,
                user_id: i64,
            ) -> Result<Vec<$crate::store::cases::EncounterRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM encounters WHERE user_id = $1 ORDER BY updated_at DESC, id",
                    $crate::store::cases::ENCOUNTER_COLUMNS
                );
                let rows: Vec<$crate::store::cases::EncounterRow> = sqlx::query_as(&sql)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::store::cases::encounter_from_row)
                    .collect())
            }

            async fn open_encounters_of(
                &self,
                user_id: i64,
            ) -> Result<Vec<(String, String)>, $crate::error::AppError> {
                Ok(sqlx::query_as(
                    "SELECT case_id, id FROM encounters WHERE user_id = $1 AND status = 'open' \
                     ORDER BY updated_at DESC, id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_case_store;
