//! createZone, listZones, updateZone, deleteZone.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::zone::{InventoryTable, NewZone, ZoneFilter, ZoneRow};

use super::{allocation_state, check_name, concurrent_change, one_of};
use crate::net::{Cidr, ipv4};
use crate::{Ctx, paging};

pub fn zone_obj(z: &ZoneRow) -> Obj {
    Obj::new("zone")
        .str("id", &z.uuid)
        .str("name", &z.name)
        .opt_str("description", z.description.clone())
        .str("networktype", &z.network_type)
        .str("dns1", &z.dns1)
        .opt_str("dns2", z.dns2.clone())
        .str("internaldns1", &z.internal_dns1)
        .opt_str("internaldns2", z.internal_dns2.clone())
        .opt_str("ip6dns1", z.ip6_dns1.clone())
        .opt_str("ip6dns2", z.ip6_dns2.clone())
        .opt_str("guestcidraddress", z.guest_cidr.clone())
        .opt_str("domain", z.network_domain.clone())
        .opt_str("domainid", z.domain_uuid.clone())
        .opt_str("domainname", z.domain_name.clone())
        .str("allocationstate", &z.allocation_state)
        .bool("localstorageenabled", z.local_storage_enabled)
        .bool("securitygroupsenabled", z.security_group_enabled)
        .str("dhcpprovider", "VirtualRouter")
        .str("type", if z.is_edge { "Edge" } else { "Core" })
        .node("tags", Node::Objs(Vec::new()))
}

pub async fn zone_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
    param: &str,
) -> Result<ZoneRow, ApiError> {
    let id = args.required_str(param)?;
    conn.zone_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "zone"))
}

fn check_dns(param: &str, v: Option<&str>) -> Result<(), ApiError> {
    if let Some(v) = v {
        ipv4(param, v)?;
    }
    Ok(())
}

fn check_guest_cidr(v: Option<&str>) -> Result<Option<String>, ApiError> {
    v.map(|v| Cidr::parse("guestcidraddress", v).map(|c| c.to_string()))
        .transpose()
}

pub async fn create_zone(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let network_type = one_of(
        "networktype",
        args.required_str("networktype")?,
        &["Basic", "Advanced"],
    )?;
    for p in ["dns1", "dns2", "internaldns1", "internaldns2"] {
        check_dns(p, args.str(p))?;
    }
    let guest_cidr = match check_guest_cidr(args.str("guestcidraddress"))? {
        // CloudStack's default guest network CIDR for Advanced zones.
        None if network_type == "Advanced" => Some("10.1.1.0/24".to_string()),
        other => other,
    };
    let mut tx = ctx.engine.store.begin().await?;
    if tx.c().zone_by_name(name).await?.is_some() {
        return Err(ApiError::param(format!(
            "A zone with name {name} already exists"
        )));
    }
    let domain_id = match args.uuid("domainid") {
        Some(id) => Some(
            tx.c()
                .domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?
                .id,
        ),
        None => None,
    };
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_zone(
            &NewZone {
                uuid: &uuid,
                name,
                description: None,
                network_type,
                dns1: args.required_str("dns1")?,
                dns2: args.str("dns2"),
                internal_dns1: args.required_str("internaldns1")?,
                internal_dns2: args.str("internaldns2"),
                ip6_dns1: args.str("ip6dns1"),
                ip6_dns2: args.str("ip6dns2"),
                guest_cidr: guest_cidr.as_deref(),
                network_domain: args.str("domain"),
                domain_id,
                allocation_state: allocation_state(&args, "Disabled")?,
                local_storage_enabled: args.flag("localstorageenabled"),
                security_group_enabled: args.flag("securitygroupenabled"),
                is_edge: args.flag("isedge"),
            },
            strato_schema::now(),
        )
        .await?;
    let z = tx
        .c()
        .zone_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("zone vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(zone_obj(&z)))
}

pub async fn list_zones(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let admin = ctx.caller.is_root_admin();
    let filter = ZoneFilter {
        uuid: args.uuid("id").map(str::to_string),
        uuids: args.list("ids").map(<[String]>::to_vec),
        name: args.str("name").map(str::to_string),
        network_type: args.str("networktype").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        // Non-admins, and anyone asking for available zones, see enabled zones open to them.
        enabled_only: !admin || args.flag("available"),
        visible_to_path: (!admin).then(|| ctx.caller.domain_path.clone()),
    };
    let (total, rows) = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .list_zones(&filter, page)
        .await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(zone_obj).collect(),
    ))
}

pub async fn update_zone(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut z = zone_by_param(&mut tx.c(), &args, "id").await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        if n != z.name && tx.c().zone_by_name(n).await?.is_some() {
            return Err(ApiError::param(format!(
                "A zone with name {n} already exists"
            )));
        }
        z.name = n.to_string();
    }
    for p in ["dns1", "dns2", "internaldns1", "internaldns2"] {
        check_dns(p, args.str(p))?;
    }
    let set = |slot: &mut Option<String>, p: &str| {
        if let Some(v) = args.str(p) {
            *slot = Some(v.to_string());
        }
    };
    set(&mut z.dns2, "dns2");
    set(&mut z.internal_dns2, "internaldns2");
    set(&mut z.ip6_dns1, "ip6dns1");
    set(&mut z.ip6_dns2, "ip6dns2");
    set(&mut z.network_domain, "domain");
    if let Some(v) = args.str("dns1") {
        z.dns1 = v.to_string();
    }
    if let Some(v) = args.str("internaldns1") {
        z.internal_dns1 = v.to_string();
    }
    if let Some(c) = check_guest_cidr(args.str("guestcidraddress"))? {
        z.guest_cidr = Some(c);
    }
    if args.has("allocationstate") {
        z.allocation_state = allocation_state(&args, "Enabled")?.to_string();
    }
    if let Some(v) = args.bool("localstorageenabled") {
        z.local_storage_enabled = v;
    }
    if !tx.c().update_zone(&z).await? {
        return Err(concurrent_change(&format!("Zone {}", z.uuid)));
    }
    let z = tx
        .c()
        .zone_by_id(z.id)
        .await?
        .ok_or_else(|| ApiError::internal("zone vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(zone_obj(&z)))
}

pub async fn delete_zone(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let z = zone_by_param(&mut tx.c(), &args, "id").await?;
    for (table, what) in [
        (InventoryTable::Pod, "pod(s)"),
        (InventoryTable::PhysicalNetwork, "physical network(s)"),
        (InventoryTable::Vlan, "public IP range(s)"),
        (InventoryTable::StoragePool, "primary storage pool(s)"),
        (InventoryTable::ImageStore, "image store(s)"),
    ] {
        let n = tx.c().count_children(table, "zone_id", z.id).await?;
        if n > 0 {
            return Err(ApiError::in_use(format!(
                "Zone {} still has {n} {what}; delete them first",
                z.name
            ))
            .with_uuid(&z.uuid, "zoneId"));
        }
    }
    tx.c()
        .remove_row(InventoryTable::Zone, z.id, strato_schema::now())
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}
