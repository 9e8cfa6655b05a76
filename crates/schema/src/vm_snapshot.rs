//! VM snapshots (`vm_snapshot`) and the volumes each covers (`vm_snapshot_volume`).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VmSnapshotRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub account_id: i64,
    pub account_name: String,
    pub domain_id: i64,
    pub domain_uuid: String,
    pub domain_name: String,
    pub domain_path: String,
    pub vm_id: i64,
    pub vm_uuid: String,
    pub vm_name: String,
    pub vm_hypervisor: String,
    pub zone_uuid: String,
    pub zone_name: String,
    pub parent_uuid: Option<String>,
    pub parent_name: Option<String>,
    pub current: bool,
    pub snapshot_type: String,
    pub state: String,
    pub created: DateTime<Utc>,
}

const COLUMNS: &str = "SELECT s.id, s.uuid, s.name, s.display_name, s.description, \
     s.account_id, a.name AS account_name, s.domain_id, d.uuid AS domain_uuid, \
     d.name AS domain_name, d.path AS domain_path, s.vm_id, v.uuid AS vm_uuid, \
     v.name AS vm_name, v.hypervisor AS vm_hypervisor, z.uuid AS zone_uuid, \
     z.name AS zone_name, p.uuid AS parent_uuid, p.name AS parent_name, s.current, \
     s.snapshot_type, s.state, s.created \
     FROM vm_snapshot s JOIN account a ON a.id = s.account_id \
     JOIN domain d ON d.id = s.domain_id JOIN vm_instance v ON v.id = s.vm_id \
     JOIN zone z ON z.id = v.zone_id LEFT JOIN vm_snapshot p ON p.id = s.parent_id \
     WHERE s.removed IS NULL";

pub struct NewVmSnapshot<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub account_id: i64,
    pub domain_id: i64,
    pub vm_id: i64,
}

#[derive(Clone, Debug, Default)]
pub struct VmSnapshotFilter {
    pub uuids: Vec<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub subtree: Option<String>,
    pub vm_id: Option<i64>,
    pub state: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
}

impl VmSnapshotFilter {
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
            ("s.vm_id", self.vm_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(s) = &self.state {
            sql.and("lower(s.state) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(n) = &self.name {
            sql.and("s.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and(
                "lower(s.display_name) LIKE ?",
                Bind::Str(crate::domain::like(k)),
            );
        }
    }
}

impl Conn<'_> {
    /// Inserts a Disk VM snapshot in state Creating, covering `volume_ids`.
    pub async fn insert_vm_snapshot(
        &mut self,
        s: &NewVmSnapshot<'_>,
        volume_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO vm_snapshot (uuid, name, display_name, description, \
             account_id, domain_id, vm_id, snapshot_type, state, created) VALUES ($1, $2, $3, \
             $4, $5, $6, $7, 'Disk', 'Creating', $8) RETURNING id";
        let id = on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(s.uuid)
            .bind(s.name)
            .bind(s.display_name)
            .bind(s.description)
            .bind(s.account_id)
            .bind(s.domain_id)
            .bind(s.vm_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?);
        const PART: &str =
            "INSERT INTO vm_snapshot_volume (vm_snapshot_id, volume_id) VALUES ($1, $2)";
        for v in volume_ids {
            on_conn!(self, |c| sqlx::query(PART)
                .bind(id)
                .bind(*v)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(id)
    }

    pub async fn vm_snapshot_by_uuid(&mut self, uuid: &str) -> Result<Option<VmSnapshotRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("s.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn vm_snapshot_by_id(&mut self, id: i64) -> Result<Option<VmSnapshotRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("s.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_vm_snapshots(
        &mut self,
        f: &VmSnapshotFilter,
        page: Page,
    ) -> Result<(i64, Vec<VmSnapshotRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*) FROM ({COLUMNS}"));
        f.apply(&mut count);
        count.push(") n");
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(COLUMNS);
        f.apply(&mut sql);
        sql.push(" ORDER BY s.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Ids of the volumes a VM snapshot covers.
    pub async fn vm_snapshot_volumes(&mut self, vm_snapshot_id: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT volume_id FROM vm_snapshot_volume WHERE vm_snapshot_id = $1 \
             ORDER BY volume_id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(vm_snapshot_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Moves a VM snapshot from one of `from` to `to`; false when it was in none.
    pub async fn set_vm_snapshot_state(
        &mut self,
        id: i64,
        from: &[&str],
        to: &str,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE vm_snapshot SET update_count = update_count + 1");
        sql.push_bind(", state = ? WHERE removed IS NULL", [Bind::Str(to.into())]);
        sql.and("id = ?", Bind::I64(id));
        sql.and_in(
            "state",
            from.iter().map(|s| Bind::Str(s.to_string())).collect(),
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// Makes a VM snapshot its VM's current one (the parent of the next).
    pub async fn make_vm_snapshot_current(&mut self, id: i64, vm_id: i64) -> Result<()> {
        const OTHERS: &str = "UPDATE vm_snapshot SET current = FALSE WHERE vm_id = $1 AND id <> $2";
        on_conn!(self, |c| sqlx::query(OTHERS)
            .bind(vm_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        const ONE: &str = "UPDATE vm_snapshot SET current = TRUE WHERE id = $1";
        on_conn!(self, |c| sqlx::query(ONE)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The VM's current snapshot, the parent of a new one.
    pub async fn current_vm_snapshot(&mut self, vm_id: i64) -> Result<Option<i64>> {
        const SQL: &str = "SELECT id FROM vm_snapshot WHERE vm_id = $1 AND current \
             AND removed IS NULL AND state = 'Ready'";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(vm_id)
            .fetch_optional(&mut **c)
            .await?))
    }

    pub async fn set_vm_snapshot_parent(&mut self, id: i64, parent: Option<i64>) -> Result<()> {
        const SQL: &str = "UPDATE vm_snapshot SET parent_id = $1 WHERE id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(parent)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn remove_vm_snapshot(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "UPDATE vm_snapshot SET removed = $1, current = FALSE, \
             update_count = update_count + 1 WHERE id = $2 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }
}
