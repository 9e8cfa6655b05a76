//! listCapacity, computed live from the inventory.
//!
//! CloudStack keeps `op_host_capacity` rows (one per host, pool, IP pool and pod) that
//! a checker refreshes every few minutes, and sums them per zone (or for one pod or
//! cluster) when asked. We build the same rows from the tables as they are now:
//!
//! | type | from | total | used |
//! |---|---|---|---|
//! | 0 memory, 1 CPU (MHz), 90 CPU cores | Up and Enabled Routing hosts | RAM; cores × speed; cores — CPU and memory × `cpu.`/`mem.overprovisioning.factor` | allocated to VMs (none yet: 0) |
//! | 3 storage allocated, 9 local storage | primary pools in state Up (9 for host-scoped pools) | capacity × `storage.overprovisioning.factor` for pool types that overprovision | allocated to volumes (none yet: 0) |
//! | 4 public IPs, 8 direct-attached public IPs | addresses of virtual-network / other public ranges | addresses | addresses not Free |
//! | 5 private IPs | the pods' reserved ranges | addresses | held by system VMs (none yet: 0) |
//!
//! Rows whose total is 0 are left out, as CloudStack's query does (`total_capacity > 0`).
//! Two figures are not rows but statistics, listed for every zone even when zero:
//! 2 storage (every primary pool: capacity and bytes used) and, at zone level only,
//! 6 secondary storage (the zone's and region-wide image stores).
//!
//! Overprovisioning factors are the global settings (CloudStack reads them per cluster;
//! scoped setting values are not supported yet), rounded to 4 decimals as its SQL does.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::cluster::{ClusterFilter, ClusterRow};
use strato_schema::host::HostFilter;
use strato_schema::image_store::ImageStoreFilter;
use strato_schema::pod::{PodFilter, PodRow};
use strato_schema::sql::Page;
use strato_schema::storage_pool::StoragePoolFilter;
use strato_schema::zone::{ZoneFilter, ZoneRow};

use crate::{Ctx, paging};

pub const MEMORY: i64 = 0;
pub const CPU: i64 = 1;
pub const STORAGE: i64 = 2;
pub const STORAGE_ALLOCATED: i64 = 3;
pub const VIRTUAL_NETWORK_PUBLIC_IP: i64 = 4;
pub const PRIVATE_IP: i64 = 5;
pub const SECONDARY_STORAGE: i64 = 6;
pub const DIRECT_ATTACHED_PUBLIC_IP: i64 = 8;
pub const LOCAL_STORAGE: i64 = 9;
pub const CPU_CORE: i64 = 90;

/// CloudStack's `CapacityVO.getCapacityName`.
pub fn capacity_name(ty: i64) -> Option<&'static str> {
    Some(match ty {
        MEMORY => "MEMORY",
        CPU => "CPU",
        STORAGE => "STORAGE",
        STORAGE_ALLOCATED => "STORAGE_ALLOCATED",
        VIRTUAL_NETWORK_PUBLIC_IP => "VIRTUAL_NETWORK_PUBLIC_IP",
        PRIVATE_IP => "PRIVATE_IP",
        SECONDARY_STORAGE => "SECONDARY_STORAGE",
        7 => "VLAN",
        DIRECT_ATTACHED_PUBLIC_IP => "DIRECT_ATTACHED_PUBLIC_IP",
        LOCAL_STORAGE => "LOCAL_STORAGE",
        10 => "VIRTUAL_NETWORK_IPV6_SUBNET",
        19 => "GPU",
        CPU_CORE => "CPU_CORE",
        _ => return None,
    })
}

/// Pool types whose allocated capacity is multiplied by the storage overprovisioning
/// factor (CloudStack's `StoragePoolType.supportsOverProvisioning`).
const OVERPROVISIONED_POOLS: &[&str] = &[
    "Filesystem",
    "NetworkFilesystem",
    "RBD",
    "SharedMountPoint",
    "VMFS",
    "PreSetup",
    "EXT",
    "PowerFlex",
    "Linstor",
    "DatastoreCluster",
];

/// One `op_host_capacity`-like row.
#[derive(Clone, Copy, Debug)]
struct Row {
    zone: i64,
    pod: Option<i64>,
    cluster: Option<i64>,
    ty: i64,
    used: i64,
    total: i64,
}

/// The listing's filters, as internal ids.
#[derive(Clone, Copy, Debug, Default)]
struct Scope {
    zone: Option<i64>,
    pod: Option<i64>,
    cluster: Option<i64>,
    ty: Option<i64>,
}

impl Scope {
    fn matches(&self, r: &Row) -> bool {
        self.zone.is_none_or(|z| z == r.zone)
            && self.pod.is_none_or(|p| r.pod == Some(p))
            && self.cluster.is_none_or(|c| r.cluster == Some(c))
            && self.ty.is_none_or(|t| t == r.ty)
    }
    fn wants(&self, ty: i64) -> bool {
        self.ty.is_none_or(|t| t == ty)
    }
}

/// A summed capacity, ready to be shown.
#[derive(Clone, Debug)]
struct Summed {
    zone: i64,
    pod: Option<i64>,
    cluster: Option<i64>,
    ty: i64,
    used: i64,
    total: i64,
    allocated: Option<i64>,
}

/// `value × factor`, with the factor cut to 4 decimals and the product truncated, as
/// CloudStack's `CAST(... AS DECIMAL(10,4))` and `getLong` do.
fn overprovision(value: i64, factor: f64) -> i64 {
    let ten_thousandths = (factor * 10_000.0).round();
    if !ten_thousandths.is_finite() || ten_thousandths <= 0.0 {
        return value;
    }
    // The factor is at most a few thousand in practice; saturate rather than wrap.
    let scaled = i128::from(value) * (ten_thousandths as i128) / 10_000;
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

/// CloudStack's `percentused`: `used / total * 100` in single precision, formatted with
/// `DecimalFormat("##.##")` — at most two decimals, no trailing zeros ("12.5", "0").
pub fn percent_used(used: i64, total: i64) -> String {
    if total == 0 {
        return "0".to_string();
    }
    let p = (used as f32 / total as f32) * 100.0_f32;
    let text = format!("{:.2}", f64::from(p));
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Addresses from `start` to `end` inclusive (0 for anything that is not an IPv4 range).
fn range_size(start: &str, end: &str) -> i64 {
    match (
        start.trim().parse::<Ipv4Addr>(),
        end.trim().parse::<Ipv4Addr>(),
    ) {
        (Ok(s), Ok(e)) => {
            let (s, e) = (u32::from(s), u32::from(e));
            if e >= s { i64::from(e - s) + 1 } else { 0 }
        }
        _ => 0,
    }
}

/// Everything listCapacity needs, read once.
struct Inventory {
    zones: Vec<ZoneRow>,
    pods: Vec<PodRow>,
    clusters: Vec<ClusterRow>,
    /// Host, pool and IP rows.
    rows: Vec<Row>,
    /// Every primary pool as a type 2 row (capacity and bytes used), whatever its state.
    pools: Vec<Row>,
    /// Image stores: (zone or None for region-wide, total, used).
    image_stores: Vec<(Option<i64>, i64, i64)>,
}

async fn inventory(ctx: &Ctx) -> Result<Inventory, ApiError> {
    let settings = &ctx.engine.settings;
    let cpu_factor = settings.f64("cpu.overprovisioning.factor");
    let mem_factor = settings.f64("mem.overprovisioning.factor");
    let storage_factor = settings.f64("storage.overprovisioning.factor");
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let (_, zones) = c.list_zones(&ZoneFilter::default(), Page::ALL).await?;
    let (_, pods) = c.list_pods(&PodFilter::default(), Page::ALL).await?;
    let (_, clusters) = c
        .list_clusters(&ClusterFilter::default(), Page::ALL)
        .await?;
    let mut rows = Vec::new();

    let (_, hosts) = c
        .list_hosts(
            &HostFilter {
                host_type: Some("Routing".into()),
                status: Some("Up".into()),
                resource_state: Some("Enabled".into()),
                ..HostFilter::default()
            },
            Page::ALL,
        )
        .await?;
    for h in &hosts {
        let row = |ty, total| Row {
            zone: h.zone_id,
            pod: h.pod_id,
            cluster: h.cluster_id,
            ty,
            used: 0,
            total,
        };
        rows.push(row(MEMORY, overprovision(h.ram, mem_factor)));
        rows.push(row(
            CPU,
            overprovision(h.cpus.saturating_mul(h.cpu_speed), cpu_factor),
        ));
        rows.push(row(CPU_CORE, h.cpus));
    }

    let (_, pool_rows) = c
        .list_storage_pools(&StoragePoolFilter::default(), Page::ALL)
        .await?;
    let mut pools = Vec::with_capacity(pool_rows.len());
    for p in &pool_rows {
        pools.push(Row {
            zone: p.zone_id,
            pod: p.pod_id,
            cluster: p.cluster_id,
            ty: STORAGE,
            used: p.used_bytes,
            total: p.capacity_bytes,
        });
        if p.state != "Up" {
            continue;
        }
        let local = p.scope.eq_ignore_ascii_case("HOST");
        let total = if OVERPROVISIONED_POOLS.contains(&p.pool_type.as_str()) {
            overprovision(p.capacity_bytes, storage_factor)
        } else {
            p.capacity_bytes
        };
        rows.push(Row {
            zone: p.zone_id,
            pod: p.pod_id,
            cluster: p.cluster_id,
            ty: if local {
                LOCAL_STORAGE
            } else {
                STORAGE_ALLOCATED
            },
            used: 0,
            total,
        });
    }

    for ip in c.public_ip_counts().await? {
        let (ty, pod) = if ip.for_virtual_network {
            (VIRTUAL_NETWORK_PUBLIC_IP, None)
        } else {
            (DIRECT_ATTACHED_PUBLIC_IP, ip.pod_id)
        };
        rows.push(Row {
            zone: ip.zone_id,
            pod,
            cluster: None,
            ty,
            used: ip.used,
            total: ip.total,
        });
    }

    let pod_ids: Vec<i64> = pods.iter().map(|p| p.id).collect();
    let ranges = c.pod_ranges(&pod_ids).await?;
    for p in &pods {
        let total: i64 = ranges
            .iter()
            .filter(|r| r.pod_id == p.id)
            .map(|r| range_size(&r.start_ip, &r.end_ip))
            .sum();
        rows.push(Row {
            zone: p.zone_id,
            pod: Some(p.id),
            cluster: None,
            ty: PRIVATE_IP,
            used: 0,
            total,
        });
    }

    let (_, stores) = c
        .list_image_stores(&ImageStoreFilter::default(), Page::ALL)
        .await?;
    let image_stores = stores
        .iter()
        .map(|s| {
            (
                s.zone_id,
                s.total_bytes.unwrap_or(0),
                s.used_bytes.unwrap_or(0),
            )
        })
        .collect();
    rows.retain(|r| r.total > 0);
    Ok(Inventory {
        zones,
        pods,
        clusters,
        rows,
        pools,
        image_stores,
    })
}

impl Inventory {
    /// CloudStack's `getStoragePoolUsedStats(zone, pod, cluster)`.
    fn storage_stats(&self, zone: i64, pod: Option<i64>, cluster: Option<i64>) -> Summed {
        let (mut used, mut total) = (0i64, 0i64);
        for r in &self.pools {
            if r.zone == zone
                && pod.is_none_or(|x| r.pod == Some(x))
                && cluster.is_none_or(|x| r.cluster == Some(x))
            {
                total = total.saturating_add(r.total);
                used = used.saturating_add(r.used);
            }
        }
        Summed {
            zone,
            pod,
            cluster,
            ty: STORAGE,
            used,
            total,
            allocated: None,
        }
    }

    /// CloudStack's `getSecondaryStorageUsedStats(null, zone)`.
    fn secondary_stats(&self, zone: i64) -> Summed {
        let (mut used, mut total) = (0i64, 0i64);
        for &(z, t, u) in &self.image_stores {
            if z.is_none_or(|z| z == zone) {
                total = total.saturating_add(t);
                used = used.saturating_add(u);
            }
        }
        Summed {
            zone,
            pod: None,
            cluster: None,
            ty: SECONDARY_STORAGE,
            used,
            total,
            allocated: None,
        }
    }

    fn zone(&self, id: i64) -> Option<&ZoneRow> {
        self.zones.iter().find(|z| z.id == id)
    }
}

/// Sums `rows` by a key; keys come back in ascending order.
fn sum_by<K: Ord>(rows: impl Iterator<Item = Row>, key: impl Fn(&Row) -> K) -> BTreeMap<K, Row> {
    let mut sums: BTreeMap<K, Row> = BTreeMap::new();
    for r in rows {
        sums.entry(key(&r))
            .and_modify(|s| {
                s.used = s.used.saturating_add(r.used);
                s.total = s.total.saturating_add(r.total);
            })
            .or_insert(r);
    }
    sums
}

fn capacity_obj(inv: &Inventory, s: &Summed) -> Obj {
    let zone = inv.zone(s.zone);
    let cluster = s
        .cluster
        .and_then(|id| inv.clusters.iter().find(|c| c.id == id));
    // A cluster without its pod shows the cluster's pod, as CloudStack does.
    let pod = s
        .pod
        .or(cluster.map(|c| c.pod_id))
        .and_then(|id| inv.pods.iter().find(|p| p.id == id));
    let mut o = Obj::new("capacity")
        .int("type", s.ty)
        .opt_str("name", capacity_name(s.ty))
        .opt_str("zoneid", zone.map(|z| z.uuid.clone()))
        .opt_str("zonename", zone.map(|z| z.name.clone()))
        .opt_str("podid", pod.map(|p| p.uuid.clone()))
        .opt_str("podname", pod.map(|p| p.name.clone()))
        .opt_str("clusterid", cluster.map(|c| c.uuid.clone()))
        .opt_str("clustername", cluster.map(|c| c.name.clone()));
    if let Some(a) = s.allocated {
        o = o.int("capacityallocated", a);
    }
    o.int("capacityused", s.used)
        .int("capacitytotal", s.total)
        .str("percentused", percent_used(s.used, s.total))
}

async fn scope(ctx: &Ctx, args: &Args) -> Result<Scope, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let mut scope = Scope {
        ty: args.int("type"),
        ..Scope::default()
    };
    if let Some(id) = args.uuid("zoneid") {
        scope.zone = Some(
            c.zone_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", id, "zone"))?
                .id,
        );
    }
    if let Some(id) = args.uuid("podid") {
        scope.pod = Some(
            c.pod_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("podid", id, "pod"))?
                .id,
        );
    }
    if let Some(id) = args.uuid("clusterid") {
        scope.cluster = Some(
            c.cluster_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?
                .id,
        );
    }
    Ok(scope)
}

pub async fn list_capacity(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let by_usage = match args.str("sortby") {
        Some(s) if s.eq_ignore_ascii_case("usage") => true,
        Some(s) => {
            return Err(ApiError::param(format!(
                "Invalid value {s} for parameter sortby: the only value supported is usage"
            )));
        }
        None => false,
    };
    if by_usage && args.has("clusterid") {
        return Err(ApiError::param(
            "Parameter clusterid is not supported together with sortby=usage",
        ));
    }
    let scope = scope(&ctx, &args).await?;
    let inv = inventory(&ctx).await?;
    let mut summed = if by_usage {
        top_consumed(&inv, &scope)
    } else {
        per_zone(&inv, &scope)
    };
    if by_usage {
        // Most used first, cut to the page size, then grouped by zone name (stable).
        summed.sort_by(|a, b| ratio(b).total_cmp(&ratio(a)));
        if let Some(limit) = page.limit {
            summed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        summed.sort_by_key(|s| inv.zone(s.zone).map(|z| z.name.clone()));
    } else {
        summed.sort_by_key(|s| (inv.zone(s.zone).map(|z| z.name.clone()), s.ty));
    }
    let items: Vec<Obj> = summed.iter().map(|s| capacity_obj(&inv, s)).collect();
    Ok(Reply::list(items.len(), items))
}

fn ratio(s: &Summed) -> f32 {
    if s.total == 0 {
        0.0
    } else {
        s.used as f32 / s.total as f32
    }
}

/// The plain listing: per zone and type (the filters' pod and cluster carried along).
fn per_zone(inv: &Inventory, scope: &Scope) -> Vec<Summed> {
    let zones: Vec<i64> = match (scope.zone, scope.pod, scope.cluster) {
        (Some(z), _, _) => vec![z],
        (None, None, None) => inv.zones.iter().map(|z| z.id).collect(),
        (None, _, Some(c)) => inv
            .clusters
            .iter()
            .filter(|x| x.id == c)
            .map(|x| x.zone_id)
            .collect(),
        (None, Some(p), None) => inv
            .pods
            .iter()
            .filter(|x| x.id == p)
            .map(|x| x.zone_id)
            .collect(),
    };
    let zone_level = scope.pod.is_none() && scope.cluster.is_none();
    let mut out = Vec::new();
    for zone in zones {
        let rows = inv
            .rows
            .iter()
            .copied()
            .filter(|r| r.zone == zone && scope.matches(r));
        for (ty, r) in sum_by(rows, |r| r.ty) {
            out.push(Summed {
                zone,
                pod: scope.pod,
                cluster: scope.cluster,
                ty,
                used: r.used,
                total: r.total,
                // VM allocations, zone-wide only (no VMs exist yet).
                allocated: (zone_level && matches!(ty, MEMORY | CPU | CPU_CORE)).then_some(0),
            });
        }
        if zone_level && scope.wants(SECONDARY_STORAGE) {
            out.push(inv.secondary_stats(zone));
        }
        if scope.wants(STORAGE) {
            out.push(inv.storage_stats(zone, scope.pod, scope.cluster));
        }
    }
    out
}

/// `sortby=usage`: grouped by zone (no zone given), by pod (a zone given) or by cluster
/// (a pod given), plus the storage statistics of the zones.
fn top_consumed(inv: &Inventory, scope: &Scope) -> Vec<Summed> {
    let rows = inv.rows.iter().copied().filter(|r| scope.matches(r));
    let groups = match (scope.zone, scope.pod) {
        (None, None) => sum_by(rows, |r| (r.zone, None, None, r.ty)),
        (Some(_), None) => sum_by(rows, |r| (r.zone, r.pod, None, r.ty)),
        (_, Some(_)) => sum_by(rows, |r| (r.zone, r.pod, r.cluster, r.ty)),
    };
    let mut out: Vec<Summed> = groups
        .into_iter()
        .map(|((zone, pod, cluster, ty), r)| Summed {
            zone,
            pod,
            cluster,
            ty,
            used: r.used,
            total: r.total,
            allocated: None,
        })
        .collect();
    // Storage statistics: the given zone unless it is disabled, else every enabled zone
    // (and then without pod).
    let (zones, pod): (Vec<i64>, Option<i64>) = match scope.zone {
        Some(z) => (
            inv.zone(z)
                .filter(|z| z.allocation_state != "Disabled")
                .map(|z| z.id)
                .into_iter()
                .collect(),
            scope.pod,
        ),
        None => (
            inv.zones
                .iter()
                .filter(|z| z.allocation_state == "Enabled")
                .map(|z| z.id)
                .collect(),
            None,
        ),
    };
    for zone in zones {
        if scope.wants(SECONDARY_STORAGE) {
            out.push(inv.secondary_stats(zone));
        }
        if scope.wants(STORAGE) {
            out.push(inv.storage_stats(zone, pod, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_formatted_like_decimal_format() {
        assert_eq!(percent_used(0, 0), "0");
        assert_eq!(percent_used(0, 100), "0");
        assert_eq!(percent_used(1, 8), "12.5");
        assert_eq!(percent_used(1, 3), "33.33");
        assert_eq!(percent_used(2, 3), "66.67");
        assert_eq!(percent_used(5, 5), "100");
        assert_eq!(percent_used(1, 100_000), "0");
    }

    #[test]
    fn overprovisioning_rounds_the_factor_and_truncates() {
        assert_eq!(overprovision(64_000, 1.0), 64_000);
        assert_eq!(overprovision(64_000, 2.5), 160_000);
        assert_eq!(overprovision(3, 1.33333), 3); // 3 × 1.3333 = 3.9999
        assert_eq!(
            overprovision(10, 0.0),
            10,
            "a nonsense factor changes nothing"
        );
        assert_eq!(overprovision(i64::MAX, 4.0), i64::MAX);
    }

    #[test]
    fn ranges_count_addresses() {
        assert_eq!(range_size("172.16.15.2", "172.16.15.200"), 199);
        assert_eq!(range_size("10.0.0.1", "10.0.0.1"), 1);
        assert_eq!(range_size("10.0.0.9", "10.0.0.1"), 0);
        assert_eq!(range_size("fe80::1", "fe80::2"), 0);
    }

    #[test]
    fn names_follow_capacity_vo() {
        assert_eq!(capacity_name(CPU_CORE), Some("CPU_CORE"));
        assert_eq!(capacity_name(LOCAL_STORAGE), Some("LOCAL_STORAGE"));
        assert_eq!(capacity_name(42), None);
    }
}
