//! Compute (service) offerings. Each row points at the disk offering of its root disk,
//! whose properties are read with it.

use chrono::{DateTime, Utc};

use crate::disk_offering::{DiskProps, PROPS_COLUMNS};
use crate::offering::{OfferingKind, ScopeFilter};
use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ServiceOfferingRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub display_text: String,
    pub cpu: Option<i64>,
    pub speed: Option<i64>,
    pub ram_size: Option<i64>,
    pub min_cpu: Option<i64>,
    pub max_cpu: Option<i64>,
    pub min_memory: Option<i64>,
    pub max_memory: Option<i64>,
    pub customized: bool,
    pub offer_ha: bool,
    pub limit_cpu_use: bool,
    pub is_volatile: bool,
    pub host_tags: Option<String>,
    pub network_rate: Option<i64>,
    pub system_use: bool,
    pub vm_type: Option<String>,
    pub default_use: bool,
    pub dynamic_scaling_enabled: bool,
    pub disk_offering_strictness: bool,
    pub disk_offering_id: i64,
    pub state: String,
    pub sort_key: i64,
    pub created: DateTime<Utc>,
    pub update_count: i64,
    /// The root disk's offering.
    pub disk_offering_uuid: String,
    pub disk_offering_name: String,
    pub disk_offering_display_text: String,
    pub disk_compute_only: bool,
    pub root_disk_size_gb: i64,
    #[sqlx(flatten)]
    pub disk: DiskProps,
}

fn select() -> String {
    format!(
        "SELECT so.id, so.uuid, so.name, so.display_text, so.cpu, so.speed, so.ram_size, \
         so.min_cpu, so.max_cpu, so.min_memory, so.max_memory, so.customized, so.offer_ha, \
         so.limit_cpu_use, so.is_volatile, so.host_tags, so.network_rate, so.system_use, \
         so.vm_type, so.default_use, so.dynamic_scaling_enabled, so.disk_offering_strictness, \
         so.disk_offering_id, so.state, so.sort_key, so.created, so.update_count, \
         dk.uuid AS disk_offering_uuid, dk.name AS disk_offering_name, \
         dk.display_text AS disk_offering_display_text, dk.compute_only AS disk_compute_only, \
         dk.disk_size_gb AS root_disk_size_gb, {PROPS_COLUMNS} {FROM}"
    )
}

const FROM: &str = "FROM service_offering so JOIN disk_offering dk ON dk.id = so.disk_offering_id \
     WHERE so.removed IS NULL";

pub struct NewServiceOffering<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub display_text: &'a str,
    pub unique_name: Option<&'a str>,
    pub cpu: Option<i64>,
    pub speed: Option<i64>,
    pub ram_size: Option<i64>,
    pub min_cpu: Option<i64>,
    pub max_cpu: Option<i64>,
    pub min_memory: Option<i64>,
    pub max_memory: Option<i64>,
    pub customized: bool,
    pub offer_ha: bool,
    pub limit_cpu_use: bool,
    pub is_volatile: bool,
    pub host_tags: Option<&'a str>,
    pub network_rate: Option<i64>,
    pub system_use: bool,
    pub vm_type: Option<&'a str>,
    pub default_use: bool,
    pub dynamic_scaling_enabled: bool,
    pub disk_offering_strictness: bool,
    pub disk_offering_id: i64,
}

#[derive(Clone, Debug, Default)]
pub struct ServiceOfferingFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub keyword: Option<String>,
    /// `None`: every state.
    pub state: Option<String>,
    pub system: Option<bool>,
    pub vm_type: Option<String>,
    pub local_storage: Option<bool>,
    pub encrypt_root: Option<bool>,
    /// Offerings that can run a VM with this many CPUs / MiB / MHz.
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    pub speed: Option<i64>,
    pub scope: ScopeFilter,
}

/// A fixed offering fits `n` when it has at least `n`; a customized one when `n` is
/// within its bounds (an absent bound does not limit).
fn fits(sql: &mut Sql, fixed: &str, min: &str, max: &str, n: i64) {
    sql.push(" AND ");
    sql.push_bind(
        &format!(
            "(so.{fixed} >= ? OR (so.{fixed} IS NULL AND (so.{min} IS NULL OR so.{min} <= ?) \
             AND (so.{max} IS NULL OR so.{max} >= ?)))"
        ),
        [Bind::I64(n), Bind::I64(n), Bind::I64(n)],
    );
}

impl ServiceOfferingFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("so.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("so.name = ?", Bind::Str(n.clone()));
        }
        if let Some(k) = &self.keyword {
            let pattern = crate::domain::like(k);
            sql.push(" AND ");
            sql.push_bind(
                "(lower(so.name) LIKE ? OR lower(so.display_text) LIKE ?)",
                [Bind::Str(pattern.clone()), Bind::Str(pattern)],
            );
        }
        if let Some(s) = &self.state {
            sql.and("so.state = ?", Bind::Str(s.clone()));
        }
        if let Some(s) = self.system {
            sql.and("so.system_use = ?", Bind::Bool(s));
        }
        if let Some(t) = &self.vm_type {
            sql.and("so.vm_type = ?", Bind::Str(t.clone()));
        }
        if let Some(l) = self.local_storage {
            sql.and("dk.use_local_storage = ?", Bind::Bool(l));
        }
        if let Some(e) = self.encrypt_root {
            sql.and("dk.encrypt = ?", Bind::Bool(e));
        }
        if let Some(n) = self.cpu {
            fits(sql, "cpu", "min_cpu", "max_cpu", n);
        }
        if let Some(n) = self.memory {
            fits(sql, "ram_size", "min_memory", "max_memory", n);
        }
        if let Some(n) = self.speed {
            sql.and("(so.speed IS NULL OR so.speed >= ?)", Bind::I64(n));
        }
        self.scope.apply(sql, OfferingKind::Service, "so");
    }
}

impl Conn<'_> {
    pub async fn insert_service_offering(
        &mut self,
        o: &NewServiceOffering<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO service_offering (uuid, name, display_text, unique_name, \
             cpu, speed, ram_size, min_cpu, max_cpu, min_memory, max_memory, customized, offer_ha, \
             limit_cpu_use, is_volatile, host_tags, network_rate, system_use, vm_type, \
             default_use, dynamic_scaling_enabled, disk_offering_strictness, disk_offering_id, \
             state, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 'Active', $24) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(o.uuid)
            .bind(o.name)
            .bind(o.display_text)
            .bind(o.unique_name)
            .bind(o.cpu)
            .bind(o.speed)
            .bind(o.ram_size)
            .bind(o.min_cpu)
            .bind(o.max_cpu)
            .bind(o.min_memory)
            .bind(o.max_memory)
            .bind(o.customized)
            .bind(o.offer_ha)
            .bind(o.limit_cpu_use)
            .bind(o.is_volatile)
            .bind(o.host_tags)
            .bind(o.network_rate)
            .bind(o.system_use)
            .bind(o.vm_type)
            .bind(o.default_use)
            .bind(o.dynamic_scaling_enabled)
            .bind(o.disk_offering_strictness)
            .bind(o.disk_offering_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn service_offering_by_id(&mut self, id: i64) -> Result<Option<ServiceOfferingRow>> {
        let mut sql = Sql::new(&select());
        sql.and("so.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn service_offering_by_uuid(
        &mut self,
        uuid: &str,
    ) -> Result<Option<ServiceOfferingRow>> {
        let mut sql = Sql::new(&select());
        sql.and("so.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// True when an offering with this unique name was ever created (even if removed).
    pub async fn service_offering_seeded(&mut self, unique_name: &str) -> Result<bool> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM service_offering WHERE 1 = 1");
        sql.and("unique_name = ?", Bind::Str(unique_name.into()));
        Ok(self.fetch_count(&sql).await? > 0)
    }

    pub async fn list_service_offerings(
        &mut self,
        f: &ServiceOfferingFilter,
        page: Page,
    ) -> Result<(i64, Vec<ServiceOfferingRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*) {FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&select());
        f.apply(&mut sql);
        sql.push(" ORDER BY so.sort_key, so.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves the changeable columns unless another writer changed the row first.
    pub async fn update_service_offering(&mut self, o: &ServiceOfferingRow) -> Result<bool> {
        const SQL: &str = "UPDATE service_offering SET name = $1, display_text = $2, \
             host_tags = $3, state = $4, sort_key = $5, update_count = update_count + 1 \
             WHERE id = $6 AND update_count = $7 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&o.name)
            .bind(&o.display_text)
            .bind(&o.host_tags)
            .bind(&o.state)
            .bind(o.sort_key)
            .bind(o.id)
            .bind(o.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Soft-deletes a compute offering.
    pub async fn remove_service_offering(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        const SQL: &str = "UPDATE service_offering SET removed = $1, state = 'Inactive', \
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
