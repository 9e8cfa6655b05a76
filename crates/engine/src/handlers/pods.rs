//! createPod, listPods, updatePod, deletePod.

use std::net::Ipv4Addr;

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::pod::{NewPod, PodFilter, PodRangeRow, PodRow};
use strato_schema::sql::Page;
use strato_schema::zone::{InventoryTable, ZoneRow};

use super::zones::zone_by_param;
use super::{allocation_state, check_name, concurrent_change};
use crate::net::{Cidr, ipv4, netmask_prefix, range_in, ranges_overlap};
use crate::{Ctx, paging};

pub fn pod_obj(p: &PodRow, ranges: &[PodRangeRow]) -> Obj {
    let mine: Vec<&PodRangeRow> = ranges.iter().filter(|r| r.pod_id == p.id).collect();
    let netmask = Cidr::parse("cidr", &p.cidr)
        .map(|c| c.netmask().to_string())
        .unwrap_or_default();
    let strs = |f: &dyn Fn(&PodRangeRow) -> String| Node::Strs(mine.iter().map(|r| f(r)).collect());
    let ipranges = mine
        .iter()
        .map(|r| {
            Obj::new("ipranges")
                .str("startip", &r.start_ip)
                .str("endip", &r.end_ip)
                .str("gateway", &p.gateway)
                .str("cidr", &p.cidr)
                .str("forsystemvms", if r.for_system_vms { "1" } else { "0" })
                .opt_str("vlanid", r.vlan.clone())
        })
        .collect();
    Obj::new("pod")
        .str("id", &p.uuid)
        .str("name", &p.name)
        .str("zoneid", &p.zone_uuid)
        .str("zonename", &p.zone_name)
        .str("gateway", &p.gateway)
        .str("netmask", netmask)
        .node("startip", strs(&|r| r.start_ip.clone()))
        .node("endip", strs(&|r| r.end_ip.clone()))
        .node(
            "forsystemvms",
            strs(&|r| {
                if r.for_system_vms {
                    "1".into()
                } else {
                    "0".into()
                }
            }),
        )
        .node("vlanid", strs(&|r| r.vlan.clone().unwrap_or_default()))
        .node("ipranges", Node::Objs(ipranges))
        .str("allocationstate", &p.allocation_state)
}

/// The pod `podid` names, which must be in `zone` (431 otherwise).
pub async fn pod_in_zone(
    conn: &mut Conn<'_>,
    pod_id: &str,
    zone: &ZoneRow,
) -> Result<PodRow, ApiError> {
    let pod = conn
        .pod_by_uuid(pod_id)
        .await?
        .ok_or_else(|| ApiError::not_found("podid", pod_id, "pod"))?;
    if pod.zone_id != zone.id {
        return Err(ApiError::param(format!(
            "Pod {} does not belong to zone {}",
            pod.uuid, zone.uuid
        )));
    }
    Ok(pod)
}

async fn pod_by_param(conn: &mut Conn<'_>, args: &Args, param: &str) -> Result<PodRow, ApiError> {
    let id = args.required_str(param)?;
    conn.pod_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "pod"))
}

/// The pod network and reserved range from gateway/netmask/startip/endip, checked
/// against the zone's other pods.
struct PodNet {
    gateway: Ipv4Addr,
    cidr: Cidr,
    range: Option<(Ipv4Addr, Ipv4Addr)>,
}

async fn check_network(
    conn: &mut Conn<'_>,
    zone_id: i64,
    except_pod: Option<i64>,
    net: &PodNet,
) -> Result<(), ApiError> {
    if let Some((start, end)) = net.range {
        range_in(&net.cidr, start, end)?;
        if (u32::from(start)..=u32::from(end)).contains(&u32::from(net.gateway)) {
            return Err(ApiError::param(format!(
                "The gateway {} must not lie in the reserved range {start}-{end}",
                net.gateway
            )));
        }
    }
    let (_, pods) = conn
        .list_pods(
            &PodFilter {
                zone_id: Some(zone_id),
                ..PodFilter::default()
            },
            Page::ALL,
        )
        .await?;
    for other in pods.iter().filter(|o| Some(o.id) != except_pod) {
        let theirs = Cidr::parse("cidr", &other.cidr)?;
        if theirs.overlaps(&net.cidr) {
            return Err(ApiError::param(format!(
                "The pod network {} overlaps {theirs} of pod {} in the same zone",
                net.cidr, other.name
            )));
        }
    }
    let ids: Vec<i64> = pods
        .iter()
        .filter(|o| Some(o.id) != except_pod)
        .map(|o| o.id)
        .collect();
    if let Some(range) = net.range {
        for r in conn.pod_ranges(&ids).await? {
            let theirs = (ipv4("startip", &r.start_ip)?, ipv4("endip", &r.end_ip)?);
            if ranges_overlap(range, theirs) {
                return Err(ApiError::param(format!(
                    "The IP range {}-{} overlaps a range of another pod",
                    range.0, range.1
                )));
            }
        }
    }
    Ok(())
}

fn pod_net(
    gateway: &str,
    netmask: &str,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<PodNet, ApiError> {
    let gateway = ipv4("gateway", gateway)?;
    let cidr = Cidr::from_gateway(gateway, netmask_prefix("netmask", netmask)?);
    let range = match start {
        Some(s) => {
            let s = ipv4("startip", s)?;
            let e = match end {
                Some(e) => ipv4("endip", e)?,
                None => cidr.last_usable(),
            };
            Some((s, e))
        }
        None if end.is_some() => return Err(ApiError::param("endip needs startip")),
        None => None,
    };
    Ok(PodNet {
        gateway,
        cidr,
        range,
    })
}

pub async fn create_pod(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let (Some(gateway), Some(netmask)) = (args.str("gateway"), args.str("netmask")) else {
        return Err(ApiError::param("gateway and netmask are required"));
    };
    let net = pod_net(gateway, netmask, args.str("startip"), args.str("endip"))?;
    let mut tx = ctx.engine.store.begin().await?;
    let zone = zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    let (taken, _) = tx
        .c()
        .list_pods(
            &PodFilter {
                zone_id: Some(zone.id),
                name: Some(name.to_string()),
                ..PodFilter::default()
            },
            Page::ALL,
        )
        .await?;
    if taken > 0 {
        return Err(ApiError::param(format!(
            "A pod with name {name} already exists in zone {}",
            zone.name
        )));
    }
    check_network(&mut tx.c(), zone.id, None, &net).await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_pod(
            &NewPod {
                uuid: &uuid,
                zone_id: zone.id,
                name,
                gateway: &net.gateway.to_string(),
                cidr: &net.cidr.to_string(),
                allocation_state: allocation_state(&args, "Enabled")?,
            },
            strato_schema::now(),
        )
        .await?;
    if let Some((s, e)) = net.range {
        tx.c()
            .insert_pod_range(id, &s.to_string(), &e.to_string(), None, true)
            .await?;
    }
    let p = tx
        .c()
        .pod_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("pod vanished"))?;
    let ranges = tx.c().pod_ranges(&[id]).await?;
    tx.commit().await?;
    Ok(Reply::Object(pod_obj(&p, &ranges)))
}

pub async fn list_pods(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut db.c(), &args, "zoneid").await?.id),
        None => None,
    };
    let filter = PodFilter {
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        name: args.str("name").map(str::to_string),
        allocation_state: args.str("allocationstate").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = db.c().list_pods(&filter, page).await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let ranges = db.c().pod_ranges(&ids).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|p| pod_obj(p, &ranges)).collect(),
    ))
}

pub async fn update_pod(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut p = pod_by_param(&mut tx.c(), &args, "id").await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        p.name = n.to_string();
    }
    if args.has("allocationstate") {
        p.allocation_state = allocation_state(&args, "Enabled")?.to_string();
    }
    let network_change = ["gateway", "netmask", "startip", "endip"]
        .iter()
        .any(|k| args.has(k));
    if network_change {
        let current = Cidr::parse("cidr", &p.cidr)?;
        let ranges = tx.c().pod_ranges(&[p.id]).await?;
        let first = ranges.first();
        let gateway = args.str("gateway").unwrap_or(&p.gateway).to_string();
        let netmask = args
            .str("netmask")
            .map_or_else(|| current.netmask().to_string(), str::to_string);
        let start = args
            .str("startip")
            .or(first.map(|r| r.start_ip.as_str()))
            .map(str::to_string);
        let end = args
            .str("endip")
            .or(first.map(|r| r.end_ip.as_str()))
            .map(str::to_string);
        let net = pod_net(&gateway, &netmask, start.as_deref(), end.as_deref())?;
        check_network(&mut tx.c(), p.zone_id, Some(p.id), &net).await?;
        p.gateway = net.gateway.to_string();
        p.cidr = net.cidr.to_string();
        tx.c().delete_pod_ranges(p.id).await?;
        if let Some((s, e)) = net.range {
            tx.c()
                .insert_pod_range(p.id, &s.to_string(), &e.to_string(), None, true)
                .await?;
        }
    }
    if !tx.c().update_pod(&p).await? {
        return Err(concurrent_change(&format!("Pod {}", p.uuid)));
    }
    let p = tx
        .c()
        .pod_by_id(p.id)
        .await?
        .ok_or_else(|| ApiError::internal("pod vanished"))?;
    let ranges = tx.c().pod_ranges(&[p.id]).await?;
    tx.commit().await?;
    Ok(Reply::Object(pod_obj(&p, &ranges)))
}

pub async fn delete_pod(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let p = pod_by_param(&mut tx.c(), &args, "id").await?;
    for (table, what) in [
        (InventoryTable::Cluster, "cluster(s)"),
        (InventoryTable::Host, "host(s)"),
        (InventoryTable::StoragePool, "storage pool(s)"),
    ] {
        let n = tx.c().count_children(table, "pod_id", p.id).await?;
        if n > 0 {
            return Err(ApiError::in_use(format!(
                "Pod {} still has {n} {what}; delete them first",
                p.name
            ))
            .with_uuid(&p.uuid, "podId"));
        }
    }
    tx.c().delete_pod_ranges(p.id).await?;
    tx.c()
        .remove_row(InventoryTable::Pod, p.id, strato_schema::now())
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}
