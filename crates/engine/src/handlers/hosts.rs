//! addHost, listHosts, updateHost, deleteHost, prepareHostForMaintenance,
//! cancelHostMaintenance, reconnectHost, updateHostPassword, listHostTags.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::host::{HostFilter, HostRow, NewHost};
use strato_schema::sql::Page;
use strato_schema::zone::InventoryTable;

use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, agents, paging, password};

/// `resource_detail` names holding the credentials given to addHost/updateHostPassword.
///
/// CloudStack keeps the host password encrypted because the management server logs in
/// to hosts with it (SSH for KVM, XenAPI for XenServer). Strato never logs in to a host
/// (agents connect out with a token), so it keeps only an Argon2 hash: enough to record
/// that credentials were set, nothing an attacker with the database can use.
const HOST_USERNAME: &str = "username";
const HOST_PASSWORD_HASH: &str = "password.argon2";

/// The username and password hash to store, if the caller gave credentials.
async fn credentials(args: &Args) -> Result<Option<(String, String)>, ApiError> {
    let (Some(user), Some(pass)) = (args.str("username"), args.str("password")) else {
        return Ok(None);
    };
    Ok(Some((
        user.trim().to_string(),
        password::hash_off_thread(pass).await?,
    )))
}

async fn store_credentials(
    conn: &mut Conn<'_>,
    host_id: i64,
    (user, hash): &(String, String),
) -> Result<(), ApiError> {
    conn.set_detail("host", host_id, HOST_USERNAME, user)
        .await?;
    conn.set_detail("host", host_id, HOST_PASSWORD_HASH, hash)
        .await?;
    Ok(())
}

/// CloudStack's "12.5%" form of a share.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".into();
    }
    let p = part as f64 * 100.0 / whole as f64;
    format!("{}%", (p * 100.0).round() / 100.0)
}

pub fn host_obj(h: &HostRow, tags: &[(i64, String)]) -> Obj {
    let tags: Vec<&str> = tags
        .iter()
        .filter(|(id, _)| *id == h.id)
        .map(|(_, t)| t.as_str())
        .collect();
    Obj::new("host")
        .str("id", &h.uuid)
        .str("name", &h.name)
        .str("state", &h.status)
        .str("resourcestate", &h.resource_state)
        .str("type", &h.host_type)
        .str("hypervisor", &h.hypervisor)
        .opt_str("hypervisorversion", h.hypervisor_version.clone())
        .str("zoneid", &h.zone_uuid)
        .str("zonename", &h.zone_name)
        .opt_str("podid", h.pod_uuid.clone())
        .opt_str("podname", h.pod_name.clone())
        .opt_str("clusterid", h.cluster_uuid.clone())
        .opt_str("clustername", h.cluster_name.clone())
        .opt_str("clustertype", h.cluster_type.clone())
        .int("cpusockets", h.cpu_sockets)
        .int("cpunumber", h.cpus)
        .int("cpuspeed", h.cpu_speed)
        .str("cpuallocated", percent(h.cpu_used_mhz, h.cpus * h.cpu_speed))
        .str("cpuused", "0%")
        .int("memorytotal", h.ram)
        .int("memoryallocated", h.ram_used_bytes)
        .int("memoryused", 0)
        .int("disksizetotal", h.local_storage)
        .opt_str("ipaddress", h.private_ip.clone())
        .opt_str("version", h.agent_version.clone())
        .str("arch", &h.arch)
        .opt_str("hosttags", (!tags.is_empty()).then(|| tags.join(",")))
        .date("created", &h.created)
        .opt_date("lastpinged", h.last_ping.as_ref())
        .opt_date("disconnected", h.disconnected.as_ref())
        .opt_str("managementserverid", h.mgmt_server.clone())
        .bool("islocalstorageactive", false)
        .bool("hahost", false)
        .str("capabilities", "hvm")
        .str("events", "AgentConnected; PingTimeout; AgentDisconnected; HostDown; ShutdownRequested; Ping; ManagementServerDown; Remove")
}

async fn host_by_param(conn: &mut Conn<'_>, args: &Args) -> Result<HostRow, ApiError> {
    let id = args.required_str("id")?;
    conn.host_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "host"))
}

async fn reply_host(ctx: &Ctx, id: i64) -> Result<Obj, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let h = db
        .c()
        .host_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("host vanished"))?;
    let tags = db.c().host_tags(&[h.id]).await?;
    Ok(host_obj(&h, &tags))
}

fn clean_tags(args: &Args) -> Result<Option<Vec<String>>, ApiError> {
    args.list("hosttags")
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    check_name("hosttags", t)?;
                    Ok(t.trim().to_string())
                })
                .collect()
        })
        .transpose()
}

pub async fn add_host(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let hypervisor = one_of(
        "hypervisor",
        args.required_str("hypervisor")?,
        super::clusters::HYPERVISORS,
    )?;
    let url = args.required_str("url")?.trim().to_string();
    let tags = clean_tags(&args)?;
    // Hashed before the transaction: Argon2 is slow and must not hold the database.
    let creds = credentials(&args).await?;
    let mut tx = ctx.engine.store.begin().await?;
    let zone = super::zones::zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    let pod = super::pods::pod_in_zone(&mut tx.c(), args.required_str("podid")?, &zone).await?;
    let cluster = match (args.uuid("clusterid"), args.str("clustername")) {
        (Some(id), _) => tx
            .c()
            .cluster_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?,
        (None, Some(name)) => {
            let f = strato_schema::cluster::ClusterFilter {
                pod_id: Some(pod.id),
                name: Some(name.to_string()),
                ..Default::default()
            };
            tx.c()
                .list_clusters(&f, Page::ALL)
                .await?
                .1
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ApiError::param(format!("No cluster named {name} in pod {}", pod.name))
                })?
        }
        (None, None) => {
            return Err(ApiError::param(
                "Either clusterid or clustername must be specified",
            ));
        }
    };
    if cluster.pod_id != pod.id {
        return Err(ApiError::param(format!(
            "Cluster {} does not belong to pod {}",
            cluster.uuid, pod.uuid
        )));
    }
    if !cluster.hypervisor.eq_ignore_ascii_case(hypervisor) {
        return Err(ApiError::param(format!(
            "Cluster {} is a {} cluster; cannot add a {hypervisor} host to it",
            cluster.name, cluster.hypervisor
        )));
    }
    if hypervisor != "Simulator" {
        return Err(ApiError::param(format!(
            "{hypervisor} hosts join by running `strato agent --driver kvm --cluster-id {} --token <agent token>` on the host; the management server does not log in to hosts",
            cluster.uuid
        )));
    }
    let capacity = strato_hypervisor_sim::parse_sim_url(&url)
        .map_err(|e| ApiError::param(format!("Invalid value for parameter url: {e}")))?;
    let (_, siblings) = tx
        .c()
        .list_hosts(
            &HostFilter {
                cluster_id: Some(cluster.id),
                ..Default::default()
            },
            Page::ALL,
        )
        .await?;
    for s in &siblings {
        if s.url == url {
            return Err(ApiError::param(format!(
                "A host with url {url} already exists in cluster {}",
                cluster.name
            )));
        }
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let name = format!("SimulatedAgent.{uuid}");
    let id = tx
        .c()
        .insert_host(
            &NewHost {
                uuid: &uuid,
                name: &name,
                guid: &uuid,
                zone_id: zone.id,
                pod_id: Some(pod.id),
                cluster_id: Some(cluster.id),
                hypervisor: "Simulator",
                hypervisor_version: None,
                resource_state: if args
                    .str("allocationstate")
                    .is_some_and(|a| a.eq_ignore_ascii_case("Disabled"))
                {
                    "Disabled"
                } else {
                    "Enabled"
                },
                cpu_sockets: 1,
                cpus: i64::from(capacity.cpu_cores),
                cpu_speed: i64::try_from(capacity.cpu_speed_mhz).unwrap_or(i64::MAX),
                ram: i64::try_from(capacity.memory_bytes).unwrap_or(i64::MAX),
                local_storage: i64::try_from(capacity.local_storage_bytes).unwrap_or(i64::MAX),
                arch: &capacity.arch,
                private_ip: Some("127.0.0.1"),
                url: &url,
                agent_version: None,
            },
            strato_schema::now(),
        )
        .await?;
    if let Some(tags) = &tags {
        tx.c().set_host_tags(id, tags).await?;
    }
    tx.c()
        .set_detail("host", id, "simulator.inprocess", &url)
        .await?;
    // This server connects it in a moment; until then it is not an orphan.
    tx.c().claim_host(id, &ctx.engine.msid).await?;
    if let Some(creds) = &creds {
        store_credentials(&mut tx.c(), id, creds).await?;
    }
    let host = tx
        .c()
        .host_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("host vanished"))?;
    tx.commit().await?;
    agents::connect_simulated(&ctx.engine, &host, capacity).await?;
    Ok(Reply::list(1, vec![reply_host(&ctx, id).await?]))
}

pub async fn list_hosts(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let zone_id = match args.uuid("zoneid") {
        Some(id) => Some(
            c.zone_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", id, "zone"))?
                .id,
        ),
        None => None,
    };
    let pod_id = match args.uuid("podid") {
        Some(id) => Some(
            c.pod_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("podid", id, "pod"))?
                .id,
        ),
        None => None,
    };
    let cluster_id = match args.uuid("clusterid") {
        Some(id) => Some(
            c.cluster_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?
                .id,
        ),
        None => None,
    };
    let filter = HostFilter {
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        pod_id,
        cluster_id,
        name: args.str("name").map(str::to_string),
        host_type: args.str("type").map(str::to_string),
        status: args.str("state").map(str::to_string),
        resource_state: args.str("resourcestate").map(str::to_string),
        hypervisor: args.str("hypervisor").map(str::to_string),
        mgmt_server: args.uuid("managementserverid").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_hosts(&filter, page).await?;
    let ids: Vec<i64> = rows.iter().map(|h| h.id).collect();
    let tags = c.host_tags(&ids).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|h| host_obj(h, &tags)).collect(),
    ))
}

pub async fn update_host(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let tags = clean_tags(&args)?;
    let mut tx = ctx.engine.store.begin().await?;
    let mut h = host_by_param(&mut tx.c(), &args).await?;
    if let Some(a) = args.str("allocationstate") {
        let wanted = one_of("allocationstate", a, &["Enable", "Disable"])?;
        let target = if wanted == "Enable" {
            "Enabled"
        } else {
            "Disabled"
        };
        if !matches!(h.resource_state.as_str(), "Enabled" | "Disabled") {
            return Err(ApiError::param(format!(
                "Host {} is in {}; take it out of maintenance first",
                h.name, h.resource_state
            )));
        }
        h.resource_state = target.to_string();
    }
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        h.name = n.to_string();
    }
    if let Some(tags) = &tags {
        tx.c().set_host_tags(h.id, tags).await?;
    }
    if !tx.c().update_host_admin(&h).await? {
        return Err(concurrent_change(&format!("Host {}", h.uuid)));
    }
    tx.commit().await?;
    Ok(Reply::Object(reply_host(&ctx, h.id).await?))
}

pub async fn delete_host(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let h = host_by_param(&mut tx.c(), &args).await?;
    let idle = h.resource_state == "Maintenance"
        || matches!(h.status.as_str(), "Down" | "Alert" | "Disconnected");
    if !idle && !args.flag("forced") {
        return Err(ApiError::param(format!(
            "Host {} must be in maintenance or disconnected before it is deleted (or use forced=true)",
            h.name
        )));
    }
    tx.c()
        .remove_row(InventoryTable::Host, h.id, strato_schema::now())
        .await?;
    tx.commit().await?;
    agents::disconnect(&ctx.engine, &h.guid);
    ctx.engine.agents.simulator.remove_host(&h.guid);
    Ok(Reply::success())
}

/// Moves the resource state from one of `from` to `to`, or says why not.
async fn set_resource_state(
    ctx: &Ctx,
    h: &HostRow,
    from: &[&str],
    to: &str,
) -> Result<(), ApiError> {
    if !from.contains(&h.resource_state.as_str()) {
        return Err(ApiError::param(format!(
            "Host {} is in state {}; cannot move it to {to}",
            h.name, h.resource_state
        )));
    }
    let mut h = h.clone();
    h.resource_state = to.to_string();
    let mut db = ctx.engine.store.acquire().await?;
    if !db.c().update_host_admin(&h).await? {
        return Err(concurrent_change(&format!("Host {}", h.uuid)));
    }
    Ok(())
}

pub async fn prepare_host_for_maintenance(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let h = host_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    set_resource_state(
        &ctx,
        &h,
        &["Enabled", "Disabled", "ErrorInMaintenance"],
        "PrepareForMaintenance",
    )
    .await?;
    let h = host_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    // The host is no longer Enabled, so placement skips it: move its VMs away, then tell
    // a connected agent.
    if let Err(e) = crate::vms::evacuate::evacuate(&ctx, h.id, &h.name).await {
        set_resource_state(&ctx, &h, &["PrepareForMaintenance"], "ErrorInMaintenance").await?;
        return Err(e);
    }
    let told = if ctx.engine.agents.connected(&h.guid) {
        agents::call(
            &ctx.engine,
            &h.guid,
            strato_agent_proto::Command::MaintainHost,
            std::time::Duration::from_secs(60),
        )
        .await
        // The host may answer with a failure (e.g. a configureSimulator mock).
        .and_then(|answer| {
            answer.map(|_| ()).map_err(|e| {
                ApiError::new(
                    strato_common::ErrorCode::ResourceUnavailable,
                    Some(4380),
                    format!("Host {} refused to enter maintenance: {e}", h.name),
                )
            })
        })
    } else {
        Ok(())
    };
    let to = if told.is_ok() {
        "Maintenance"
    } else {
        "ErrorInMaintenance"
    };
    set_resource_state(&ctx, &h, &["PrepareForMaintenance"], to).await?;
    told?;
    Ok(Reply::Object(reply_host(&ctx, h.id).await?))
}

pub async fn cancel_host_maintenance(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let h = host_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    set_resource_state(
        &ctx,
        &h,
        &["Maintenance", "PrepareForMaintenance", "ErrorInMaintenance"],
        "Enabled",
    )
    .await?;
    Ok(Reply::Object(reply_host(&ctx, h.id).await?))
}

pub async fn reconnect_host(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let h = host_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    if h.resource_state == "Maintenance" {
        return Err(ApiError::param(format!(
            "Host {} is in maintenance",
            h.name
        )));
    }
    agents::disconnect(&ctx.engine, &h.guid);
    let in_process = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .detail("host", h.id, "simulator.inprocess")
        .await?;
    if let Some(url) = in_process {
        // Give the old session a moment to end before the host connects again.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let capacity = strato_hypervisor_sim::parse_sim_url(&url).unwrap_or_default();
        let h = host_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
        agents::connect_simulated(&ctx.engine, &h, capacity).await?;
    }
    Ok(Reply::Object(reply_host(&ctx, h.id).await?))
}

/// updateHostPassword: replaces the stored credentials of one host (`hostid`) or of
/// every host of a cluster (`clusterid`, which wins when both are given, as in
/// CloudStack). Changing the password on the host itself is refused.
pub async fn update_host_password(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    if args.flag("update_passwd_on_host") {
        return Err(ApiError::param(
            "update_passwd_on_host=true is not supported: Strato does not log in to hosts \
             (agents connect to the management server with a token); change the password on \
             the host itself and call updateHostPassword without update_passwd_on_host",
        ));
    }
    let user = args.required_str("username")?.trim();
    if user.is_empty() {
        return Err(ApiError::param("username must not be blank"));
    }
    if args.required_str("password")?.is_empty() {
        return Err(ApiError::param("password must not be empty"));
    }
    let (cluster_id, host_id) = (args.uuid("clusterid"), args.uuid("hostid"));
    if cluster_id.is_none() && host_id.is_none() {
        return Err(ApiError::param(
            "You should provide one of cluster id or a host id.",
        ));
    }
    let creds = credentials(&args)
        .await?
        .ok_or_else(|| ApiError::internal("credentials vanished"))?;
    let mut tx = ctx.engine.store.begin().await?;
    let hosts: Vec<i64> = match (cluster_id, host_id) {
        (Some(id), _) => {
            let cluster = tx
                .c()
                .cluster_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("clusterid", id, "cluster"))?;
            let filter = HostFilter {
                cluster_id: Some(cluster.id),
                ..Default::default()
            };
            let (_, rows) = tx.c().list_hosts(&filter, Page::ALL).await?;
            rows.iter().map(|h| h.id).collect()
        }
        (None, Some(id)) => {
            let h = tx
                .c()
                .host_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("hostid", id, "host"))?;
            vec![h.id]
        }
        (None, None) => Vec::new(),
    };
    for id in hosts {
        store_credentials(&mut tx.c(), id, &creds).await?;
    }
    tx.commit().await?;
    Ok(Reply::success())
}

pub async fn list_host_tags(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut tags: Vec<String> = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .all_host_tags()
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    tags.dedup();
    if let Some(k) = args.str("keyword") {
        tags.retain(|t| t.to_lowercase().contains(&k.to_lowercase()));
    }
    let total = tags.len();
    let start = usize::try_from(page.offset).unwrap_or(0);
    let len = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let items = tags
        .iter()
        .skip(start)
        .take(len)
        .map(|t| Obj::new("hosttag").str("name", t).bool("isimplicit", false))
        .collect();
    Ok(Reply::list(total, items))
}
