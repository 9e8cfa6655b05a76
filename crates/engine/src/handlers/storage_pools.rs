//! createStoragePool, listStoragePools, updateStoragePool, deleteStoragePool,
//! enableStorageMaintenance, cancelStorageMaintenance.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::storage_pool::{NewStoragePool, StoragePoolFilter, StoragePoolRow};
use strato_schema::zone::InventoryTable;

use super::zones::zone_by_param;
use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

/// `resource_detail.resource_type` of storage pool details.
const DETAIL_TYPE: &str = "StoragePool";

/// The only primary storage provider Strato has (CloudStack's default one).
const DEFAULT_PROVIDER: &str = "DefaultPrimary";

/// Hypervisors that may use zone-wide primary storage (CloudStack's list).
const ZONE_WIDE_HYPERVISORS: &[&str] = &["KVM", "VMware", "Hyperv", "LXC", "Any", "Simulator"];

/// `cserrorcode` of CloudStack's StorageUnavailableException.
const STORAGE_UNAVAILABLE: i32 = 4385;

/// What the Simulator's mock storage reports for a pool whose size is not given: 1 TiB.
pub const SIMULATOR_POOL_BYTES: i64 = 1 << 40;

/// A pool URL split the way `java.net.URI` does it.
#[derive(Debug, PartialEq, Eq)]
struct PoolUrl {
    pool_type: &'static str,
    host: Option<String>,
    path: String,
    port: i64,
}

/// Parses `scheme://[user@]host[:port]/path` and maps the scheme to a pool type as
/// CloudStack's default primary data store lifecycle does.
fn parse_pool_url(url: &str) -> Result<PoolUrl, ApiError> {
    let bad_scheme = || {
        ApiError::param(format!(
            "Unable to figure out the scheme for URI {url} (parameter url); use nfs://, file://, \
             sharedmountpoint://, rbd://, clvm:// or presetup://"
        ))
    };
    let (scheme, rest) = url.trim().split_once("://").ok_or_else(|| {
        ApiError::param(format!(
            "scheme is null {url} (parameter url), add nfs:// as a prefix"
        ))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, "")) => (h, None),
        Some((h, p)) => {
            let port: i64 = p
                .parse()
                .map_err(|_| ApiError::param(format!("Invalid port {p} in parameter url {url}")))?;
            (h, Some(port))
        }
        None => (host_port, None),
    };
    let host = Some(host.to_string()).filter(|h| !h.trim().is_empty());
    let need_host_path = |example: &str| -> Result<(), ApiError> {
        if host.is_none() || path.trim().is_empty() {
            return Err(ApiError::param(format!(
                "host or path is null in parameter url {url}, should be {example}"
            )));
        }
        Ok(())
    };
    let parsed = match scheme.to_ascii_lowercase().as_str() {
        "nfs" => {
            need_host_path("nfs://hostname/path")?;
            PoolUrl {
                pool_type: "NetworkFilesystem",
                host,
                path: path.to_string(),
                port: port.unwrap_or(2049),
            }
        }
        "file" => {
            if path.trim().is_empty() {
                return Err(ApiError::param(format!(
                    "path is null in parameter url {url}, should be file:///path"
                )));
            }
            PoolUrl {
                pool_type: "Filesystem",
                host: Some("localhost".to_string()),
                path: path.to_string(),
                port: 0,
            }
        }
        "sharedmountpoint" => {
            if path.trim().is_empty() {
                return Err(ApiError::param(format!(
                    "path is null in parameter url {url}, should be sharedmountpoint://localhost/path"
                )));
            }
            PoolUrl {
                pool_type: "SharedMountPoint",
                host: host.or_else(|| Some("localhost".to_string())),
                path: path.to_string(),
                port: 0,
            }
        }
        "rbd" => {
            need_host_path("rbd://hostname/pool")?;
            PoolUrl {
                pool_type: "RBD",
                host,
                path: path.trim_start_matches('/').to_string(),
                port: port.unwrap_or(0),
            }
        }
        "clvm" => {
            if path.trim().is_empty() {
                return Err(ApiError::param(format!(
                    "path is null in parameter url {url}, should be clvm://localhost/volumegroup"
                )));
            }
            PoolUrl {
                pool_type: "CLVM",
                host: host.or_else(|| Some("localhost".to_string())),
                path: path.trim_start_matches('/').to_string(),
                port: 0,
            }
        }
        "presetup" => PoolUrl {
            pool_type: "PreSetup",
            host,
            path: path.to_string(),
            port: 0,
        },
        _ => return Err(bad_scheme()),
    };
    Ok(parsed)
}

/// CloudStack prints the factor as a Java double (`2.0`).
fn overprovision_factor(settings: &crate::Settings) -> String {
    let raw = settings.get("storage.overprovisioning.factor");
    match raw.trim().parse::<f64>() {
        Ok(f) => format!("{f:?}"),
        Err(_) => raw,
    }
}

pub fn pool_obj(
    p: &StoragePoolRow,
    tags: &[String],
    details: Vec<(String, String)>,
    settings: &crate::Settings,
) -> Obj {
    let mut o = Obj::new("storagepool")
        .str("id", &p.uuid)
        .str("zoneid", &p.zone_uuid)
        .str("zonename", &p.zone_name)
        .opt_str("podid", p.pod_uuid.clone())
        .opt_str("podname", p.pod_name.clone())
        .str("name", &p.name)
        .opt_str("ipaddress", p.host_address.clone())
        .str("path", &p.path)
        .date("created", &p.created)
        .str("type", &p.pool_type)
        .opt_str("clusterid", p.cluster_uuid.clone())
        .opt_str("clustername", p.cluster_name.clone())
        .int("disksizetotal", p.capacity_bytes)
        .int("disksizeallocated", 0)
        .int("disksizeused", p.used_bytes);
    if let Some(iops) = p.capacity_iops {
        o = o.int("capacityiops", iops);
    }
    if !tags.is_empty() {
        o = o.str("tags", tags.join(","));
    }
    o = o
        .str("state", &p.state)
        .str("scope", &p.scope)
        .opt_str("hypervisor", p.hypervisor.clone())
        .str("overprovisionfactor", overprovision_factor(settings))
        .str("provider", &p.provider)
        .bool("managed", p.managed)
        .node(
            "storagecapabilities",
            Node::Map(vec![(
                "VOLUME_SNAPSHOT_QUIESCEVM".to_string(),
                "false".to_string(),
            )]),
        );
    if !details.is_empty() {
        o = o.node("details", Node::Map(details));
    }
    o.bool("hasannotations", false)
}

/// The pool as a response object, with its tags and details.
async fn pool_reply(
    conn: &mut Conn<'_>,
    p: &StoragePoolRow,
    settings: &crate::Settings,
) -> Result<Obj, ApiError> {
    let tags = conn.storage_pool_tags(p.id).await?;
    let details = conn.details_of_resource(DETAIL_TYPE, p.id).await?;
    Ok(pool_obj(p, &tags, details, settings))
}

async fn pool_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
    param: &str,
) -> Result<StoragePoolRow, ApiError> {
    let id = args.required_str(param)?;
    conn.storage_pool_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "storage pool"))
}

/// `tags=a,b` → distinct, trimmed, non-empty tags.
fn split_tags<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in values.map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    tags
}

fn check_capacity(param: &str, v: Option<i64>) -> Result<Option<i64>, ApiError> {
    match v {
        Some(n) if n < 0 => Err(ApiError::param(format!(
            "Invalid value {n} for parameter {param}: must not be negative"
        ))),
        other => Ok(other),
    }
}

pub async fn create_storage_pool(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let url = args.required_str("url")?.trim();
    let parsed = parse_pool_url(url)?;
    let scope = match args.str("scope") {
        Some(s) => match s.trim().to_ascii_lowercase().as_str() {
            "cluster" => "CLUSTER",
            "zone" => "ZONE",
            "host" => {
                return Err(ApiError::param(
                    "Invalid scope host for parameter scope: host-local storage is reported by \
                     the host itself; use cluster or zone",
                ));
            }
            _ => return Err(ApiError::param(format!("invalid scope for pool {s}"))),
        },
        None => "CLUSTER",
    };
    let provider = match args.str("provider") {
        Some(p) => one_of("provider", p, &[DEFAULT_PROVIDER])?,
        None => DEFAULT_PROVIDER,
    };
    let capacity = check_capacity("capacitybytes", args.int("capacitybytes"))?;
    let capacity_iops = check_capacity("capacityiops", args.int("capacityiops"))?;
    let tags = split_tags(args.str("tags").unwrap_or_default().split(','));
    let details: Vec<(String, String)> = args
        .map("details")
        .unwrap_or_default()
        .iter()
        .flat_map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();

    let mut tx = ctx.engine.store.begin().await?;
    let zone = zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    let (pod_id, cluster_id, hypervisor) = if scope == "ZONE" {
        // Pod and cluster are ignored for zone-wide storage, as CloudStack does.
        let h = args.str("hypervisor").ok_or_else(|| {
            ApiError::param(
                "Missing parameter hypervisor. Hypervisor type is required to create zone wide \
                 primary storage.",
            )
        })?;
        let h = ZONE_WIDE_HYPERVISORS
            .iter()
            .find(|x| x.eq_ignore_ascii_case(h.trim()))
            .ok_or_else(|| {
                ApiError::param(format!(
                    "zone wide storage pool is not supported for hypervisor type {h} \
                     (parameter hypervisor)"
                ))
            })?;
        (None, None, h.to_string())
    } else {
        let cluster_uuid = args.uuid("clusterid").ok_or_else(|| {
            ApiError::param("cluster id can't be null, if scope is cluster (parameter clusterid)")
        })?;
        let pod_uuid = args
            .uuid("podid")
            .ok_or_else(|| ApiError::param("Cluster id requires pod id (parameter podid)"))?;
        let pod = tx
            .c()
            .pod_by_uuid(pod_uuid)
            .await?
            .ok_or_else(|| ApiError::not_found("podid", pod_uuid, "pod"))?;
        if pod.zone_id != zone.id {
            return Err(ApiError::param(format!(
                "Pod {} (parameter podid) does not belong to zone {}",
                pod.uuid, zone.uuid
            )));
        }
        let cluster = tx
            .c()
            .cluster_by_uuid(cluster_uuid)
            .await?
            .ok_or_else(|| ApiError::not_found("clusterid", cluster_uuid, "cluster"))?;
        if cluster.zone_id != zone.id || cluster.pod_id != pod.id {
            return Err(ApiError::param(format!(
                "Cluster {} (parameter clusterid) does not belong to pod {} of zone {}",
                cluster.uuid, pod.uuid, zone.uuid
            )));
        }
        (Some(pod.id), Some(cluster.id), cluster.hypervisor)
    };
    let same_name = StoragePoolFilter {
        zone_id: Some(zone.id),
        name: Some(name.to_string()),
        ..StoragePoolFilter::default()
    };
    if tx
        .c()
        .list_storage_pools(&same_name, strato_schema::sql::Page::ALL)
        .await?
        .0
        > 0
    {
        return Err(ApiError::param(format!(
            "A storage pool with name {name} already exists in zone {}",
            zone.name
        )));
    }
    let same_place = StoragePoolFilter {
        zone_id: Some(zone.id),
        host_address: parsed.host.clone(),
        path: Some(parsed.path.clone()),
        ..StoragePoolFilter::default()
    };
    let existing = tx
        .c()
        .list_storage_pools(&same_place, strato_schema::sql::Page::ALL)
        .await?
        .1;
    if existing
        .iter()
        .any(|p| p.host_address == parsed.host && p.cluster_id == cluster_id)
    {
        return Err(ApiError::param(format!(
            "Storage pool {url} (parameter url) is already in use by another pool"
        )));
    }
    // Without a size, a Simulator pool reports what the mock storage reports.
    let capacity = capacity.unwrap_or(if hypervisor == "Simulator" {
        SIMULATOR_POOL_BYTES
    } else {
        0
    });
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_storage_pool(
            &NewStoragePool {
                uuid: &uuid,
                name,
                zone_id: zone.id,
                pod_id,
                cluster_id,
                scope,
                pool_type: parsed.pool_type,
                host_address: parsed.host.as_deref(),
                path: &parsed.path,
                port: parsed.port,
                url,
                provider,
                hypervisor: Some(&hypervisor),
                capacity_bytes: capacity,
                capacity_iops,
                managed: args.flag("managed"),
                state: "Up",
            },
            strato_schema::now(),
        )
        .await?;
    tx.c().set_storage_pool_tags(id, &tags).await?;
    for (k, v) in &details {
        tx.c().put_resource_detail(DETAIL_TYPE, id, k, v).await?;
    }
    let p = tx
        .c()
        .storage_pool_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("storage pool vanished"))?;
    let obj = pool_reply(&mut tx.c(), &p, &ctx.engine.settings).await?;
    tx.commit().await?;
    Ok(Reply::Object(obj))
}

pub async fn list_storage_pools(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
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
    let cluster_id = match args.uuid("clusterid") {
        Some(id) => Some(
            db.c()
                .cluster_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?
                .id,
        ),
        None => None,
    };
    let filter = StoragePoolFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        zone_id,
        pod_id,
        cluster_id,
        scope: args.str("scope").map(str::to_string),
        state: args.str("status").map(str::to_string),
        host_address: args.str("ipaddress").map(str::to_string),
        path: args.str("path").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_storage_pools(&filter, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for p in &rows {
        items.push(pool_reply(&mut db.c(), p, &ctx.engine.settings).await?);
    }
    Ok(Reply::list(total as usize, items))
}

pub async fn update_storage_pool(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut p = pool_by_param(&mut tx.c(), &args, "id").await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        if n != p.name {
            let same_name = StoragePoolFilter {
                zone_id: Some(p.zone_id),
                name: Some(n.to_string()),
                ..StoragePoolFilter::default()
            };
            if tx
                .c()
                .list_storage_pools(&same_name, strato_schema::sql::Page::ALL)
                .await?
                .0
                > 0
            {
                return Err(ApiError::param(format!(
                    "A storage pool with name {n} already exists in zone {}",
                    p.zone_name
                )));
            }
            p.name = n.to_string();
        }
    }
    if let Some(c) = check_capacity("capacitybytes", args.int("capacitybytes"))? {
        if c < p.used_bytes {
            return Err(ApiError::param(format!(
                "Invalid value {c} for parameter capacitybytes: less than the {} bytes in use",
                p.used_bytes
            )));
        }
        p.capacity_bytes = c;
    }
    if let Some(iops) = check_capacity("capacityiops", args.int("capacityiops"))? {
        p.capacity_iops = Some(iops);
    }
    match args.bool("enabled") {
        Some(true) if p.state != "Up" => {
            if p.state != "Disabled" {
                return Err(ApiError::param(format!(
                    "Primary storage with id {} cannot be enabled. Storage pool state : {}",
                    p.uuid, p.state
                )));
            }
            p.state = "Up".to_string();
        }
        Some(false) if p.state != "Disabled" => {
            if p.state != "Up" {
                return Err(ApiError::param(format!(
                    "Primary storage with id {} cannot be disabled. Storage pool state : {}",
                    p.uuid, p.state
                )));
            }
            p.state = "Disabled".to_string();
        }
        _ => {}
    }
    if !tx.c().update_storage_pool(&p).await? {
        return Err(concurrent_change(&format!("Storage pool {}", p.uuid)));
    }
    if let Some(list) = args.list("tags") {
        let tags = split_tags(list.iter().map(String::as_str));
        tx.c().set_storage_pool_tags(p.id, &tags).await?;
    }
    let p = tx
        .c()
        .storage_pool_by_id(p.id)
        .await?
        .ok_or_else(|| ApiError::internal("storage pool vanished"))?;
    let obj = pool_reply(&mut tx.c(), &p, &ctx.engine.settings).await?;
    tx.commit().await?;
    Ok(Reply::Object(obj))
}

pub async fn delete_storage_pool(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let p = pool_by_param(&mut tx.c(), &args, "id").await?;
    // Volumes do not exist yet; once they do, a pool holding any is refused here
    // (with `forced`, only destroyed-but-not-expunged volumes are tolerated).
    tx.c()
        .remove_row(InventoryTable::StoragePool, p.id, strato_schema::now())
        .await?;
    tx.c().set_storage_pool_tags(p.id, &[]).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

/// Moves the pool from one of `from` to `to` in its own transaction.
async fn set_state(
    ctx: &Ctx,
    args: &Args,
    from: &[&str],
    to: &str,
    refuse: impl Fn(&StoragePoolRow) -> ApiError,
) -> Result<StoragePoolRow, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut p = pool_by_param(&mut tx.c(), args, "id").await?;
    if !from.contains(&p.state.as_str()) {
        return Err(refuse(&p));
    }
    p.state = to.to_string();
    if !tx.c().update_storage_pool(&p).await? {
        return Err(concurrent_change(&format!("Storage pool {}", p.uuid)));
    }
    tx.commit().await?;
    Ok(p)
}

async fn reply_for(ctx: &Ctx, p: &StoragePoolRow) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let p = db
        .c()
        .storage_pool_by_id(p.id)
        .await?
        .ok_or_else(|| ApiError::internal("storage pool vanished"))?;
    Ok(Reply::Object(
        pool_reply(&mut db.c(), &p, &ctx.engine.settings).await?,
    ))
}

pub async fn enable_storage_maintenance(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let not_ready = |p: &StoragePoolRow| {
        ApiError::param(format!(
            "Primary storage with id {} is not ready for migration, as the status is:{}",
            p.uuid, p.state
        ))
    };
    set_state(
        &ctx,
        &args,
        &["Up", "ErrorInMaintenance"],
        "PrepareForMaintenance",
        not_ready,
    )
    .await?;
    // No volumes or system VMs use the pool yet, so nothing needs to move off it.
    let p = set_state(
        &ctx,
        &args,
        &["PrepareForMaintenance"],
        "Maintenance",
        not_ready,
    )
    .await?;
    reply_for(&ctx, &p).await
}

pub async fn cancel_storage_maintenance(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let not_ready = |p: &StoragePoolRow| {
        ApiError::new(
            strato_common::ErrorCode::ResourceUnavailable,
            Some(STORAGE_UNAVAILABLE),
            format!(
                "Primary storage with id {} is not ready to complete migration, as the status is:{}",
                p.uuid, p.state
            ),
        )
    };
    set_state(
        &ctx,
        &args,
        &["Maintenance", "ErrorInMaintenance", "CancelMaintenance"],
        "CancelMaintenance",
        not_ready,
    )
    .await?;
    let p = set_state(&ctx, &args, &["CancelMaintenance"], "Up", not_ready).await?;
    reply_for(&ctx, &p).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marvin_nfs_url() {
        let u =
            parse_pool_url("nfs://10.147.28.6:/export/home/sandbox/primary0").expect("valid URL");
        assert_eq!(u.pool_type, "NetworkFilesystem");
        assert_eq!(u.host.as_deref(), Some("10.147.28.6"));
        assert_eq!(u.path, "/export/home/sandbox/primary0");
        assert_eq!(u.port, 2049);
    }

    #[test]
    fn other_schemes() {
        let f = parse_pool_url("file:///var/lib/pool").expect("valid URL");
        assert_eq!(
            (f.pool_type, f.path.as_str()),
            ("Filesystem", "/var/lib/pool")
        );
        let s = parse_pool_url("SharedMountPoint:///mnt/shared").expect("valid URL");
        assert_eq!(s.pool_type, "SharedMountPoint");
        let r = parse_pool_url("rbd://admin:secret@ceph-mon:6789/rbdpool").expect("valid URL");
        assert_eq!(
            (r.pool_type, r.host.as_deref(), r.path.as_str(), r.port),
            ("RBD", Some("ceph-mon"), "rbdpool", 6789)
        );
        assert!(parse_pool_url("gopher://x/y").is_err());
        assert!(parse_pool_url("nfs://host").is_err());
        assert!(parse_pool_url("no-scheme").is_err());
    }
}
