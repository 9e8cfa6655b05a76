//! Placement: CloudStack's deployment planners and allocators. Candidates are ordered
//! by `vm.allocation.algorithm` (firstfit, random, userdispersing,
//! userconcentratedpodfirst), clusters above their allocated-capacity disable
//! thresholds are skipped, and the host is taken with one conditional UPDATE per
//! candidate, so concurrent deploys never overcommit: the first candidate whose
//! capacity still fits wins, the others are tried next. The VM's affinity groups
//! filter and reorder the candidates (see `affinity`).

use std::collections::HashMap;

use strato_common::{ApiError, ErrorCode};
use strato_schema::Conn;
use strato_schema::placement::{HostCandidate, PlacementFilter, PoolCandidate};
use strato_schema::vm::VmRow;

use super::affinity;
use crate::Engine;

/// What a VM needs.
#[derive(Clone, Debug)]
pub struct Request {
    pub filter: PlacementFilter,
    pub account_id: i64,
    pub cpu_mhz: i64,
    pub ram_bytes: i64,
    /// The root volume: placed on a pool already, or to be placed (its bytes reserved
    /// on the chosen pool in the same transaction).
    pub root: RootVolume,
    /// Local storage (the offering's storage type) instead of shared pools.
    pub local_storage: bool,
    /// A migration target: held next to the host the VM runs on.
    pub migration: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct RootVolume {
    pub id: i64,
    pub pool_id: Option<i64>,
    pub bytes: i64,
}

/// Where the VM goes; its capacity there is already reserved.
#[derive(Clone, Debug)]
pub struct Placement {
    pub host: HostCandidate,
    pub pool: PoolCandidate,
}

/// An offering's `hosttags` ("a, b") as the tags a host must carry.
pub fn host_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A VM's root volume as the planner sees it.
pub async fn root_volume(c: &mut Conn<'_>, vm_id: i64) -> Result<RootVolume, ApiError> {
    let v = c
        .volumes_of_vms(&[vm_id])
        .await?
        .into_iter()
        .find(|v| v.volume_type == "ROOT")
        .ok_or_else(|| ApiError::internal("the VM has no root volume"))?;
    Ok(RootVolume {
        id: v.id,
        pool_id: v.pool_id,
        bytes: v.size,
    })
}

/// What an existing VM needs somewhere in its zone (a start, or a migration target
/// other than `not_host`), with an admin's choice of host.
pub async fn vm_request(
    c: &mut Conn<'_>,
    vm: &VmRow,
    host_id: Option<i64>,
    not_host: Option<i64>,
) -> Result<Request, ApiError> {
    let root = root_volume(c, vm.id).await?;
    let offering = c.service_offering_by_id(vm.service_offering_id).await?;
    Ok(Request {
        filter: PlacementFilter {
            zone_id: vm.zone_id,
            pod_id: None,
            cluster_id: None,
            host_id,
            hypervisor: Some(vm.hypervisor.clone()),
            host_tags: host_tags(offering.as_ref().and_then(|o| o.host_tags.as_deref())),
            not_host,
        },
        account_id: vm.account_id,
        cpu_mhz: i64::from(vm.cpus) * i64::from(vm.cpu_speed),
        ram_bytes: vm.memory_mb << 20,
        root,
        local_storage: offering.is_some_and(|o| o.disk.use_local_storage),
        migration: not_host.is_some(),
    })
}

/// CloudStack's InsufficientServerCapacityException.
const NO_SERVER: i32 = 4335;
/// CloudStack's InsufficientStorageCapacityException.
const NO_STORAGE: i32 = 4340;

/// CloudStack's error when no host or pool has room (533).
pub fn insufficient(cs_code: i32, what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientCapacity,
        Some(cs_code),
        format!("Unable to create a deployment for the VM: {what}"),
    )
}

struct Factors {
    cpu: f64,
    ram: f64,
    storage: f64,
    cpu_threshold: f64,
    ram_threshold: f64,
}

fn factors(engine: &Engine) -> Factors {
    let s = &engine.settings;
    Factors {
        cpu: s.f64("cpu.overprovisioning.factor").max(0.1),
        ram: s.f64("mem.overprovisioning.factor").max(0.1),
        storage: s.f64("storage.overprovisioning.factor").max(0.1),
        cpu_threshold: s.f64("cluster.cpu.allocated.capacity.disablethreshold"),
        ram_threshold: s.f64("cluster.memory.allocated.capacity.disablethreshold"),
    }
}

/// Picks a host and a pool and reserves the VM's capacity on both, inside the
/// caller's transaction. Reserving again for the same VM keeps its host.
pub async fn reserve(
    c: &mut Conn<'_>,
    engine: &Engine,
    instance_id: i64,
    req: &Request,
) -> Result<Placement, ApiError> {
    let f = factors(engine);
    // First, so the groups are locked before their members' hosts are read.
    let rules = affinity::Rules::of(c, instance_id, true).await?;
    let mut hosts = c.candidate_hosts(&req.filter).await?;
    if hosts.is_empty() {
        return Err(insufficient(
            NO_SERVER,
            "no host is Up and enabled in the requested scope",
        ));
    }
    let full = full_clusters(&hosts, req, &f);
    hosts.retain(|h| h.cluster_id.is_none_or(|c| !full.contains(&c)));
    if hosts.is_empty() {
        return Err(insufficient(
            NO_SERVER,
            "every cluster in the requested scope is over its allocated-capacity disable \
             threshold for this VM",
        ));
    }
    order(c, engine, &mut hosts, req.account_id).await?;
    rules.apply(&mut hosts);
    if hosts.is_empty() {
        return Err(insufficient(
            NO_SERVER,
            "no host satisfies the VM's affinity groups",
        ));
    }
    let now = strato_schema::now();
    let mut no_pool = false;
    for host in hosts {
        if !fits(&host, req, &f) {
            continue;
        }
        let pools = c
            .candidate_pools(
                req.filter.zone_id,
                host.cluster_id,
                host.id,
                req.local_storage,
            )
            .await?;
        let pool = match req.root.pool_id {
            // A volume that exists stays on its pool: the host must reach it.
            Some(placed) => pools.into_iter().find(|p| p.id == placed),
            None => pools.into_iter().find(|p| {
                p.allocated_bytes + req.root.bytes <= (p.capacity_bytes as f64 * f.storage) as i64
            }),
        };
        let Some(pool) = pool else {
            no_pool = true;
            continue;
        };
        if !c
            .reserve_host_capacity(
                instance_id,
                host.id,
                req.cpu_mhz,
                req.ram_bytes,
                f.cpu,
                f.ram,
                req.migration,
                now,
            )
            .await?
        {
            continue;
        }
        if req.root.pool_id.is_none() && !place_volume(c, req.root, pool.id, f.storage).await? {
            c.release_host_capacity(instance_id, Some(host.id)).await?;
            no_pool = true;
            continue;
        }
        return Ok(Placement { host, pool });
    }
    Err(if no_pool {
        insufficient(NO_STORAGE, "no storage pool has room for the root volume")
    } else {
        insufficient(NO_SERVER, "no host has enough free CPU and memory")
    })
}

/// The candidate hosts that have room for the request and reach its storage, without
/// reserving anything (findHostsForMigration).
pub async fn candidates_with_room(
    c: &mut Conn<'_>,
    engine: &Engine,
    instance_id: i64,
    req: &Request,
) -> Result<Vec<HostCandidate>, ApiError> {
    let f = factors(engine);
    let mut out = Vec::new();
    let mut hosts = c.candidate_hosts(&req.filter).await?;
    affinity::Rules::of(c, instance_id, false)
        .await?
        .apply(&mut hosts);
    for host in hosts {
        if !fits(&host, req, &f) {
            continue;
        }
        let pools = c
            .candidate_pools(
                req.filter.zone_id,
                host.cluster_id,
                host.id,
                req.local_storage,
            )
            .await?;
        let reaches = match req.root.pool_id {
            Some(p) => pools.iter().any(|x| x.id == p),
            None => !pools.is_empty(),
        };
        if reaches {
            out.push(host);
        }
    }
    Ok(out)
}

/// Puts a volume on a pool, taking its bytes there, once: a volume placed already
/// (a replayed step) keeps its pool and takes nothing more.
async fn place_volume(
    c: &mut Conn<'_>,
    root: RootVolume,
    pool_id: i64,
    factor: f64,
) -> Result<bool, ApiError> {
    if !c.reserve_pool_capacity(pool_id, root.bytes, factor).await? {
        return Ok(false);
    }
    if !c.place_volume(root.id, pool_id).await? {
        c.release_pool_capacity(pool_id, root.bytes).await?;
    }
    Ok(true)
}

/// Takes a volume that was placed but never created off its pool, giving the bytes
/// back (no-op when it is not placed or already created).
pub async fn unplace_volume(c: &mut Conn<'_>, root: RootVolume) -> Result<(), ApiError> {
    if let Some(pool) = c.unplace_volume(root.id).await? {
        c.release_pool_capacity(pool, root.bytes).await?;
    }
    Ok(())
}

/// Gives back what a VM holds on its hosts (no-op when it holds nothing).
pub async fn release(c: &mut Conn<'_>, instance_id: i64) -> Result<(), ApiError> {
    c.release_host_capacity(instance_id, None).await?;
    Ok(())
}

/// A pre-check that saves futile UPDATEs; the UPDATE itself is the real test.
fn fits(h: &HostCandidate, req: &Request, f: &Factors) -> bool {
    let cpu_total = (h.cpus * h.cpu_speed) as f64 * f.cpu;
    let ram_total = h.ram as f64 * f.ram;
    (h.cpu_used_mhz + req.cpu_mhz) as f64 <= cpu_total
        && (h.ram_used_bytes + req.ram_bytes) as f64 <= ram_total
}

/// Clusters whose allocated CPU or memory, with this VM, would pass the disable
/// thresholds.
fn full_clusters(hosts: &[HostCandidate], req: &Request, f: &Factors) -> Vec<i64> {
    let mut sums: HashMap<i64, (f64, f64, f64, f64)> = HashMap::new();
    for h in hosts {
        if let Some(c) = h.cluster_id {
            let e = sums.entry(c).or_default();
            e.0 += h.cpu_used_mhz as f64;
            e.1 += (h.cpus * h.cpu_speed) as f64 * f.cpu;
            e.2 += h.ram_used_bytes as f64;
            e.3 += h.ram as f64 * f.ram;
        }
    }
    sums.into_iter()
        .filter(|(_, (cu, ct, ru, rt))| {
            (*ct > 0.0 && (cu + req.cpu_mhz as f64) / ct > f.cpu_threshold)
                || (*rt > 0.0 && (ru + req.ram_bytes as f64) / rt > f.ram_threshold)
        })
        .map(|(c, _)| c)
        .collect()
}

/// Orders candidates as the configured planner would.
async fn order(
    c: &mut Conn<'_>,
    engine: &Engine,
    hosts: &mut [HostCandidate],
    account_id: i64,
) -> Result<(), ApiError> {
    match engine.settings.get("vm.allocation.algorithm").as_str() {
        "firstfit" | "firstfitleastconsumed" => {}
        "userdispersing" => {
            let per_host: HashMap<i64, i64> = c
                .account_vms_per_host(account_id)
                .await?
                .into_iter()
                .collect();
            hosts.sort_by_key(|h| (per_host.get(&h.id).copied().unwrap_or(0), h.id));
        }
        "userconcentratedpodfirst" | "userconcentratedpodfirstfit" => {
            let per_host: HashMap<i64, i64> = c
                .account_vms_per_host(account_id)
                .await?
                .into_iter()
                .collect();
            let mut per_pod: HashMap<i64, i64> = HashMap::new();
            for h in hosts.iter() {
                if let Some(p) = h.pod_id {
                    *per_pod.entry(p).or_default() += per_host.get(&h.id).copied().unwrap_or(0);
                }
            }
            hosts.sort_by_key(|h| {
                let in_pod = h.pod_id.and_then(|p| per_pod.get(&p)).copied().unwrap_or(0);
                (std::cmp::Reverse(in_pod), h.id)
            });
        }
        // "random" (CloudStack's default) and anything unknown: spread the load.
        _ => {
            use rand::seq::SliceRandom;
            hosts.shuffle(&mut rand::rng());
        }
    }
    Ok(())
}
