//! Volumes on primary storage.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VolumeRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub pool_id: Option<i64>,
    pub pool_uuid: Option<String>,
    pub pool_name: Option<String>,
    pub instance_id: Option<i64>,
    pub device_id: Option<i32>,
    pub volume_type: String,
    pub size: i64,
    pub disk_offering_id: Option<i64>,
    pub template_id: Option<i64>,
    pub state: String,
    pub path: Option<String>,
    pub provisioning: String,
    pub created: DateTime<Utc>,
}

const COLUMNS: &str = "SELECT o.id, o.uuid, o.name, o.account_id, o.domain_id, o.zone_id, \
     o.pool_id, p.uuid AS pool_uuid, p.name AS pool_name, o.instance_id, o.device_id, \
     o.volume_type, o.size, o.disk_offering_id, o.template_id, o.state, o.path, \
     o.provisioning, o.created \
     FROM volume o LEFT JOIN storage_pool p ON p.id = o.pool_id WHERE o.removed IS NULL";

pub struct NewVolume<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub account_id: i64,
    pub domain_id: i64,
    pub zone_id: i64,
    pub pool_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub device_id: Option<i32>,
    pub volume_type: &'a str,
    pub size: i64,
    pub disk_offering_id: Option<i64>,
    pub template_id: Option<i64>,
    pub state: &'a str,
    pub provisioning: &'a str,
}

impl Conn<'_> {
    pub async fn insert_volume(&mut self, v: &NewVolume<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO volume (uuid, name, account_id, domain_id, zone_id, \
             pool_id, instance_id, device_id, volume_type, size, disk_offering_id, template_id, \
             state, provisioning, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(v.uuid)
            .bind(v.name)
            .bind(v.account_id)
            .bind(v.domain_id)
            .bind(v.zone_id)
            .bind(v.pool_id)
            .bind(v.instance_id)
            .bind(v.device_id)
            .bind(v.volume_type)
            .bind(v.size)
            .bind(v.disk_offering_id)
            .bind(v.template_id)
            .bind(v.state)
            .bind(v.provisioning)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn volume_by_uuid(&mut self, uuid: &str) -> Result<Option<VolumeRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("o.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Volumes attached to these VMs, root first.
    pub async fn volumes_of_vms(&mut self, instance_ids: &[i64]) -> Result<Vec<VolumeRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and_in(
            "o.instance_id",
            instance_ids.iter().map(|i| Bind::I64(*i)).collect(),
        );
        sql.push(" ORDER BY o.instance_id, o.device_id, o.id");
        self.fetch_all(&sql).await
    }

    /// Places a volume not placed yet on a pool; false when it already has one.
    pub async fn place_volume(&mut self, id: i64, pool_id: i64) -> Result<bool> {
        const SQL: &str = "UPDATE volume SET pool_id = $1, update_count = update_count + 1 \
             WHERE id = $2 AND pool_id IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(pool_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Takes a placed volume that was never created off its pool (a record, or an
    /// upload still in its image store); returns that pool.
    pub async fn unplace_volume(&mut self, id: i64) -> Result<Option<i64>> {
        const FIND: &str = "SELECT pool_id FROM volume WHERE id = $1 AND pool_id IS NOT NULL \
             AND state IN ('Allocated', 'Uploaded')";
        let pool = on_conn!(self, |c| sqlx::query_scalar::<_, i64>(FIND)
            .bind(id)
            .fetch_optional(&mut **c)
            .await?);
        let Some(pool) = pool else {
            return Ok(None);
        };
        const CLEAR: &str = "UPDATE volume SET pool_id = NULL, update_count = update_count + 1 \
             WHERE id = $1 AND pool_id = $2 AND state IN ('Allocated', 'Uploaded')";
        let cleared = on_conn!(self, |c| sqlx::query(CLEAR)
            .bind(id)
            .bind(pool)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok((cleared == 1).then_some(pool))
    }

    /// Marks a volume created on its pool.
    pub async fn volume_ready(&mut self, id: i64, path: &str, size: i64) -> Result<()> {
        const SQL: &str = "UPDATE volume SET state = 'Ready', path = $1, size = $2, \
             update_count = update_count + 1 WHERE id = $3";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(path)
            .bind(size)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// A volume deleted from its pool by an undo: back to a record only (still placed),
    /// or to Uploaded when its image is still in the image store.
    pub async fn volume_not_created(&mut self, id: i64) -> Result<()> {
        const SQL: &str = "UPDATE volume SET state = CASE WHEN EXISTS \
             (SELECT 1 FROM volume_store_ref r WHERE r.volume_id = volume.id) \
             THEN 'Uploaded' ELSE 'Allocated' END, path = NULL, \
             update_count = update_count + 1 WHERE id = $1";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn remove_volume(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        const SQL: &str = "UPDATE volume SET state = 'Expunged', removed = $1, \
             instance_id = NULL, update_count = update_count + 1 \
             WHERE id = $2 AND removed IS NULL";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }
}

/// A volume with what its response shows: owner, zone, pool, VM, offering, origin.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VolumeView {
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
    pub pool_id: Option<i64>,
    pub pool_uuid: Option<String>,
    pub pool_name: Option<String>,
    pub pool_scope: Option<String>,
    pub pool_cluster_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub vm_uuid: Option<String>,
    pub vm_name: Option<String>,
    pub vm_display_name: Option<String>,
    pub vm_state: Option<String>,
    pub vm_hypervisor: Option<String>,
    pub device_id: Option<i32>,
    pub volume_type: String,
    pub size: i64,
    pub disk_offering_id: Option<i64>,
    pub disk_offering_uuid: Option<String>,
    pub disk_offering_name: Option<String>,
    pub disk_offering_display_text: Option<String>,
    pub template_id: Option<i64>,
    pub template_uuid: Option<String>,
    pub template_name: Option<String>,
    pub source_snapshot_id: Option<i64>,
    pub source_snapshot_uuid: Option<String>,
    pub state: String,
    pub path: Option<String>,
    pub provisioning: String,
    pub display_volume: bool,
    pub attached: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    pub update_count: i64,
    /// An uploaded volume's copy on its image store: download state, progress, error.
    pub upload_state: Option<String>,
    pub upload_pct: Option<i32>,
    pub upload_error: Option<String>,
}

const VIEW_COLUMNS: &str = "SELECT o.id, o.uuid, o.name, o.account_id, a.name AS account_name, \
     o.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, \
     o.zone_id, z.uuid AS zone_uuid, z.name AS zone_name, o.pool_id, p.uuid AS pool_uuid, \
     p.name AS pool_name, p.scope AS pool_scope, p.cluster_id AS pool_cluster_id, \
     o.instance_id, v.uuid AS vm_uuid, v.name AS vm_name, v.display_name AS vm_display_name, \
     v.state AS vm_state, v.hypervisor AS vm_hypervisor, o.device_id, o.volume_type, o.size, \
     o.disk_offering_id, dk.uuid AS disk_offering_uuid, dk.name AS disk_offering_name, \
     dk.display_text AS disk_offering_display_text, o.template_id, t.uuid AS template_uuid, \
     t.name AS template_name, o.source_snapshot_id, sn.uuid AS source_snapshot_uuid, o.state, \
     o.path, o.provisioning, o.display_volume, o.attached, o.created, o.update_count, \
     u.download_state AS upload_state, u.download_pct AS upload_pct, \
     u.error_str AS upload_error";

const VIEW_FROM: &str = " FROM volume o JOIN account a ON a.id = o.account_id \
     JOIN domain d ON d.id = o.domain_id JOIN zone z ON z.id = o.zone_id \
     LEFT JOIN storage_pool p ON p.id = o.pool_id \
     LEFT JOIN vm_instance v ON v.id = o.instance_id \
     LEFT JOIN disk_offering dk ON dk.id = o.disk_offering_id \
     LEFT JOIN vm_template t ON t.id = o.template_id \
     LEFT JOIN snapshots sn ON sn.id = o.source_snapshot_id \
     LEFT JOIN volume_store_ref u ON u.volume_id = o.id WHERE o.removed IS NULL";

/// listVolumes' filters; owner scoping as in every list.
#[derive(Clone, Debug, Default)]
pub struct VolumeFilter {
    pub uuids: Vec<String>,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub subtree: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub pool_id: Option<i64>,
    pub host_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub disk_offering_id: Option<i64>,
    pub volume_type: Option<String>,
    pub state: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    pub display: Option<bool>,
}

impl VolumeFilter {
    fn apply(&self, sql: &mut Sql) {
        if !self.uuids.is_empty() {
            sql.and_in(
                "o.uuid",
                self.uuids.iter().map(|u| Bind::Str(u.clone())).collect(),
            );
        }
        if let Some(p) = &self.subtree {
            sql.and_prefix("d.path", p);
        }
        for (col, v) in [
            ("o.account_id", self.account_id),
            ("o.domain_id", self.domain_id),
            ("o.zone_id", self.zone_id),
            ("p.pod_id", self.pod_id),
            ("p.cluster_id", self.cluster_id),
            ("o.pool_id", self.pool_id),
            ("v.host_id", self.host_id),
            ("o.instance_id", self.instance_id),
            ("o.disk_offering_id", self.disk_offering_id),
        ] {
            if let Some(v) = v {
                sql.and(&format!("{col} = ?"), Bind::I64(v));
            }
        }
        if let Some(t) = &self.volume_type {
            sql.and("o.volume_type = ?", Bind::Str(t.to_uppercase()));
        }
        if let Some(s) = &self.state {
            sql.and("lower(o.state) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(n) = &self.name {
            sql.and("o.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(o.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
        if let Some(b) = self.display {
            sql.and("o.display_volume = ?", Bind::Bool(b));
        }
    }
}

impl Conn<'_> {
    pub async fn volume_view(&mut self, id: i64) -> Result<Option<VolumeView>> {
        let mut sql = Sql::new(&format!("{VIEW_COLUMNS}{VIEW_FROM}"));
        sql.and("o.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn volume_view_by_uuid(&mut self, uuid: &str) -> Result<Option<VolumeView>> {
        let mut sql = Sql::new(&format!("{VIEW_COLUMNS}{VIEW_FROM}"));
        sql.and("o.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_volumes(
        &mut self,
        f: &VolumeFilter,
        page: crate::sql::Page,
    ) -> Result<(i64, Vec<VolumeView>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){VIEW_FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{VIEW_COLUMNS}{VIEW_FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY o.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// What createVolume records besides [`NewVolume`]: its origin and visibility.
    pub async fn set_volume_origin(
        &mut self,
        id: i64,
        source_snapshot_id: Option<i64>,
        display: bool,
    ) -> Result<()> {
        const SQL: &str = "UPDATE volume SET source_snapshot_id = $1, display_volume = $2, \
             update_count = update_count + 1 WHERE id = $3";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(source_snapshot_id)
            .bind(display)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Records a volume attached to a VM at `device_id`; false when it is attached
    /// somewhere already (to this VM at this slot counts as done).
    pub async fn attach_volume_record(
        &mut self,
        id: i64,
        vm_id: i64,
        device_id: i32,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE volume SET update_count = update_count + 1");
        sql.push_bind(
            ", instance_id = ?, device_id = ?, attached = ? WHERE removed IS NULL",
            [
                Bind::I64(vm_id),
                Bind::I64(device_id.into()),
                Bind::Time(now),
            ],
        );
        sql.and("id = ?", Bind::I64(id));
        sql.push(" AND instance_id IS NULL");
        if self.execute(&sql).await? == 1 {
            return Ok(true);
        }
        let mut same = Sql::new("SELECT COUNT(*) FROM volume WHERE removed IS NULL");
        same.and("id = ?", Bind::I64(id));
        same.and("instance_id = ?", Bind::I64(vm_id));
        same.and("device_id = ?", Bind::I64(device_id.into()));
        Ok(self.fetch_count(&same).await? == 1)
    }

    /// Clears a volume's attachment to `vm_id` (no-op when not attached to it).
    pub async fn detach_volume_record(&mut self, id: i64, vm_id: i64) -> Result<()> {
        let mut sql = Sql::new(
            "UPDATE volume SET instance_id = NULL, device_id = NULL, attached = NULL, \
             update_count = update_count + 1 WHERE removed IS NULL",
        );
        sql.and("id = ?", Bind::I64(id));
        sql.and("instance_id = ?", Bind::I64(vm_id));
        self.execute(&sql).await?;
        Ok(())
    }

    /// Moves a volume from one of `from` to `to`; false when it was in none of them.
    pub async fn set_volume_state(&mut self, id: i64, from: &[&str], to: &str) -> Result<bool> {
        let mut sql = Sql::new("UPDATE volume SET update_count = update_count + 1");
        sql.push_bind(", state = ? WHERE removed IS NULL", [Bind::Str(to.into())]);
        sql.and("id = ?", Bind::I64(id));
        sql.and_in(
            "state",
            from.iter().map(|s| Bind::Str(s.to_string())).collect(),
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// Sets a volume's size and disk offering (a resize).
    pub async fn set_volume_size(
        &mut self,
        id: i64,
        size: i64,
        disk_offering_id: Option<i64>,
    ) -> Result<()> {
        let mut sql = Sql::new("UPDATE volume SET update_count = update_count + 1");
        sql.push_bind(", size = ?", [Bind::I64(size)]);
        if let Some(o) = disk_offering_id {
            sql.push_bind(", disk_offering_id = ?", [Bind::I64(o)]);
        }
        sql.push(" WHERE 1 = 1");
        sql.and("id = ?", Bind::I64(id));
        self.execute(&sql).await?;
        Ok(())
    }

    /// Points a Migrating volume at another pool; false when it is not on `from` (done
    /// already, or undone).
    pub async fn move_volume(
        &mut self,
        id: i64,
        from: i64,
        to: i64,
        to_state: &str,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE volume SET update_count = update_count + 1");
        sql.push_bind(
            ", pool_id = ?, state = ? WHERE removed IS NULL",
            [Bind::I64(to), Bind::Str(to_state.into())],
        );
        sql.and("id = ?", Bind::I64(id));
        sql.and("pool_id = ?", Bind::I64(from));
        Ok(self.execute(&sql).await? == 1)
    }

    /// Adds bytes to a pool's allocation without a capacity check (giving back what an
    /// undone move released).
    pub async fn take_pool_bytes(&mut self, pool_id: i64, bytes: i64) -> Result<()> {
        let mut sql = Sql::new("UPDATE storage_pool SET ");
        sql.push_bind(
            "allocated_bytes = allocated_bytes + ? WHERE 1 = 1",
            [Bind::I64(bytes)],
        );
        sql.and("id = ?", Bind::I64(pool_id));
        self.execute(&sql).await?;
        Ok(())
    }

    pub async fn volume_by_id(&mut self, id: i64) -> Result<Option<VolumeRow>> {
        let mut sql = Sql::new(COLUMNS);
        sql.and("o.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }
}
