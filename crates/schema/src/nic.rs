//! NICs: an instance's attachment to a guest network, with its address and MAC.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Sql};
use crate::{Conn, Result, on_conn};

pub const NIC_ALLOCATED: &str = "Allocated";
pub const NIC_RESERVED: &str = "Reserved";
pub const NIC_RELEASED: &str = "Released";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NicRow {
    pub id: i64,
    pub uuid: String,
    pub instance_id: i64,
    pub network_id: i64,
    pub network_uuid: String,
    pub network_name: String,
    /// Isolated, Shared or L2.
    pub guest_type: String,
    pub traffic_type: String,
    /// The network's `vlan://N`, `vxlan://N` or `vlan://untagged` (None until implemented).
    pub broadcast_uri: Option<String>,
    pub ip4_address: Option<String>,
    pub netmask: Option<String>,
    pub gateway: Option<String>,
    pub mac_address: String,
    pub device_id: i32,
    pub is_default: bool,
    pub state: String,
    pub reservation_id: Option<String>,
    pub created: DateTime<Utc>,
}

const SELECT: &str = "SELECT c.id, c.uuid, c.instance_id, c.network_id, n.uuid AS network_uuid, \
     n.name AS network_name, n.guest_type, n.traffic_type, n.broadcast_uri, c.ip4_address, \
     c.netmask, c.gateway, c.mac_address, c.device_id, c.is_default, c.state, c.reservation_id, \
     c.created FROM nic c JOIN network n ON n.id = c.network_id WHERE c.removed IS NULL";

pub struct NewNic<'a> {
    pub uuid: &'a str,
    pub instance_id: i64,
    pub network_id: i64,
    pub zone_id: i64,
    pub ip4_address: Option<&'a str>,
    pub netmask: Option<&'a str>,
    pub gateway: Option<&'a str>,
    pub mac_address: &'a str,
    pub device_id: i32,
    pub is_default: bool,
}

impl Conn<'_> {
    /// Inserts a NIC unless its address, MAC or device slot is taken by a live NIC; then
    /// returns None (without failing, so a transaction stays usable for a retry).
    pub async fn insert_nic(&mut self, n: &NewNic<'_>, now: DateTime<Utc>) -> Result<Option<i64>> {
        const SQL: &str = "INSERT INTO nic (uuid, instance_id, network_id, zone_id, ip4_address, \
             netmask, gateway, mac_address, device_id, is_default, state, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT DO NOTHING RETURNING id";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i64>(SQL)
            .bind(n.uuid)
            .bind(n.instance_id)
            .bind(n.network_id)
            .bind(n.zone_id)
            .bind(n.ip4_address)
            .bind(n.netmask)
            .bind(n.gateway)
            .bind(n.mac_address)
            .bind(n.device_id)
            .bind(n.is_default)
            .bind(NIC_ALLOCATED)
            .bind(now)
            .fetch_optional(&mut **c)
            .await?))
    }

    pub async fn nic_by_id(&mut self, id: i64) -> Result<Option<NicRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("c.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// The live NIC in an instance's device slot.
    pub async fn nic_of_device(
        &mut self,
        instance_id: i64,
        device_id: i32,
    ) -> Result<Option<NicRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and("c.instance_id = ?", Bind::I64(instance_id));
        sql.and("c.device_id = ?", Bind::I64(i64::from(device_id)));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Live NICs of these instances, by instance and device.
    pub async fn nics_of_instances(&mut self, instance_ids: &[i64]) -> Result<Vec<NicRow>> {
        let mut sql = Sql::new(SELECT);
        sql.and_in(
            "c.instance_id",
            instance_ids.iter().copied().map(Bind::I64).collect(),
        );
        sql.push(" ORDER BY c.instance_id, c.device_id");
        self.fetch_all(&sql).await
    }

    /// Addresses held by live NICs of a network.
    pub async fn used_nic_ips(&mut self, network_id: i64) -> Result<Vec<String>> {
        const SQL: &str = "SELECT ip4_address FROM nic \
             WHERE network_id = $1 AND removed IS NULL AND ip4_address IS NOT NULL";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, String>(SQL)
            .bind(network_id)
            .fetch_all(&mut **c)
            .await?))
    }

    /// Does a live NIC of the network hold the address? (One index probe.)
    pub async fn nic_ip_in_use(&mut self, network_id: i64, ip: &str) -> Result<bool> {
        const SQL: &str = "SELECT 1 FROM nic \
             WHERE network_id = $1 AND ip4_address = $2 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query_scalar::<_, i32>(SQL)
            .bind(network_id)
            .bind(ip)
            .fetch_optional(&mut **c)
            .await?)
        .is_some())
    }

    /// Live NICs on a network.
    pub async fn count_live_nics(&mut self, network_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM nic WHERE removed IS NULL");
        sql.and("network_id = ?", Bind::I64(network_id));
        self.fetch_count(&sql).await
    }

    /// Marks an instance's live NICs reserved by `reservation_id` (VM start).
    pub async fn reserve_nics(&mut self, instance_id: i64, reservation_id: &str) -> Result<u64> {
        const SQL: &str = "UPDATE nic SET state = $1, reservation_id = $2 \
             WHERE instance_id = $3 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(NIC_RESERVED)
            .bind(reservation_id)
            .bind(instance_id)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }

    /// Releases and removes an instance's live NICs, freeing their addresses and MACs.
    pub async fn release_nics(&mut self, instance_id: i64, now: DateTime<Utc>) -> Result<u64> {
        const SQL: &str = "UPDATE nic SET state = $1, reservation_id = NULL, removed = $2 \
             WHERE instance_id = $3 AND removed IS NULL";
        Ok(on_conn!(self, |c| sqlx::query(SQL)
            .bind(NIC_RELEASED)
            .bind(now)
            .bind(instance_id)
            .execute(&mut **c)
            .await?
            .rows_affected()))
    }
}
