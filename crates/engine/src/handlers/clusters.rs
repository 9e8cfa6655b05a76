//! addCluster, listClusters, updateCluster, deleteCluster.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::cluster::{ClusterFilter, ClusterRow, NewCluster};
use strato_schema::sql::Page;
use strato_schema::zone::InventoryTable;

use super::zones::zone_by_param;
use super::{allocation_state, check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

/// Hypervisor types CloudStack knows, in their canonical spelling.
pub const HYPERVISORS: &[&str] = &[
    "Simulator",
    "KVM",
    "XenServer",
    "VMware",
    "Hyperv",
    "LXC",
    "BareMetal",
    "Ovm3",
    "External",
];

const ARCHES: &[&str] = &["x86_64", "aarch64"];

pub fn cluster_obj(c: &ClusterRow, settings: &crate::Settings) -> Obj {
    Obj::new("cluster")
        .str("id", &c.uuid)
        .str("name", &c.name)
        .str("zoneid", &c.zone_uuid)
        .str("zonename", &c.zone_name)
        .str("podid", &c.pod_uuid)
        .str("podname", &c.pod_name)
        .str("hypervisortype", &c.hypervisor)
        .str("clustertype", &c.cluster_type)
        .str("arch", &c.arch)
        .str("allocationstate", &c.allocation_state)
        .str("managedstate", &c.managed_state)
        .str(
            "cpuovercommitratio",
            settings.get("cpu.overprovisioning.factor"),
        )
        .str(
            "memoryovercommitratio",
            settings.get("mem.overprovisioning.factor"),
        )
}

async fn cluster_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
    param: &str,
) -> Result<ClusterRow, ApiError> {
    let id = args.required_str(param)?;
    conn.cluster_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "cluster"))
}

pub async fn add_cluster(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("clustername")?.trim();
    check_name("clustername", name)?;
    let hypervisor = one_of("hypervisor", args.required_str("hypervisor")?, HYPERVISORS)?;
    let cluster_type = one_of(
        "clustertype",
        args.required_str("clustertype")?,
        &["CloudManaged", "ExternalManaged"],
    )?;
    let arch = match args.str("arch") {
        Some(a) => one_of("arch", a, ARCHES)?,
        None => "x86_64",
    };
    let mut tx = ctx.engine.store.begin().await?;
    let zone = zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    let pod = super::pods::pod_in_zone(&mut tx.c(), args.required_str("podid")?, &zone).await?;
    let filter = ClusterFilter {
        pod_id: Some(pod.id),
        name: Some(name.to_string()),
        ..ClusterFilter::default()
    };
    if tx.c().list_clusters(&filter, Page::ALL).await?.0 > 0 {
        return Err(ApiError::param(format!(
            "A cluster with name {name} already exists in pod {}",
            pod.name
        )));
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_cluster(
            &NewCluster {
                uuid: &uuid,
                zone_id: zone.id,
                pod_id: pod.id,
                name,
                hypervisor,
                cluster_type,
                arch,
                allocation_state: allocation_state(&args, "Enabled")?,
            },
            strato_schema::now(),
        )
        .await?;
    let c = tx
        .c()
        .cluster_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("cluster vanished"))?;
    tx.commit().await?;
    Ok(Reply::list(1, vec![cluster_obj(&c, &ctx.engine.settings)]))
}

pub async fn list_clusters(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut db.c(), &args, "zoneid").await?.id),
        None => None,
    };
    let pod_id = match args.uuid("podid") {
        Some(id) => Some(
            db.c()
                .pod_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("podid", id, "pod"))?
                .id,
        ),
        None => None,
    };
    let filter = ClusterFilter {
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        pod_id,
        name: args.str("name").map(str::to_string),
        hypervisor: args.str("hypervisor").map(str::to_string),
        cluster_type: args.str("clustertype").map(str::to_string),
        allocation_state: args.str("allocationstate").map(str::to_string),
        managed_state: args.str("managedstate").map(str::to_string),
        arch: args.str("arch").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_clusters(&filter, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter()
            .map(|c| cluster_obj(c, &ctx.engine.settings))
            .collect(),
    ))
}

pub async fn update_cluster(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = cluster_by_param(&mut tx.c(), &args, "id").await?;
    if let Some(h) = args.str("hypervisor")
        && !h.eq_ignore_ascii_case(&c.hypervisor)
    {
        return Err(ApiError::param(
            "The hypervisor of a cluster cannot be changed",
        ));
    }
    if let Some(n) = args.str("clustername").map(str::trim) {
        check_name("clustername", n)?;
        c.name = n.to_string();
    }
    if let Some(t) = args.str("clustertype") {
        c.cluster_type =
            one_of("clustertype", t, &["CloudManaged", "ExternalManaged"])?.to_string();
    }
    if let Some(a) = args.str("arch") {
        c.arch = one_of("arch", a, ARCHES)?.to_string();
    }
    if args.has("allocationstate") {
        c.allocation_state = allocation_state(&args, "Enabled")?.to_string();
    }
    if let Some(m) = args.str("managedstate") {
        c.managed_state = one_of("managedstate", m, &["Managed", "Unmanaged"])?.to_string();
    }
    if !tx.c().update_cluster(&c).await? {
        return Err(concurrent_change(&format!("Cluster {}", c.uuid)));
    }
    let c = tx
        .c()
        .cluster_by_id(c.id)
        .await?
        .ok_or_else(|| ApiError::internal("cluster vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(cluster_obj(&c, &ctx.engine.settings)))
}

pub async fn delete_cluster(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let c = cluster_by_param(&mut tx.c(), &args, "id").await?;
    for (table, what) in [
        (InventoryTable::Host, "host(s)"),
        (InventoryTable::StoragePool, "storage pool(s)"),
    ] {
        let n = tx.c().count_children(table, "cluster_id", c.id).await?;
        if n > 0 {
            return Err(ApiError::in_use(format!(
                "Cluster {} still has {n} {what}; delete them first",
                c.name
            ))
            .with_uuid(&c.uuid, "clusterId"));
        }
    }
    tx.c()
        .remove_row(InventoryTable::Cluster, c.id, strato_schema::now())
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}
