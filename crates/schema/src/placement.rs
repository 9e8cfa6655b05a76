//! What the deployment planner chooses from: hosts and storage pools that may take new
//! VMs, with the capacity they have left.

use crate::sql::{Bind, Sql};
use crate::{Conn, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HostCandidate {
    pub id: i64,
    pub uuid: String,
    pub guid: String,
    pub name: String,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub cpus: i64,
    pub cpu_speed: i64,
    pub ram: i64,
    pub cpu_used_mhz: i64,
    pub ram_used_bytes: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PoolCandidate {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub cluster_id: Option<i64>,
    pub host_id: Option<i64>,
    pub scope: String,
    pub pool_type: String,
    pub host_address: Option<String>,
    pub path: String,
    pub url: String,
    pub capacity_bytes: i64,
    pub allocated_bytes: i64,
}

const POOL_COLUMNS: &str = "SELECT s.id, s.uuid, s.name, s.cluster_id, s.host_id, s.scope, \
     s.pool_type, s.host_address, s.path, s.url, s.capacity_bytes, s.allocated_bytes \
     FROM storage_pool s";

/// Where a VM may go: an admin may pin a pod, cluster or host.
#[derive(Clone, Debug, Default)]
pub struct PlacementFilter {
    pub zone_id: i64,
    pub pod_id: Option<i64>,
    pub cluster_id: Option<i64>,
    pub host_id: Option<i64>,
    pub hypervisor: Option<String>,
    /// Every one of these tags must be on the host.
    pub host_tags: Vec<String>,
    /// Leave out this host (e.g. the VM's current one, for migration).
    pub not_host: Option<i64>,
}

impl Conn<'_> {
    /// Up, enabled hosts in enabled pods and clusters, in id order (first fit).
    pub async fn candidate_hosts(&mut self, f: &PlacementFilter) -> Result<Vec<HostCandidate>> {
        let mut sql = Sql::new(
            "SELECT h.id, h.uuid, h.guid, h.name, h.pod_id, h.cluster_id, h.cpus, \
             h.cpu_speed, h.ram, h.cpu_used_mhz, h.ram_used_bytes \
             FROM host h JOIN cluster c ON c.id = h.cluster_id JOIN pod p ON p.id = h.pod_id \
             WHERE h.removed IS NULL AND h.status = 'Up' AND h.resource_state = 'Enabled' \
             AND h.host_type = 'Routing' AND c.allocation_state = 'Enabled' \
             AND c.managed_state = 'Managed' AND p.allocation_state = 'Enabled'",
        );
        sql.and("h.zone_id = ?", Bind::I64(f.zone_id));
        if let Some(p) = f.pod_id {
            sql.and("h.pod_id = ?", Bind::I64(p));
        }
        if let Some(c) = f.cluster_id {
            sql.and("h.cluster_id = ?", Bind::I64(c));
        }
        if let Some(h) = f.host_id {
            sql.and("h.id = ?", Bind::I64(h));
        }
        if let Some(h) = f.not_host {
            sql.and("h.id <> ?", Bind::I64(h));
        }
        if let Some(hv) = &f.hypervisor {
            sql.and("lower(h.hypervisor) = ?", Bind::Str(hv.to_lowercase()));
        }
        for tag in &f.host_tags {
            sql.and(
                "EXISTS (SELECT 1 FROM host_tag t WHERE t.host_id = h.id AND t.tag = ?)",
                Bind::Str(tag.clone()),
            );
        }
        sql.push(" ORDER BY h.id");
        self.fetch_all(&sql).await
    }

    /// One pool, live or not, as the planner sees pools.
    pub async fn pool_candidate(&mut self, id: i64) -> Result<Option<PoolCandidate>> {
        let mut sql = Sql::new(&format!("{POOL_COLUMNS} WHERE s.removed IS NULL"));
        sql.and("s.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// Up pools a host can use: its cluster's, its zone's, and (when `local`) its own.
    pub async fn candidate_pools(
        &mut self,
        zone_id: i64,
        cluster_id: Option<i64>,
        host_id: i64,
        local: bool,
    ) -> Result<Vec<PoolCandidate>> {
        let mut sql = Sql::new(&format!(
            "{POOL_COLUMNS} WHERE s.removed IS NULL AND s.state = 'Up'"
        ));
        sql.and("s.zone_id = ?", Bind::I64(zone_id));
        if local {
            sql.and("s.scope = 'HOST' AND s.host_id = ?", Bind::I64(host_id));
        } else {
            sql.push(" AND (s.scope = 'ZONE'");
            if let Some(c) = cluster_id {
                sql.push_bind(
                    " OR (s.scope = 'CLUSTER' AND s.cluster_id = ?)",
                    [Bind::I64(c)],
                );
            }
            sql.push(")");
        }
        sql.push(" ORDER BY s.id");
        self.fetch_all(&sql).await
    }
}
