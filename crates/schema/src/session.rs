//! Login sessions, kept in the database so they survive restarts and are shared by
//! every management server.

use chrono::{DateTime, Utc};

use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub session_key: String,
    pub user_id: i64,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Conn<'_> {
    pub async fn insert_session(&mut self, s: &SessionRow) -> Result<()> {
        const SQL: &str = "INSERT INTO session (id, session_key, user_id, created, last_seen) \
             VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(&s.id)
            .bind(&s.session_key)
            .bind(s.user_id)
            .bind(s.created)
            .bind(s.last_seen)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn session(&mut self, id: &str) -> Result<Option<SessionRow>> {
        Ok(on_conn!(self, |c| sqlx::query_as::<_, SessionRow>(
            "SELECT id, session_key, user_id, created, last_seen FROM session WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await?))
    }

    pub async fn touch_session(&mut self, id: &str, now: DateTime<Utc>) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE session SET last_seen = $1 WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn delete_session(&mut self, id: &str) -> Result<()> {
        on_conn!(self, |c| sqlx::query("DELETE FROM session WHERE id = $1")
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Ends every session of a user (disable, lock, delete, password change).
    pub async fn delete_user_sessions(&mut self, user_id: i64) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM session WHERE user_id = $1"
        )
        .bind(user_id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn expire_sessions(&mut self, idle_before: DateTime<Utc>) -> Result<u64> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM session WHERE last_seen < $1"
        )
        .bind(idle_before)
        .execute(&mut **c)
        .await?
        .rows_affected()))
    }
}
