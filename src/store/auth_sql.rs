//! The one SQL implementation of [`AuthStore`](super::auth::AuthStore), expanded for each
//! backend's pool type: the statements use `$N` placeholders, which SQLite accepts too.

/// Implements [`AuthStore`] for a store type whose `pool` field is a pool of database `$db`.
macro_rules! impl_auth_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::auth::AuthStore for $store {
            async fn add_user(
                &self,
                name: &str,
                password_hash: &str,
                group: $crate::protocol::Group,
                now: i64,
            ) -> Result<Option<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                // Fetched to the end: SQLite commits this statement as it finishes, and a fetch
                // that stops at the first row never hears that the commit failed.
                let ids: Vec<(i64,)> = sqlx::query_as(
                    "INSERT INTO users (name, password_hash, user_group, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
                )
                .bind(name)
                .bind(password_hash)
                .bind(group.as_str())
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                Ok(ids.first().map(|&(id,)| $crate::store::auth::UserRecord {
                    id,
                    name: name.to_string(),
                    password_hash: password_hash.to_string(),
                    group,
                    created_at: now,
                }))
            }

            async fn user_by_name(
                &self,
                name: &str,
            ) -> Result<Option<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM users WHERE name = $1",
                    $crate::store::auth::USER_COLUMNS
                );
                let row: Option<$crate::store::auth::UserRow> = sqlx::query_as(&sql)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::store::auth::user_from_row).transpose()
            }

            async fn list_users(
                &self,
            ) -> Result<Vec<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM users ORDER BY name",
                    $crate::store::auth::USER_COLUMNS
                );
                let rows: Vec<$crate::store::auth::UserRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map($crate::store::auth::user_from_row)
                    .collect()
            }

            async fn count_users(&self) -> Result<i64, $crate::error::AppError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn remove_user(&self, name: &str) -> Result<bool, $crate::error::AppError> {
                let done = sqlx::query("DELETE FROM users WHERE name = $1")
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_password(
                &self,
                name: &str,
                password_hash: &str,
                now: i64,
            ) -> Result<bool, $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                let id: Option<(i64,)> = sqlx::query_as(
                    "UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING id",
                )
                .bind(password_hash)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id,)) = id else {
                    return Ok(false);
                };
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn setting(&self, key: &str) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(v,)| v))
            }

            async fn setting_or_insert(
                &self,
                key: &str,
                value: &str,
            ) -> Result<String, $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
                let (stored,): (String,) =
                    sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(stored)
            }

            async fn delete_setting(&self, key: &str) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_session(
                &self,
                session: &$crate::store::auth::NewSession,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, kind, address, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&session.id)
                .bind(session.user_id)
                .bind(session.kind.as_str())
                .bind(&session.address)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::auth::SessionRecord>, $crate::error::AppError> {
                let sql = format!("{} WHERE s.id = $1", $crate::store::auth::SESSION_SELECT);
                let row: Option<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::store::auth::session_from_row).transpose()
            }

            async fn live_sessions_of(
                &self,
                user_id: i64,
                now: i64,
            ) -> Result<Vec<$crate::store::auth::SessionRecord>, $crate::error::AppError> {
                let sql = format!(
                    "{} WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                     ORDER BY s.created_at DESC, s.id",
                    $crate::store::auth::SESSION_SELECT
                );
                let rows: Vec<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::store::auth::session_from_row)
                    .collect()
            }

            async fn revoke_session(
                &self,
                id: &str,
                now: i64,
            ) -> Result<bool, $crate::error::AppError> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn ended_sessions(
                &self,
                ids: &[String],
                now: i64,
            ) -> Result<Vec<String>, $crate::error::AppError> {
                let mut ended = Vec::new();
                // Bounded IN lists keep every statement under the engines' parameter limits.
                for chunk in ids.chunks(500) {
                    let mut live = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > ",
                    );
                    live.push_bind(now).push(" AND id IN (");
                    let mut list = live.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    live.push(")");
                    let rows: Vec<(String,)> =
                        live.build_query_as().fetch_all(&self.pool).await?;
                    let live: std::collections::HashSet<String> =
                        rows.into_iter().map(|(id,)| id).collect();
                    ended.extend(chunk.iter().filter(|id| !live.contains(*id)).cloned());
                }
                Ok(ended)
            }

            async fn add_refresh_token(
                &self,
                hash: &str,
                session_id: &str,
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(hash)
                .bind(session_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                old_hash: &str,
                new_hash: &str,
                now: i64,
            ) -> Result<$crate::store::auth::RefreshUse, $crate::error::AppError> {
                use $crate::store::auth::RefreshUse;
                let mut tx = self.pool.begin().await?;
                // The conditional update decides, atomically, which of two racing uses wins.
                let claimed: Option<(String,)> = sqlx::query_as(
                    "UPDATE refresh_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND used_at IS NULL RETURNING session_id",
                )
                .bind(now)
                .bind(old_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((session_id,)) = claimed else {
                    let owner: Option<(String,)> = sqlx::query_as(
                        "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                    )
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((session_id,)) = owner else {
                        return Ok(RefreshUse::Invalid);
                    };
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&session_id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(RefreshUse::Reused { session_id });
                };
                let sql = format!("{} WHERE s.id = $1", $crate::store::auth::SESSION_SELECT);
                let row: Option<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(&session_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let session = match row.map($crate::store::auth::session_from_row).transpose()? {
                    Some(session) if session.is_live(now) => session,
                    _ => return Ok(RefreshUse::Invalid),
                };
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(new_hash)
                .bind(&session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(RefreshUse::Rotated(session))
            }

            async fn session_of_refresh_token(
                &self,
                hash: &str,
            ) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id,)| id))
            }

            async fn record_failed_login(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query("INSERT INTO failed_logins (scope, key, at) VALUES ($1, $2, $3)")
                    .bind(scope.as_str())
                    .bind(key)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn failed_logins_since(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
                since: i64,
                limit: i64,
            ) -> Result<Vec<i64>, $crate::error::AppError> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT at FROM failed_logins WHERE scope = $1 AND key = $2 AND at > $3 \
                     ORDER BY at DESC LIMIT $4",
                )
                .bind(scope.as_str())
                .bind(key)
                .bind(since)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(at,)| at).collect())
            }

            async fn clear_failed_logins_for(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM failed_logins WHERE scope = $1 AND key = $2")
                    .bind(scope.as_str())
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn record_message(
                &self,
                session_id: &str,
                now: i64,
                since: i64,
            ) -> Result<i64, $crate::error::AppError> {
                // Two statements without a transaction around them: the count then includes
                // this message and perhaps another instance's made in between, which errs on
                // the side of the limit.
                sqlx::query("INSERT INTO message_events (session_id, at) VALUES ($1, $2)")
                    .bind(session_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM message_events WHERE session_id = $1 AND at > $2",
                )
                .bind(session_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
                Ok(count)
            }

            async fn cleanup(
                &self,
                now: i64,
                revoked_before: i64,
                failed_before: i64,
                messages_before: i64,
            ) -> Result<$crate::store::auth::CleanupReport, $crate::error::AppError> {
                let sessions = sqlx::query(
                    "DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at <= $2",
                )
                .bind(now)
                .bind(revoked_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
                let failed_logins = sqlx::query("DELETE FROM failed_logins WHERE at <= $1")
                    .bind(failed_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                let messages = sqlx::query("DELETE FROM message_events WHERE at <= $1")
                    .bind(messages_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok($crate::store::auth::CleanupReport {
                    sessions,
                    failed_logins,
                    messages,
                })
            }

            async fn clear_failed_logins(&self) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM failed_logins")
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn clear_all_session_data(&self) -> Result<(), $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                for table in ["message_events", "refresh_tokens", "sessions", "failed_logins"] {
                    sqlx::query(&format!("DELETE FROM {table}"))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_auth_store;
