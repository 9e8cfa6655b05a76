//! Stored values of global settings (only those changed from their default).

use chrono::{DateTime, Utc};

use crate::{Conn, Result, on_conn};

impl Conn<'_> {
    pub async fn config_values(&mut self) -> Result<Vec<(String, String)>> {
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (String, String)>(
            "SELECT name, value FROM configuration ORDER BY name"
        )
        .fetch_all(&mut **c)
        .await?))
    }

    pub async fn set_config(&mut self, name: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "INSERT INTO configuration (name, value, updated) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn reset_config(&mut self, name: &str) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM configuration WHERE name = $1"
        )
        .bind(name)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }
}
