//! Aggregates behind `listCapacity` that no per-resource query answers. Host, pool, pod
//! and image store figures come from their own modules' lists.

use crate::sql::{Bind, Sql};
use crate::vlan::IP_FREE;
use crate::{Conn, Result};

/// Public addresses of the live ranges of one zone (and pod, for pod ranges), split by
/// whether the ranges serve virtual networks or are direct-attached.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IpCount {
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub for_virtual_network: bool,
    pub total: i64,
    /// Addresses held by someone (not `Free`, or ever allocated).
    pub used: i64,
}

impl Conn<'_> {
    pub async fn public_ip_counts(&mut self) -> Result<Vec<IpCount>> {
        let mut sql = Sql::new(
            "SELECT v.zone_id, v.pod_id, v.for_virtual_network, COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN i.state <> ",
        );
        sql.push_bind("?", [Bind::Str(IP_FREE.into())]);
        sql.push(
            " OR i.allocated IS NOT NULL THEN 1 ELSE 0 END), 0) AS used \
             FROM public_ip i JOIN vlan v ON v.id = i.vlan_id WHERE v.removed IS NULL \
             GROUP BY v.zone_id, v.pod_id, v.for_virtual_network",
        );
        self.fetch_all(&sql).await
    }
}
