//! Clusters: groups of hosts of one hypervisor type in a pod.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClusterRow {
    pub id: i64,
    pub uuid: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub pod_id: i64,
    pub pod_uuid: String,
    pub pod_name: String,
    pub name: String,
    pub hypervisor: String,
    pub cluster_type: String,
    pub arch: String,
    pub allocation_state: String,
    pub managed_state: String,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const SELECT: &str = "SELECT c.id, c.uuid, c.zone_id, z.uuid AS zone_uuid, z.name AS zone_name, \
     c.pod_id, p.uuid AS pod_uuid, p.name AS pod_name, c.name, c.hypervisor, c.cluster_type, \
     c.arch, c.allocation_state, c.managed_state, c.created, c.update_count \
     FROM cluster c JOIN zone z ON z.id = c.zone_id JOIN pod p ON p.id = c.pod_id \
     WHERE c.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct ClusterFilter {
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub name: Option<String>,
    pub hypervisor: Option<String>,
    pub cluster_type: Option<String>,
    pub allocation_state: Option<String>,
    pub managed_state: Option<String>,
    pub arch: Option<String>,
    pub keyword: Option<String>,
}

impl ClusterFilter {
    fn apply(&self, sql: &mut Sql) {
        let eq_ci = |sql: &mut Sql, col: &str, v: &Option<String>| {
            if let Some(v) = v {
                sql.and(&format!("lower({col}) = ?"), Bind::Str(v.to_lowercase()));
            }
        };
        if let Some(u) = &self.uuid {
            sql.and("c.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("c.zone_id = ?", Bind::I64(z));
        }
        if let Some(p) = self.pod_id {
            sql.and("c.pod_id = ?", Bind::I64(p));
        }
        if let Some(n) = &self.name {
            sql.and("c.name = ?", Bind::Str(n.clone()));
        }
        eq_ci(sql, "c.hypervisor", &self.hypervisor);
        eq_ci(sql, "c.cluster_type", &self.cluster_type);
        eq_ci(sql, "c.allocation_state", &self.allocation_state);
        eq_ci(sql, "c.managed_state", &self.managed_state);
        eq_ci(sql, "c.arch", &self.arch);
        if let Some(k) = &self.keyword {
            sql.and("lower(c.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

pub struct NewCluster<'a> {
    pub uuid: &'a str,
    pub zone_id: i64,
    pub pod_id: i64,
    pub name: &'a str,
    pub hypervisor: &'a str,
    pub cluster_type: &'a str,
    pub arch: &'a str,
    pub allocation_state: &'a str,
}

impl Conn<'_> {
    pub async fn insert_cluster(&mut self, c: &NewCluster<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO cluster (uuid, zone_id, pod_id, name, hypervisor, cluster_type, \
             arch, allocation_state, managed_state, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Managed', $9) RETURNING id";
        Ok(on_conn!(self, |conn| sqlx::query_scalar::<_, i64>(SQL)
            .bind(c.uuid)
            .bind(c.zone_id)
            .bind(c.pod_id)
            .bind(c.name)
            .bind(c.hypervisor)
            .bind(c.cluster_type)
            .bind(c.arch)
            .bind(c.allocation_state)
            .bind(now)
            .fetch_one(&mut **conn)
            .await?))
    }

    pub async fn cluster_by_id(&mut self, id: i64) -> Result<Option<ClusterRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("c.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn cluster_by_uuid(&mut self, uuid: &str) -> Result<Option<ClusterRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("c.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_clusters(
        &mut self,
        f: &ClusterFilter,
        page: Page,
    ) -> Result<(i64, Vec<ClusterRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM cluster c WHERE c.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY c.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_cluster(&mut self, c: &ClusterRow) -> Result<bool> {
        const SQL: &str = "UPDATE cluster SET name = $1, cluster_type = $2, arch = $3, \
             allocation_state = $4, managed_state = $5, update_count = update_count + 1 \
             WHERE id = $6 AND update_count = $7 AND removed IS NULL";
        Ok(on_conn!(self, |conn| sqlx::query(SQL)
            .bind(&c.name)
            .bind(&c.cluster_type)
            .bind(&c.arch)
            .bind(&c.allocation_state)
            .bind(&c.managed_state)
            .bind(c.id)
            .bind(c.update_count)
            .execute(&mut **conn)
            .await?
            .rows_affected())
            == 1)
    }
}
