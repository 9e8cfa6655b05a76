//! Primary storage pools, their tags, and key/value details of any resource.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoragePoolRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub pod_id: Option<i64>,
    pub pod_uuid: Option<String>,
    pub pod_name: Option<String>,
    pub cluster_id: Option<i64>,
    pub cluster_uuid: Option<String>,
    pub cluster_name: Option<String>,
    pub scope: String,
    pub pool_type: String,
    pub host_address: Option<String>,
    pub path: String,
    pub port: i64,
    pub url: String,
    pub provider: String,
    pub hypervisor: Option<String>,
    pub capacity_bytes: i64,
    pub used_bytes: i64,
    pub capacity_iops: Option<i64>,
    pub managed: bool,
    pub state: String,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const FROM: &str = " FROM storage_pool s JOIN zone z ON z.id = s.zone_id \
     LEFT JOIN pod p ON p.id = s.pod_id LEFT JOIN cluster c ON c.id = s.cluster_id \
     WHERE s.removed IS NULL";

const COLUMNS: &str = "SELECT s.id, s.uuid, s.name, s.zone_id, z.uuid AS zone_uuid, \
     z.name AS zone_name, s.pod_id, p.uuid AS pod_uuid, p.name AS pod_name, s.cluster_id, \
     c.uuid AS cluster_uuid, c.name AS cluster_name, s.scope, s.pool_type, s.host_address, \
     s.path, s.port, s.url, s.provider, s.hypervisor, s.capacity_bytes, s.used_bytes, \
     s.capacity_iops, s.managed, s.state, s.created, s.update_count";

#[derive(Clone, Debug, Default)]
pub struct StoragePoolFilter {
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub host_address: Option<String>,
    pub path: Option<String>,
    pub keyword: Option<String>,
}

impl StoragePoolFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("s.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(n) = &self.name {
            sql.and("s.name = ?", Bind::Str(n.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("s.zone_id = ?", Bind::I64(z));
        }
        if let Some(p) = self.pod_id {
            sql.and("s.pod_id = ?", Bind::I64(p));
        }
        if let Some(c) = self.cluster_id {
            sql.and("s.cluster_id = ?", Bind::I64(c));
        }
        if let Some(s) = &self.scope {
            sql.and("lower(s.scope) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(s) = &self.state {
            sql.and("lower(s.state) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(h) = &self.host_address {
            sql.and("s.host_address = ?", Bind::Str(h.clone()));
        }
        if let Some(p) = &self.path {
            sql.and("s.path = ?", Bind::Str(p.clone()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(s.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

pub struct NewStoragePool<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub scope: &'a str,
    pub pool_type: &'a str,
    pub host_address: Option<&'a str>,
    pub path: &'a str,
    pub port: i64,
    pub url: &'a str,
    pub provider: &'a str,
    pub hypervisor: Option<&'a str>,
    pub capacity_bytes: i64,
    pub capacity_iops: Option<i64>,
    pub managed: bool,
    pub state: &'a str,
}

impl Conn<'_> {
    pub async fn insert_storage_pool(
        &mut self,
        p: &NewStoragePool<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO storage_pool (uuid, name, zone_id, pod_id, cluster_id, \
             scope, pool_type, host_address, path, port, url, provider, hypervisor, \
             capacity_bytes, used_bytes, capacity_iops, managed, state, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $16, \
             $17, $18) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(p.uuid)
            .bind(p.name)
            .bind(p.zone_id)
            .bind(p.pod_id)
            .bind(p.cluster_id)
            .bind(p.scope)
            .bind(p.pool_type)
            .bind(p.host_address)
            .bind(p.path)
            .bind(p.port)
            .bind(p.url)
            .bind(p.provider)
            .bind(p.hypervisor)
            .bind(p.capacity_bytes)
            .bind(p.capacity_iops)
            .bind(p.managed)
            .bind(p.state)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn storage_pool_by_id(&mut self, id: i64) -> Result<Option<StoragePoolRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("s.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn storage_pool_by_uuid(&mut self, uuid: &str) -> Result<Option<StoragePoolRow>> {
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        sql.and("s.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_storage_pools(
        &mut self,
        f: &StoragePoolFilter,
        page: Page,
    ) -> Result<(i64, Vec<StoragePoolRow>)> {
        let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(&format!("{COLUMNS}{FROM}"));
        f.apply(&mut sql);
        sql.push(" ORDER BY s.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves a changed pool unless another writer changed it first.
    pub async fn update_storage_pool(&mut self, p: &StoragePoolRow) -> Result<bool> {
        const SQL: &str = "UPDATE storage_pool SET name = $1, capacity_bytes = $2, \
             capacity_iops = $3, state = $4, update_count = update_count + 1 \
             WHERE id = $5 AND update_count = $6 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&p.name)
            .bind(p.capacity_bytes)
            .bind(p.capacity_iops)
            .bind(&p.state)
            .bind(p.id)
            .bind(p.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Tags of a pool, in name order.
    pub async fn storage_pool_tags(&mut self, pool_id: i64) -> Result<Vec<String>> {
        const SQL: &str = "SELECT tag FROM storage_pool_tag WHERE pool_id = $1 ORDER BY tag";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, String>(SQL)
            .bind(pool_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Replaces the tags of a pool.
    pub async fn set_storage_pool_tags(&mut self, pool_id: i64, tags: &[String]) -> Result<()> {
        const DELETE: &str = "DELETE FROM storage_pool_tag WHERE pool_id = $1";
        const INSERT: &str = "INSERT INTO storage_pool_tag (pool_id, tag) VALUES ($1, $2) \
             ON CONFLICT (pool_id, tag) DO NOTHING";
        on_conn!(self, |c| sqlx::query(DELETE)
            .bind(pool_id)
            .execute(&mut **c)
            .await?
            .rows_affected());
        for tag in tags {
            on_conn!(self, |c| sqlx::query(INSERT)
                .bind(pool_id)
                .bind(tag)
                .execute(&mut **c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Key/value details of one resource (`resource_detail`), in name order.
    pub async fn details_of_resource(
        &mut self,
        resource_type: &str,
        resource_id: i64,
    ) -> Result<Vec<(String, String)>> {
        const SQL: &str = "SELECT name, value FROM resource_detail \
             WHERE resource_type = $1 AND resource_id = $2 ORDER BY name";
        Ok(on_conn!(self, |c| sqlx::query_as::<_, (String, String)>(
            SQL
        )
        .bind(resource_type)
        .bind(resource_id)
        .fetch_all(&mut **c)
        .await?))
    }

    /// Sets one detail of a resource, replacing an earlier value.
    pub async fn put_resource_detail(
        &mut self,
        resource_type: &str,
        resource_id: i64,
        name: &str,
        value: &str,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO resource_detail (resource_type, resource_id, name, value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (resource_type, resource_id, name) \
             DO UPDATE SET value = excluded.value";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(resource_type)
            .bind(resource_id)
            .bind(name)
            .bind(value)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }
}
