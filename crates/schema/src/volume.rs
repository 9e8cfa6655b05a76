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

    pub async fn set_volume_pool(&mut self, id: i64, pool_id: i64) -> Result<()> {
        const SQL: &str = "UPDATE volume SET pool_id = $1, update_count = update_count + 1 \
             WHERE id = $2";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(pool_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
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
