//! IP ranges (CloudStack's `vlan` table): public ranges with their addresses (`public_ip`,
//! one row per address, as CloudStack's `user_ip_address`), and direct ranges of a shared
//! guest network (`network_id` set; their addresses are the network's NICs).

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Page, Sql};
use crate::{Conn, Result, on_conn};

/// State of an address nobody holds.
pub const IP_FREE: &str = "Free";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VlanRow {
    pub id: i64,
    pub uuid: String,
    pub zone_id: i64,
    pub zone_uuid: String,
    pub pod_id: Option<i64>,
    pub pod_uuid: Option<String>,
    pub pod_name: Option<String>,
    pub physical_network_id: Option<i64>,
    pub physical_network_uuid: Option<String>,
    /// The shared guest network of a direct range.
    pub network_id: Option<i64>,
    pub network_uuid: Option<String>,
    pub vlan_tag: String,
    pub gateway: Option<String>,
    pub netmask: Option<String>,
    pub start_ip: Option<String>,
    pub end_ip: Option<String>,
    pub for_virtual_network: bool,
    pub for_system_vms: bool,
    /// Set when the range is dedicated to an account.
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    /// The dedicated domain, or the dedicated account's domain.
    pub domain_id: Option<i64>,
    pub domain_uuid: Option<String>,
    pub domain_name: Option<String>,
    pub domain_path: Option<String>,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT v.id, v.uuid, v.zone_id, z.uuid AS zone_uuid, v.pod_id, \
     p.uuid AS pod_uuid, p.name AS pod_name, v.physical_network_id, \
     n.uuid AS physical_network_uuid, v.network_id, g.uuid AS network_uuid, v.vlan_tag, v.gateway, v.netmask, v.start_ip, v.end_ip, \
     v.for_virtual_network, v.for_system_vms, v.account_id, a.name AS account_name, v.domain_id, \
     d.uuid AS domain_uuid, d.name AS domain_name, d.path AS domain_path, v.created \
     FROM vlan v JOIN zone z ON z.id = v.zone_id LEFT JOIN pod p ON p.id = v.pod_id \
     LEFT JOIN physical_network n ON n.id = v.physical_network_id \
     LEFT JOIN network g ON g.id = v.network_id \
     LEFT JOIN account a ON a.id = v.account_id LEFT JOIN domain d ON d.id = v.domain_id \
     WHERE v.removed IS NULL";

#[derive(Clone, Debug, Default)]
pub struct VlanFilter {
    pub uuid: Option<String>,
    pub zone_id: Option<i64>,
    pub pod_id: Option<i64>,
    pub physical_network_id: Option<i64>,
    /// Direct ranges of this network.
    pub network_id: Option<i64>,
    /// Exact stored tag (`vlan://50`, `untagged`).
    pub vlan_tag: Option<String>,
    pub for_virtual_network: Option<bool>,
    /// Ranges dedicated to this account.
    pub account_id: Option<i64>,
    /// Ranges dedicated to this domain as a whole (not to one of its accounts).
    pub domain_id: Option<i64>,
    pub keyword: Option<String>,
}

impl VlanFilter {
    fn apply(&self, sql: &mut Sql) {
        if let Some(u) = &self.uuid {
            sql.and("v.uuid = ?", Bind::Str(u.clone()));
        }
        if let Some(z) = self.zone_id {
            sql.and("v.zone_id = ?", Bind::I64(z));
        }
        if let Some(p) = self.pod_id {
            sql.and("v.pod_id = ?", Bind::I64(p));
        }
        if let Some(n) = self.physical_network_id {
            sql.and("v.physical_network_id = ?", Bind::I64(n));
        }
        if let Some(n) = self.network_id {
            sql.and("v.network_id = ?", Bind::I64(n));
        }
        if let Some(t) = &self.vlan_tag {
            sql.and("lower(v.vlan_tag) = ?", Bind::Str(t.to_lowercase()));
        }
        if let Some(b) = self.for_virtual_network {
            sql.and("v.for_virtual_network = ?", Bind::Bool(b));
        }
        if let Some(a) = self.account_id {
            sql.and("v.account_id = ?", Bind::I64(a));
        }
        if let Some(d) = self.domain_id {
            sql.and("v.domain_id = ?", Bind::I64(d));
            sql.push(" AND v.account_id IS NULL");
        }
        if let Some(k) = &self.keyword {
            sql.and(
                "lower(v.vlan_tag) LIKE ?",
                Bind::Str(crate::domain::like(k)),
            );
        }
    }
}

pub struct NewVlan<'a> {
    pub uuid: &'a str,
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub physical_network_id: Option<i64>,
    pub network_id: Option<i64>,
    pub vlan_tag: &'a str,
    pub gateway: &'a str,
    pub netmask: &'a str,
    pub start_ip: &'a str,
    pub end_ip: &'a str,
    pub for_virtual_network: bool,
    pub for_system_vms: bool,
    pub account_id: Option<i64>,
    pub domain_id: Option<i64>,
}

/// Rows per multi-row INSERT of addresses (6 values each, under SQLite's 999 limit).
const IP_BATCH: usize = 150;

impl Conn<'_> {
    pub async fn insert_vlan(&mut self, v: &NewVlan<'_>, now: DateTime<Utc>) -> Result<i64> {
        const SQL: &str = "INSERT INTO vlan (uuid, zone_id, pod_id, physical_network_id, network_id, \
             vlan_tag, gateway, netmask, start_ip, end_ip, for_virtual_network, for_system_vms, \
             account_id, domain_id, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(v.uuid)
            .bind(v.zone_id)
            .bind(v.pod_id)
            .bind(v.physical_network_id)
            .bind(v.network_id)
            .bind(v.vlan_tag)
            .bind(v.gateway)
            .bind(v.netmask)
            .bind(v.start_ip)
            .bind(v.end_ip)
            .bind(v.for_virtual_network)
            .bind(v.for_system_vms)
            .bind(v.account_id)
            .bind(v.domain_id)
            .bind(now)
            .fetch_one(&mut **c)
            .await?))
    }

    /// Adds one `Free` address row per `(uuid, address)` of a range.
    pub async fn insert_public_ips(
        &mut self,
        vlan_id: i64,
        zone_id: i64,
        addresses: &[(String, String)],
    ) -> Result<()> {
        for chunk in addresses.chunks(IP_BATCH) {
            let mut sql = Sql::new(
                "INSERT INTO public_ip (uuid, vlan_id, zone_id, address, state, source_nat) VALUES ",
            );
            for (i, (uuid, address)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push_bind(
                    "(?, ?, ?, ?, ?, ?)",
                    [
                        Bind::Str(uuid.clone()),
                        Bind::I64(vlan_id),
                        Bind::I64(zone_id),
                        Bind::Str(address.clone()),
                        Bind::Str(IP_FREE.into()),
                        Bind::Bool(false),
                    ],
                );
            }
            self.execute(&sql).await?;
        }
        Ok(())
    }

    pub async fn vlan_by_id(&mut self, id: i64) -> Result<Option<VlanRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("v.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn vlan_by_uuid(&mut self, uuid: &str) -> Result<Option<VlanRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("v.uuid = ?", Bind::Str(uuid.into()));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    pub async fn list_vlans(&mut self, f: &VlanFilter, page: Page) -> Result<(i64, Vec<VlanRow>)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM vlan v WHERE v.removed IS NULL");
        f.apply(&mut count);
        let total = self.fetch_count(&count).await?;
        let mut sql = Sql::new(SELECT);
        f.apply(&mut sql);
        sql.push(" ORDER BY v.id");
        page.apply(&mut sql);
        Ok((total, self.fetch_all(&sql).await?))
    }

    /// The (start, end) addresses of a network's live direct ranges. On PostgreSQL the
    /// rows stay share-locked until the transaction ends: removing a range (an UPDATE)
    /// waits for a NIC being given one of its addresses, and an allocation that starts
    /// after a removal does not see the range. (SQLite's write transactions exclude each
    /// other.)
    pub async fn direct_ranges(&mut self, network_id: i64) -> Result<Vec<(String, String)>> {
        let mut sql = Sql::new("SELECT start_ip, end_ip FROM vlan WHERE removed IS NULL");
        sql.and("network_id = ?", Bind::I64(network_id));
        sql.push(" AND start_ip IS NOT NULL AND end_ip IS NOT NULL ORDER BY id");
        if let Conn::Postgres(_) = self {
            sql.push(" FOR SHARE");
        }
        self.fetch_all(&sql).await
    }

    /// Removes a network's direct ranges (with the network).
    pub async fn remove_direct_ranges(
        &mut self,
        network_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        const SQL: &str = "UPDATE vlan SET removed = $1 WHERE network_id = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(now)
            .bind(network_id)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }

    /// Addresses of a range that are held by someone (not `Free`, or ever allocated).
    pub async fn count_used_ips(&mut self, vlan_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM public_ip WHERE 1 = 1");
        sql.and("vlan_id = ?", Bind::I64(vlan_id));
        sql.and(
            "(state <> ? OR allocated IS NOT NULL)",
            Bind::Str(IP_FREE.into()),
        );
        self.fetch_count(&sql).await
    }

    /// Addresses of a range, whatever their state.
    pub async fn count_ips(&mut self, vlan_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM public_ip WHERE 1 = 1");
        sql.and("vlan_id = ?", Bind::I64(vlan_id));
        self.fetch_count(&sql).await
    }

    /// Held addresses in the live ranges of a physical network.
    pub async fn count_used_ips_of_network(&mut self, physical_network_id: i64) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) FROM public_ip i JOIN vlan v ON v.id = i.vlan_id \
             WHERE v.removed IS NULL",
        );
        sql.and("v.physical_network_id = ?", Bind::I64(physical_network_id));
        sql.and(
            "(i.state <> ? OR i.allocated IS NOT NULL)",
            Bind::Str(IP_FREE.into()),
        );
        self.fetch_count(&sql).await
    }

    /// Deletes the address rows of a range (CloudStack deletes them with the range).
    pub async fn delete_public_ips(&mut self, vlan_id: i64) -> Result<u64> {
        Ok(on_conn!(self, |c| sqlx::query(
            "DELETE FROM public_ip WHERE vlan_id = $1"
        )
        .bind(vlan_id)
        .execute(&mut **c)
        .await?
        .rows_affected()))
    }
}
