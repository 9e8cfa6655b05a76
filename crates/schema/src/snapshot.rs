//! Volume snapshots (`snapshots`): a copy on the volume's pool and its backup in an
//! image store.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SnapshotRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub volume_id: i64,
    pub volume_uuid: String,
    pub volume_name: String,
    pub volume_type: String,
    pub volume_state: String,
    /// Where the volume is now (its primary copy is there while the volume lives).
    pub volume_pool_id: Option<i64>,
    pub volume_disk_offering_id: Option<i64>,
    pub snapshot_type: String,
    pub policy_id: Option<i64>,
    pub state: String,
    pub size: i64,
    pub physical_size: i64,
    pub primary_path: Option<String>,
    pub store_id: Option<i64>,
    pub store_uuid: Option<String>,
    pub store_name: Option<String>,
    pub backup_path: Option<String>,
    pub hypervisor: String,
    pub created: DateTime<Utc>,
}

const COLUMNS: &str = "SELECT s.id, s.uuid, s.name, s.account_id, a.name AS account_name, \
     s.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, \
     s.zone_id, z.uuid AS zone_uuid, z.name AS zone_name, s.volume_id, \
     o.uuid AS volume_uuid, o.name AS volume_name, o.volume_type, o.state AS volume_state, \
     o.pool_id AS volume_pool_id, o.disk_offering_id AS volume_disk_offering_id, \
     s.snapshot_type, s.policy_id, s.state, s.size, s.physical_size, s.primary_path, \
     s.store_id, i.uuid AS store_uuid, i.name AS store_name, s.backup_path, s.hypervisor, \
     s.created \
     FROM snapshots s JOIN account a ON a.id = s.account_id JOIN domain d ON d.id = s.domain_id \
     JOIN zone z ON z.id = s.zone_id JOIN volume o ON o.id = s.volume_id \
     LEFT JOIN image_store i ON i.id = s.store_id WHERE s.removed IS NULL";

pub struct NewSnapshot<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub volume_id: i64,
    pub snapshot_type: &'a str,
    pub policy_id: Option<i64>,
    pub size: i64,
    pub hypervisor: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct SnapshotFilter {
    pub uuids: Vec<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub subtree: Option<String>,
    pub zone_id: Option<i64>,
    pub volume_id: Option<i64>,
    pub snapshot_type: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
}

impl SnapshotFilter {
    fn apply(&self, sql: &mut Sql) {
        if !self.uuids.is_empty() {
            sql.and_in(
                "s.uuid",
                self.uuids.iter().map(|u| Bind::Str(u.clone())).collect(),
            );
        }
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        for (col, v) in [
            ("s.account_id", self.account_id),
            ("s.domain_id", self.domain_id),
            ("s.zone_id", self.zone_id),
            ("s.volume_id", self.volume_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(t) = &self.snapshot_type {
            sql.and("s.snapshot_type = ?", Bind::Str(t.to_uppercase()));
        }
        if let Some(n) = &self.name {
            sql.and("s.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(s.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

impl Conn<'_> {
    /// Inserts a snapshot in state Creating.
    pub async fn insert_snapshot(
        &mut self,
        s: &NewSnapshot<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO snapshots (uuid, name, account_id, domain_id, zone_id, \
             volume_id, snapshot_type, policy_id, state, size, hypervisor, created) VALUES ($1, \
             $2, $3, $4, $5, $6, $7, $8, 'Creating', $9, $10, $11) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(s.uuid)
            .bind(s.name)
            .bind(s.account_id)
            .bind(s.domain_id)
            .bind(s.zone_id)
            .bind(s.volume_id)
            .bind(s.snapshot_type)
            .bind(s.policy_id)
            .bind(s.size)
            .bind(s.hypervisor)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn snapshot_by_uuid(&mut self, uuid: &str) -> Result<Option<SnapshotRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("s.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn snapshot_by_id(&mut self, id: i64) -> Result<Option<SnapshotRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("s.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_snapshots(
        &mut self,
        f: &SnapshotFilter,
        page: Page,
    ) -> Result<(i64, Vec<SnapshotRow>)> {
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM snapshots s JOIN domain d ON d.id = s.domain_id \
             WHERE s.removed IS NULL",
        );
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(COLUMNS);
        f.apply(&mut sql);
        sql.push(" ORDER BY s.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Live snapshots a policy took of a volume, oldest first.
    pub async fn policy_snapshots(
        &mut self,
        volume_id: i64,
        snapshot_type: &str,
    ) -> Result<Vec<SnapshotRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("s.volume_id = ?", Bind::I64(volume_id));
        sql.and("s.snapshot_type = ?", Bind::Str(snapshot_type.into()));
        sql.push(" ORDER BY s.created, s.id");
        self.fetch_all(&sql).await
    }

    /// Moves a snapshot from one of `from` to `to`; false when it was in none of them.
    pub async fn set_snapshot_state(&mut self, id: i64, from: &[&str], to: &str) -> Result<bool> {
        let mut sql = Sql::new("UPDATE snapshots SET update_count = update_count + 1");
        sql.push_bind(", state = ? WHERE removed IS NULL", [Bind::Str(to.into())]);
        sql.and("id = ?", Bind::I64(id));
        sql.and_in(
            "state",
            from.iter().map(|s| Bind::Str(s.to_string())).collect(),
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// The copy on primary storage exists: Creating → CreatedOnPrimary.
    pub async fn snapshot_on_primary(&mut self, id: i64, path: &str, size: i64) -> Result<()> {
        const SQL: &str = "UPDATE snapshots SET primary_path = $1, size = $2, \
             state = 'CreatedOnPrimary', update_count = update_count + 1 \
             WHERE id = $3 AND state IN ('Creating', 'CreatedOnPrimary')";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(path)
            .bind(size)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The backup is in `store_id`: CreatedOnPrimary → BackedUp; false when it was not
    /// CreatedOnPrimary (backed up already).
    pub async fn snapshot_backed_up(
        &mut self,
        id: i64,
        store_id: i64,
        path: &str,
        physical_size: i64,
    ) -> Result<bool> {
        const SQL: &str = "UPDATE snapshots SET store_id = $1, backup_path = $2, \
             physical_size = $3, state = 'BackedUp', update_count = update_count + 1 \
             WHERE id = $4 AND state = 'CreatedOnPrimary'";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(store_id)
            .bind(path)
            .bind(physical_size)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Soft-deletes a snapshot; false when it was gone already.
    pub async fn remove_snapshot(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE snapshots SET removed = $1, state = 'Destroyed', \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }
}
