//! Pods and their reserved system IP ranges.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PodRow {
    pub id: i64,
    pub uuid: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub zone_name: String,
    pub name: String,
    pub gateway: String,
    pub cidr: String,
    pub allocation_state: String,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PodRangeRow {
    pub id: i64,
    pub pod_id: i64,
    pub start_ip: String,
    pub end_ip: String,
    pub vlan: Option<String>,
    pub for_system_vms: bool,
}

const SELECT: &str = "SELECT p.id, p.uuid, p.zone_id, z.uuid AS zone_uuid, z.name AS zone_name, \
     p.name, p.gateway, p.cidr, p.allocation_state, p.created, p.update_count \
     FROM pod p JOIN zone z ON z.id = p.zone_id WHERE p.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct PodFilter {
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    pub name: Option<String>,
    pub allocation_state: Option<String>,
    pub keyword: Option<String>,
}

impl PodFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("p.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("p.zone_id = ?", Bind::I64(z));
        }
        if let Some(n) = &self.name {
            sql.and("p.name = ?", Bind::Str(n.clone()));
        }
        if let Some(s) = &self.allocation_state {
            sql.and("lower(p.allocation_state) = ?", Bind::Str(s.to_lowercase()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(p.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
    }
}

pub struct NewPod<'a> {
    pub uuid: &'a str,
    pub zone_id: i64,
    pub name: &'a str,
    pub gateway: &'a str,
    pub cidr: &'a str,
    pub allocation_state: &'a str,
}

impl Conn<'_> {
    pub async fn insert_pod(&mut self, p: &NewPod<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO pod (uuid, zone_id, name, gateway, cidr, allocation_state, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(p.uuid)
            .bind(p.zone_id)
            .bind(p.name)
            .bind(p.gateway)
            .bind(p.cidr)
            .bind(p.allocation_state)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn pod_by_id(&mut self, id: i64) -> Result<Option<PodRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("p.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn pod_by_uuid(&mut self, uuid: &str) -> Result<Option<PodRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("p.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_pods(&mut self, f: &PodFilter, page: Page) -> Result<(i64, Vec<PodRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM pod p WHERE p.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY p.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    pub async fn update_pod(&mut self, p: &PodRow) -> Result<bool> {
        const SQL: &str = "UPDATE pod SET name = $1, gateway = $2, cidr = $3, allocation_state = $4, \
             update_count = update_count + 1 WHERE id = $5 AND update_count = $6 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&p.name)
            .bind(&p.gateway)
            .bind(&p.cidr)
            .bind(&p.allocation_state)
            .bind(p.id)
            .bind(p.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    pub async fn insert_pod_range(
        &mut self,
        pod_id: i64,
        start: &str,
        end: &str,
        vlan: Option<&str>,
        for_system_vms: bool,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO pod_ip_range (pod_id, start_ip, end_ip, vlan, for_system_vms) \
             VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(pod_id)
            .bind(start)
            .bind(end)
            .bind(vlan)
            .bind(for_system_vms)
            .execute(&mut **c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn delete_pod_ranges(&mut self, pod_id: i64) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "DELETE FROM pod_ip_range WHERE pod_id = $1"
        )
        .bind(pod_id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Ranges of the given pods (all pods of a zone for overlap checks).
    pub async fn pod_ranges(&mut self, pod_ids: &[i64]) -> Result<Vec<PodRangeRow>> {
        let mut sql = Sql::new(
            "SELECT id, pod_id, start_ip, end_ip, vlan, for_system_vms FROM pod_ip_range WHERE 1 = 1",
        );
        sql.and_in("pod_id", pod_ids.iter().map(|i| Bind::I64(*i)).collect());
        sql.push(" ORDER BY id");
        self.fetch_all(&sql).await
    }
}
