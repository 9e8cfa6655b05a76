//! Recurring snapshot schedules of volumes (`snapshot_policy`).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SnapshotPolicyRow {
    pub id: i64,
    pub uuid: String,
    pub volume_id: i64,
    pub volume_uuid: String,
    pub volume_name: String,
    pub account_id: i64,
    pub zone_uuid: String,
    pub interval_type: String,
    pub schedule: String,
    pub timezone: String,
    pub max_snaps: i32,
    pub display: bool,
    pub next_run: DateTime<Utc>,
}

const COLUMNS: &str = "SELECT sp.id, sp.uuid, sp.volume_id, o.uuid AS volume_uuid, \
     o.name AS volume_name, o.account_id, z.uuid AS zone_uuid, sp.interval_type, sp.schedule, \
     sp.timezone, sp.max_snaps, sp.display, sp.next_run \
     FROM snapshot_policy sp JOIN volume o ON o.id = sp.volume_id \
     JOIN zone z ON z.id = o.zone_id JOIN domain d ON d.id = o.domain_id \
     WHERE sp.removed IS NULL AND o.removed IS NULL";

pub struct NewSnapshotPolicy<'a> {
    pub uuid: &'a str,
    pub volume_id: i64,
    pub interval_type: &'a str,
    pub schedule: &'a str,
    pub timezone: &'a str,
    pub max_snaps: i32,
    pub display: bool,
    pub next_run: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
pub struct SnapshotPolicyFilter {
    pub uuid: Option<String>,
    pub volume_id: Option<i64>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub subtree: Option<String>,
    pub display: Option<bool>,
}

impl SnapshotPolicyFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("sp.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        for (col, v) in [
            ("sp.volume_id", self.volume_id),
            ("o.account_id", self.account_id),
            ("o.domain_id", self.domain_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(b) = self.display {
            sql.and("sp.display = ?", Bind::Bool(b));
        }
    }
}

impl Conn<'_> {
    /// Creates the volume's policy for this interval, or replaces the one it has (as
    /// CloudStack does); returns its id.
    pub async fn put_snapshot_policy(
        &mut self,
        p: &NewSnapshotPolicy<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const UPDATE: &str = "UPDATE snapshot_policy SET schedule = $1, timezone = $2, \
             max_snaps = $3, display = $4, next_run = $5 \
             WHERE volume_id = $6 AND interval_type = $7 AND removed IS NULL RETURNING id";
        let existing = on_conn!(self, |c| sqlx::query_scalar::<_, i64>(UPDATE)
            .bind(p.schedule)
            .bind(p.timezone)
            .bind(p.max_snaps)
            .bind(p.display)
            .bind(p.next_run)
            .bind(p.volume_id)
            .bind(p.interval_type)
            .fetch_optional(&mut **c)
            .await?);
        if let Some(id) = existing {
            return Ok(id);
        }
        const INSERT: &str = "INSERT INTO snapshot_policy (uuid, volume_id, interval_type, \
             schedule, timezone, max_snaps, display, next_run, created) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(INSERT)
            .bind(p.uuid)
            .bind(p.volume_id)
            .bind(p.interval_type)
            .bind(p.schedule)
            .bind(p.timezone)
            .bind(p.max_snaps)
            .bind(p.display)
            .bind(p.next_run)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn snapshot_policy_by_id(&mut self, id: i64) -> Result<Option<SnapshotPolicyRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("sp.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn snapshot_policy_by_uuid(
        &mut self,
        uuid: &str,
    ) -> Result<Option<SnapshotPolicyRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("sp.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_snapshot_policies(
        &mut self,
        f: &SnapshotPolicyFilter,
        page: Page,
    ) -> Result<(i64, Vec<SnapshotPolicyRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*) FROM ({COLUMNS}"));
        f.apply(&mut count);
        count.push(") n");
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(COLUMNS);
        f.apply(&mut sql);
        sql.push(" ORDER BY sp.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Policies whose next run is due.
    pub async fn due_snapshot_policies(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<SnapshotPolicyRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("sp.next_run <= ?", Bind::Time(now));
        sql.push(" ORDER BY sp.next_run LIMIT 100");
        self.fetch_all(&sql).await
    }

    /// Takes a due run: moves `next_run` from `seen` to `next`. Only one server wins.
    pub async fn claim_snapshot_run(
        &mut self,
        id: i64,
        seen: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE snapshot_policy SET next_run = $1 \
             WHERE id = $2 AND next_run = $3 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(next)
            .bind(id)
            .bind(seen)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn set_snapshot_policy_display(&mut self, id: i64, display: bool) -> Result<()> {
        const SQL: &str = "UPDATE snapshot_policy SET display = $1 WHERE id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(display)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Soft-deletes policies: these ids, or (with `volume_id`) every policy of a volume.
    pub async fn remove_snapshot_policies(
        &mut self,
        ids: &[i64],
        volume_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut sql = Sql::new("UPDATE snapshot_policy SET ");
        sql.push_bind("removed = ? WHERE removed IS NULL", [Bind::Time(now)]);
        match volume_id {
            Some(v) => {
                sql.and("volume_id = ?", Bind::I64(v));
            }
            None => {
                sql.and_in("id", ids.iter().map(|i| Bind::I64(*i)).collect());
            }
        }
        self.execute(&sql).await
    }
}
