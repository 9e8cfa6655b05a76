//! Management servers: each running `strato server` registers itself and heartbeats, so
//! the others can tell when its jobs are orphaned.

use chrono::{DateTime, Utc};

use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MsHostRow {
    pub uuid: String,
    pub name: String,
    pub version: String,
    pub last_heartbeat: DateTime<Utc>,
    pub state: String,
}

impl Conn<'_> {
    pub async fn register_mshost(
        &mut self,
        uuid: &str,
        name: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO mshost (uuid, name, version, started, last_heartbeat, state) \
             VALUES ($1, $2, $3, $4, $4, 'Up')";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(uuid)
            .bind(name)
            .bind(version)
            .bind(now)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn heartbeat_mshost(&mut self, uuid: &str, now: DateTime<Utc>) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE mshost SET last_heartbeat = $1, state = 'Up' WHERE uuid = $2"
        )
        .bind(now)
        .bind(uuid)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn stop_mshost(&mut self, uuid: &str) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "UPDATE mshost SET state = 'Down' WHERE uuid = $1"
        )
        .bind(uuid)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn mshosts(&mut self) -> Result<Vec<MsHostRow>> {
        Ok(on_conn!(self, |c| sqlx::query_as::<_, MsHostRow>(
            "SELECT uuid, name, version, last_heartbeat, state FROM mshost ORDER BY id"
        )
        .fetch_all(&mut **c)
        .await?))
    }
}
