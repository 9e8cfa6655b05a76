//! Zones (CloudStack's data centers).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ZoneRow {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub network_type: String,
    pub dns1: String,
    pub dns2: Option<String>,
    pub internal_dns1: String,
    pub internal_dns2: Option<String>,
    pub ip6_dns1: Option<String>,
    pub ip6_dns2: Option<String>,
    pub guest_cidr: Option<String>,
    pub network_domain: Option<String>,
    pub domain_id: Option<i64>,
    pub domain_uuid: Option<String>,
    pub domain_name: Option<String>,
    pub domain_path: Option<String>,
    pub allocation_state: String,
    pub local_storage_enabled: bool,
    pub security_group_enabled: bool,
    pub is_edge: bool,
    pub created: DateTime<Utc>,
    pub update_count: i64,
}

const SELECT: &str = "SELECT z.id, z.uuid, z.name, z.description, z.network_type, z.dns1, \
     z.dns2, z.internal_dns1, z.internal_dns2, z.ip6_dns1, z.ip6_dns2, z.guest_cidr, \
     z.network_domain, z.domain_id, d.uuid AS domain_uuid, d.name AS domain_name, \
     d.path AS domain_path, z.allocation_state, z.local_storage_enabled, \
     z.security_group_enabled, z.is_edge, z.created, z.update_count \
     FROM zone z LEFT JOIN domain d ON d.id = z.domain_id WHERE z.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct ZoneFilter {
    pub uuid: Option<String>,
    pub uuids: Option<Vec<String>>,
    pub name: Option<String>,
    pub network_type: Option<String>,
    pub keyword: Option<String>,
    /// Only enabled zones.
    pub enabled_only: bool,
    /// Only zones not dedicated, or dedicated to a domain on this path (or above it).
    pub visible_to_path: Option<String>,
}

impl ZoneFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("z.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(ids) = &self.uuids {
            sql.and_in("z.uuid", ids.iter().cloned().map(Bind::Str).collect());
        }
        if let Some(n) = &self.name {
            sql.and("z.name = ?", Bind::Str(n.clone()));
        }
        if let Some(t) = &self.network_type {
            sql.and("lower(z.network_type) = ?", Bind::Str(t.to_lowercase()));
        }
        if let Some(k) = &self.keyword {
            sql.and("lower(z.name) LIKE ?", Bind::Str(crate::domain::like(k)));
        }
        if self.enabled_only {
            sql.push(" AND z.allocation_state = 'Enabled'");
        }
        if let Some(p) = &self.visible_to_path {
            // A zone dedicated to domain D is visible inside D's subtree.
            sql.push(" AND (z.domain_id IS NULL OR ");
            sql.push_bind(
                "substr(?, 1, length(d.path)) = d.path",
                [Bind::Str(p.clone())],
            );
            sql.push(")");
        }
    }
}

pub struct NewZone<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub network_type: &'a str,
    pub dns1: &'a str,
    pub dns2: Option<&'a str>,
    pub internal_dns1: &'a str,
    pub internal_dns2: Option<&'a str>,
    pub ip6_dns1: Option<&'a str>,
    pub ip6_dns2: Option<&'a str>,
    pub guest_cidr: Option<&'a str>,
    pub network_domain: Option<&'a str>,
    pub domain_id: Option<i64>,
    pub allocation_state: &'a str,
    pub local_storage_enabled: bool,
    pub security_group_enabled: bool,
    pub is_edge: bool,
}

impl Conn<'_> {
    pub async fn insert_zone(&mut self, z: &NewZone<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO zone (uuid, name, description, network_type, dns1, dns2, \
             internal_dns1, internal_dns2, ip6_dns1, ip6_dns2, guest_cidr, network_domain, domain_id, \
             allocation_state, local_storage_enabled, security_group_enabled, is_edge, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(z.uuid)
            .bind(z.name)
            .bind(z.description)
            .bind(z.network_type)
            .bind(z.dns1)
            .bind(z.dns2)
            .bind(z.internal_dns1)
            .bind(z.internal_dns2)
            .bind(z.ip6_dns1)
            .bind(z.ip6_dns2)
            .bind(z.guest_cidr)
            .bind(z.network_domain)
            .bind(z.domain_id)
            .bind(z.allocation_state)
            .bind(z.local_storage_enabled)
            .bind(z.security_group_enabled)
            .bind(z.is_edge)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    pub async fn zone_by_id(&mut self, id: i64) -> Result<Option<ZoneRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("z.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn zone_by_uuid(&mut self, uuid: &str) -> Result<Option<ZoneRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("z.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn zone_by_name(&mut self, name: &str) -> Result<Option<ZoneRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("z.name = ?", Bind::Str(name.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_zones(&mut self, f: &ZoneFilter, page: Page) -> Result<(i64, Vec<ZoneRow>)> {
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM zone z LEFT JOIN domain d ON d.id = z.domain_id WHERE z.removed IS NULL",
        );
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY z.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// Saves a changed zone unless another writer changed it first.
    pub async fn update_zone(&mut self, z: &ZoneRow) -> Result<bool> {
        const SQL: &str = "UPDATE zone SET name = $1, description = $2, dns1 = $3, dns2 = $4, \
             internal_dns1 = $5, internal_dns2 = $6, ip6_dns1 = $7, ip6_dns2 = $8, guest_cidr = $9, \
             network_domain = $10, allocation_state = $11, local_storage_enabled = $12, \
             update_count = update_count + 1 WHERE id = $13 AND update_count = $14 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(&z.name)
            .bind(&z.description)
            .bind(&z.dns1)
            .bind(&z.dns2)
            .bind(&z.internal_dns1)
            .bind(&z.internal_dns2)
            .bind(&z.ip6_dns1)
            .bind(&z.ip6_dns2)
            .bind(&z.guest_cidr)
            .bind(&z.network_domain)
            .bind(&z.allocation_state)
            .bind(z.local_storage_enabled)
            .bind(z.id)
            .bind(z.update_count)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Soft-deletes a row of any inventory table by id (`table` is a fixed name).
    pub async fn remove_row(
        &mut self,
        table: InventoryTable,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET removed = $1 WHERE id = $2 AND removed IS NULL",
            table.name()
        );
        Ok(on_conn!(self, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected())
            == 1)
    }

    /// Live rows of `table` whose `column` equals `id` (for "still in use" checks).
    pub async fn count_children(
        &mut self,
        table: InventoryTable,
        column: &str,
        id: i64,
    ) -> Result<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) FROM {} WHERE removed IS NULL",
            table.name()
        ));
        sql.and(&format!("{column} = ?"), Bind::I64(id));
        self.fetch_count(&sql).await
    }
}

/// Inventory tables that are soft-deleted with a `removed` column.
#[derive(Clone, Copy, Debug)]
pub enum InventoryTable {
    Zone,
    Pod,
    Cluster,
    Host,
    PhysicalNetwork,
    Vlan,
    StoragePool,
    ImageStore,
}

impl InventoryTable {
    pub fn name(self) -> &'static str {
        match self {
            InventoryTable::Zone => "zone",
            InventoryTable::Pod => "pod",
            InventoryTable::Cluster => "cluster",
            InventoryTable::Host => "host",
            InventoryTable::PhysicalNetwork => "physical_network",
            InventoryTable::Vlan => "vlan",
            InventoryTable::StoragePool => "storage_pool",
            InventoryTable::ImageStore => "image_store",
        }
    }
}
