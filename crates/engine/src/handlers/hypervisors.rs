//! listHypervisors, listHypervisorCapabilities, updateHypervisorCapabilities.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::cluster::ClusterFilter;
use strato_schema::sql::Page;
use strato_schema::zone::ZoneFilter;

use crate::{Ctx, paging};

/// CloudStack's default `hypervisor.list`, plus Simulator, which simulator deployments
/// (the kind Strato emulates) add to it.
const DEFAULT_HYPERVISOR_LIST: &str =
    "KVM,VMware,XenServer,Hyperv,BareMetal,Ovm,LXC,Ovm3,External,Simulator";

/// `resource_detail.resource_type` of values changed by updateHypervisorCapabilities.
const DETAIL_TYPE: &str = "HypervisorCapabilities";

/// One `hypervisor_capabilities` row as a fresh installation has it.
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// Internal id (the key of changed values in `resource_detail`).
    pub id: i64,
    pub uuid: &'static str,
    pub hypervisor: &'static str,
    pub version: &'static str,
    pub max_guests: i64,
    pub max_data_volumes: Option<i64>,
    pub max_hosts_per_cluster: Option<i64>,
    pub security_groups: bool,
    pub storage_motion: bool,
    pub vm_snapshot: Option<bool>,
}

/// The `default` rows of the hypervisors Strato knows. Values are CloudStack's seed data
/// and upgrade steps: 6 data volumes is the column default, 13 and 32 hosts for VMware
/// come from 3.0/4.2, storage motion for KVM from the 4.14 upgrade. CloudStack keeps no
/// verified Simulator row in its seed SQL; the Simulator row mirrors KVM's.
const SEED: &[Capabilities] = &[
    Capabilities {
        id: 1,
        uuid: "1c312740-b5e6-4842-98b4-ed209465b8d2",
        hypervisor: "XenServer",
        version: "default",
        max_guests: 50,
        max_data_volumes: Some(6),
        max_hosts_per_cluster: None,
        security_groups: true,
        storage_motion: false,
        vm_snapshot: None,
    },
    Capabilities {
        id: 2,
        uuid: "baa30d28-07f5-49d8-a469-7f1fba1c8a44",
        hypervisor: "VMware",
        version: "default",
        max_guests: 128,
        max_data_volumes: Some(13),
        max_hosts_per_cluster: Some(32),
        security_groups: false,
        storage_motion: false,
        vm_snapshot: None,
    },
    Capabilities {
        id: 3,
        uuid: "0f6bd42d-83e8-48d0-8810-c78d86475ec7",
        hypervisor: "KVM",
        version: "default",
        max_guests: 50,
        max_data_volumes: Some(6),
        max_hosts_per_cluster: None,
        security_groups: true,
        storage_motion: true,
        vm_snapshot: None,
    },
    Capabilities {
        id: 4,
        uuid: "37ffec7a-f3cc-41c7-ae4a-b63ed2cb7d8d",
        hypervisor: "Simulator",
        version: "default",
        max_guests: 50,
        max_data_volumes: Some(6),
        max_hosts_per_cluster: None,
        security_groups: true,
        storage_motion: true,
        vm_snapshot: None,
    },
];

/// The hypervisor types this deployment supports (`hypervisor.list`).
pub fn supported(settings: &crate::Settings) -> Vec<String> {
    let configured = settings.get("hypervisor.list");
    let list = if configured.trim().is_empty() {
        DEFAULT_HYPERVISOR_LIST.to_string()
    } else {
        configured
    };
    list.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect()
}

fn hypervisor_obj(name: &str) -> Obj {
    Obj::new("hypervisor").str("name", name)
}

pub async fn list_hypervisors(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let all = supported(&ctx.engine.settings);
    let Some(zone) = args.uuid("zoneid") else {
        return Ok(Reply::list(
            all.len(),
            all.iter().map(|h| hypervisor_obj(h)).collect(),
        ));
    };
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let names: Vec<String> = if zone == "-1" {
        // -1: the hypervisors that every zone has a cluster of.
        let (_, zones) = c.list_zones(&ZoneFilter::default(), Page::ALL).await?;
        let mut per_zone = Vec::with_capacity(zones.len());
        for z in &zones {
            per_zone.push(zone_hypervisors(&mut c, z.id).await?);
        }
        all.into_iter()
            .filter(|h| per_zone.iter().all(|hs| hs.iter().any(|x| x == h)))
            .collect()
    } else {
        let z = c
            .zone_by_uuid(zone)
            .await?
            .ok_or_else(|| ApiError::not_found("zoneid", zone, "zone"))?;
        zone_hypervisors(&mut c, z.id).await?
    };
    Ok(Reply::list(
        names.len(),
        names.iter().map(|h| hypervisor_obj(h)).collect(),
    ))
}

/// Distinct hypervisors of a zone's clusters, in the order the clusters were added.
async fn zone_hypervisors(c: &mut Conn<'_>, zone_id: i64) -> Result<Vec<String>, ApiError> {
    let filter = ClusterFilter {
        zone_id: Some(zone_id),
        ..ClusterFilter::default()
    };
    let (_, clusters) = c.list_clusters(&filter, Page::ALL).await?;
    let mut names: Vec<String> = Vec::new();
    for cl in clusters {
        if !names.contains(&cl.hypervisor) {
            names.push(cl.hypervisor);
        }
    }
    Ok(names)
}

/// A seeded row with the values updateHypervisorCapabilities stored over it.
async fn effective(c: &mut Conn<'_>, seed: &Capabilities) -> Result<Capabilities, ApiError> {
    let mut caps = seed.clone();
    for (name, value) in c.details_of_resource(DETAIL_TYPE, seed.id).await? {
        let num = value.parse::<i64>().ok();
        let flag = value == "true";
        match name.as_str() {
            "maxguestslimit" => caps.max_guests = num.unwrap_or(caps.max_guests),
            "maxdatavolumeslimit" => caps.max_data_volumes = num.or(caps.max_data_volumes),
            "maxhostspercluster" => caps.max_hosts_per_cluster = num.or(caps.max_hosts_per_cluster),
            "securitygroupenabled" => caps.security_groups = flag,
            "storagemotionenabled" => caps.storage_motion = flag,
            "vmsnapshotenabled" => caps.vm_snapshot = Some(flag),
            _ => {}
        }
    }
    Ok(caps)
}

fn caps_obj(c: &Capabilities, object: &str) -> Obj {
    let mut o = Obj::new(object)
        .str("id", c.uuid)
        .str("hypervisorversion", c.version)
        .str("hypervisor", c.hypervisor)
        .int("maxguestslimit", c.max_guests)
        .bool("securitygroupenabled", c.security_groups);
    if let Some(v) = c.max_data_volumes {
        o = o.int("maxdatavolumeslimit", v);
    }
    if let Some(v) = c.max_hosts_per_cluster {
        o = o.int("maxhostspercluster", v);
    }
    o = o.bool("storagemotionenabled", c.storage_motion);
    if let Some(v) = c.vm_snapshot {
        o = o.bool("vmsnapshotenabled", v);
    }
    o
}

pub async fn list_hypervisor_capabilities(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let keyword = args.str("keyword").map(str::to_lowercase);
    let matching: Vec<&Capabilities> = SEED
        .iter()
        .filter(|c| args.uuid("id").is_none_or(|id| id == c.uuid))
        .filter(|c| {
            args.str("hypervisor")
                .is_none_or(|h| h.eq_ignore_ascii_case(c.hypervisor))
        })
        .filter(|c| {
            keyword
                .as_deref()
                .is_none_or(|k| c.hypervisor.to_lowercase().contains(k))
        })
        .collect();
    let total = matching.len();
    let offset = usize::try_from(page.offset).unwrap_or(0);
    let limit = page
        .limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(usize::MAX);
    let mut db = ctx.engine.store.acquire().await?;
    let mut items = Vec::new();
    for seed in matching.into_iter().skip(offset).take(limit) {
        let caps = effective(&mut db.c(), seed).await?;
        items.push(caps_obj(&caps, "hypervisorCapabilities"));
    }
    Ok(Reply::list(total, items))
}

pub async fn update_hypervisor_capabilities(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let seed = match (
        args.uuid("id"),
        args.str("hypervisor"),
        args.str("hypervisorversion"),
    ) {
        (Some(id), _, _) => SEED
            .iter()
            .find(|c| c.uuid == id)
            .ok_or_else(|| ApiError::not_found("id", id, "hypervisor capabilities"))?,
        (None, Some(h), Some(v)) => SEED
            .iter()
            .find(|c| c.hypervisor.eq_ignore_ascii_case(h.trim()) && c.version == v.trim())
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find hypervisor capabilities for hypervisor {h} version {v}"
                ))
            })?,
        _ => {
            return Err(ApiError::param(
                "Either id, or hypervisor and hypervisorversion, must be given",
            ));
        }
    };
    let mut changes: Vec<(&str, String)> = Vec::new();
    for p in [
        "maxguestslimit",
        "maxdatavolumeslimit",
        "maxhostspercluster",
    ] {
        if let Some(n) = args.int(p) {
            if n < 0 {
                return Err(ApiError::param(format!(
                    "Invalid value {n} for parameter {p}: must not be negative"
                )));
            }
            changes.push((p, n.to_string()));
        }
    }
    for p in [
        "securitygroupenabled",
        "storagemotionenabled",
        "vmsnapshotenabled",
    ] {
        if let Some(b) = args.bool(p) {
            changes.push((p, b.to_string()));
        }
    }
    let mut tx = ctx.engine.store.begin().await?;
    for (name, value) in &changes {
        tx.c()
            .put_resource_detail(DETAIL_TYPE, seed.id, name, value)
            .await?;
    }
    let caps = effective(&mut tx.c(), seed).await?;
    tx.commit().await?;
    Ok(Reply::Object(caps_obj(&caps, "hypervisorcapabilities")))
}
