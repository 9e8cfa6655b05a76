//! createNetworkOffering, listNetworkOfferings, updateNetworkOffering,
//! deleteNetworkOffering.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network_offering::{
    NetworkCapabilities, NetworkOfferingFilter, NetworkOfferingRow, NewNetworkOffering,
    OfferingServiceRow,
};
use strato_schema::offering::OfferingKind;

use super::compute_sizing::at_least;
use super::disk_props::clean_tags;
use super::network_offering_input::{network_capabilities, services};
use super::network_services::{self as ns, ServiceMap};
use super::offering_scope::{Limits, ScopeNames, network_visibility};
use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

const KIND: OfferingKind = OfferingKind::Network;

/// The capabilities CloudStack shows per service, from the offering's columns.
fn capabilities(c: &NetworkCapabilities, service: &str) -> Vec<(&'static str, String)> {
    let b = |v: bool| v.to_string();
    match service {
        "Lb" => vec![
            (
                "SupportedLBIsolation",
                if c.dedicated_lb {
                    "dedicated"
                } else {
                    "shared"
                }
                .to_string(),
            ),
            ("ElasticLb", b(c.elastic_lb)),
            ("InlineMode", b(c.inline_lb)),
        ],
        "SourceNat" => vec![
            (
                "SupportedSourceNatTypes",
                if c.shared_source_nat {
                    "perzone"
                } else {
                    "peraccount"
                }
                .to_string(),
            ),
            ("RedundantRouter", b(c.redundant_router)),
        ],
        "StaticNat" => vec![
            ("ElasticIp", b(c.elastic_ip)),
            ("AssociatePublicIP", b(c.associate_public_ip)),
        ],
        _ => Vec::new(),
    }
}

pub fn network_offering_obj(
    o: &NetworkOfferingRow,
    services: &ServiceMap,
    scopes: &ScopeNames,
    default_rate: i64,
) -> Obj {
    // No rate means the global default; 0 is unlimited, shown as -1.
    let rate = match o.network_rate.unwrap_or(default_rate) {
        0 => -1,
        r => r,
    };
    let mut obj = Obj::new("networkoffering")
        .str("id", &o.uuid)
        .str("name", &o.name)
        .str("displaytext", &o.display_text)
        .opt_str("tags", o.tags.clone())
        .str("traffictype", &o.traffic_type)
        .bool("isdefault", o.is_default)
        .bool("specifyvlan", o.specify_vlan)
        .bool("conservemode", o.conserve_mode)
        .bool("specifyipranges", o.specify_ip_ranges)
        .str("availability", &o.availability)
        .int("networkrate", rate)
        .str("state", &o.state)
        .opt_str("guestiptype", o.guest_type.clone())
        .opt_str("serviceofferingid", o.service_offering_uuid.clone())
        .node(
            "service",
            ns::service_objs(services, |s| capabilities(&o.caps, s)),
        )
        .bool("forvpc", o.for_vpc)
        .bool("ispersistent", o.is_persistent)
        .bool("egressdefaultpolicy", o.egress_default_policy);
    if let Some(m) = o.max_connections {
        obj = obj.int("maxconnections", m);
    }
    // Stretched and public-access networks need Connectivity providers Strato lacks.
    obj = obj
        .bool("supportsstrechedl2subnet", false)
        .bool("supportspublicaccess", false)
        .bool("supportsinternallb", o.caps.internal_lb);
    scopes
        .fields(obj, o.id)
        .date("created", &o.created)
        .bool("fornsx", false)
        .bool("fortungsten", false)
        .bool("hasannotations", false)
}

fn by_offering(rows: Vec<OfferingServiceRow>) -> HashMap<i64, ServiceMap> {
    let mut grouped: HashMap<i64, Vec<OfferingServiceRow>> = HashMap::new();
    for r in rows {
        grouped.entry(r.offering_id).or_default().push(r);
    }
    grouped
        .into_iter()
        .map(|(id, rows)| (id, ServiceMap::from_rows(rows.iter())))
        .collect()
}

async fn objs(
    ctx: &Ctx,
    conn: &mut Conn<'_>,
    rows: &[NetworkOfferingRow],
) -> Result<Vec<Obj>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let services = by_offering(conn.network_offering_services(&ids).await?);
    let scopes = ScopeNames::load(conn, KIND, &ids).await?;
    let rate = ctx.engine.settings.i64("network.throttling.rate");
    let none = ServiceMap::default();
    Ok(rows
        .iter()
        .map(|o| network_offering_obj(o, services.get(&o.id).unwrap_or(&none), &scopes, rate))
        .collect())
}

async fn reply(ctx: &Ctx, conn: &mut Conn<'_>, id: i64) -> Result<Reply, ApiError> {
    let o = conn
        .network_offering_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("network offering vanished"))?;
    let mut objs = objs(ctx, conn, std::slice::from_ref(&o)).await?;
    objs.pop()
        .map(Reply::Object)
        .ok_or_else(|| ApiError::internal("network offering vanished"))
}

/// `serviceofferingid`: an active system offering for virtual routers.
pub async fn router_offering(conn: &mut Conn<'_>, args: &Args) -> Result<Option<i64>, ApiError> {
    let Some(id) = args.uuid("serviceofferingid") else {
        return Ok(None);
    };
    let so = conn
        .service_offering_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("serviceofferingid", id, "compute offering"))?;
    if so.vm_type.as_deref() != Some("domainrouter") || so.state != "Active" {
        return Err(ApiError::param(format!(
            "Invalid parameter serviceofferingid value={id}: routers need an active system \
             offering of system VM type domainrouter"
        )));
    }
    Ok(Some(so.id))
}

/// Availability Required: only for Isolated offerings with SourceNat, and only one.
async fn check_required(
    conn: &mut Conn<'_>,
    guest_type: Option<&str>,
    source_nat: bool,
    except: Option<i64>,
) -> Result<(), ApiError> {
    if guest_type != Some("Isolated") || !source_nat {
        return Err(ApiError::param(
            "Availability Required is only for Isolated offerings with the SourceNat service",
        ));
    }
    if let Some(other) = conn
        .required_network_offerings()
        .await?
        .into_iter()
        .find(|o| Some(o.id) != except)
    {
        return Err(ApiError::param(format!(
            "Network offering {} already has availability Required; only one may",
            other.name
        )));
    }
    Ok(())
}

pub async fn create_network_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let display_text = args
        .str("displaytext")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(name);
    let traffic = one_of(
        "traffictype",
        args.required_str("traffictype")?,
        &[
            "Public",
            "Guest",
            "Management",
            "Control",
            "Storage",
            "Vlan",
        ],
    )?;
    if traffic != "Guest" {
        return Err(ApiError::param(
            "Only traffic type Guest is supported for parameter traffictype",
        ));
    }
    let guest_type = one_of(
        "guestiptype",
        args.required_str("guestiptype")?,
        &["Isolated", "Shared", "L2"],
    )?;
    let availability = match args.str("availability") {
        Some(a) => one_of("availability", a, &["Required", "Optional"])?,
        None => "Optional",
    };
    let (map, for_vpc) = services(&args, guest_type)?;
    let caps = network_capabilities(&args, &map)?;
    let specify_ip_ranges = args.flag("specifyipranges");
    if specify_ip_ranges && guest_type == "Isolated" && map.has("SourceNat") {
        return Err(ApiError::param(
            "Parameter specifyipranges can be true only for Shared offerings and Isolated ones without SourceNat",
        ));
    }
    if !specify_ip_ranges && guest_type == "Shared" {
        return Err(ApiError::param(
            "Parameter specifyipranges must be true for Shared network offerings",
        ));
    }
    let persistent = args.flag("ispersistent");
    if persistent && guest_type == "Shared" {
        return Err(ApiError::param(
            "Parameter ispersistent must be false for Shared network offerings",
        ));
    }
    let max_connections = args
        .int("maxconnections")
        .map(|m| at_least("maxconnections", m, 0, ""))
        .transpose()?;
    let mut tx = ctx.engine.store.begin().await?;
    if availability == "Required" {
        check_required(&mut tx.c(), Some(guest_type), map.has("SourceNat"), None).await?;
    }
    if tx.c().network_offering_by_name(name).await?.is_some() {
        return Err(ApiError::param(format!(
            "A network offering with name {name} already exists"
        )));
    }
    let service_offering_id = router_offering(&mut tx.c(), &args).await?;
    let limits = Limits::from_create(&mut tx.c(), &args).await?;
    let tags = args.str("tags").and_then(clean_tags);
    let id = tx
        .c()
        .insert_network_offering(
            &NewNetworkOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name,
                display_text,
                unique_name: None,
                traffic_type: traffic,
                guest_type: Some(guest_type),
                availability,
                state: if args.flag("enable") {
                    "Enabled"
                } else {
                    "Disabled"
                },
                is_default: false,
                system_only: false,
                specify_vlan: args.flag("specifyvlan"),
                specify_ip_ranges,
                conserve_mode: args.bool("conservemode").unwrap_or(true),
                egress_default_policy: args.bool("egressdefaultpolicy").unwrap_or(true),
                is_persistent: persistent,
                for_vpc,
                network_rate: args.int("networkrate").map(|r| r.max(0)),
                tags: tags.as_deref(),
                service_offering_id,
                max_connections,
                keep_alive: args.flag("keepaliveenabled"),
                caps: &caps,
            },
            strato_schema::now(),
        )
        .await?;
    tx.c()
        .insert_network_offering_services(id, &map.pairs())
        .await?;
    limits.save(&mut tx.c(), KIND, id).await?;
    let r = reply(&ctx, &mut tx.c(), id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn list_network_offerings(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut conn = db.c();
    let services = args
        .list("supportedservices")
        .unwrap_or(&[])
        .iter()
        .map(|s| ns::service(s).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let scope = network_visibility(&mut conn, &ctx.caller, &args).await?;
    // CloudStack creates no guest networks in Basic zones, so it offers none there.
    if let Some(zone) = scope.zone_id
        && let Some(z) = conn.zone_by_id(zone).await?
        && z.network_type == "Basic"
    {
        return Ok(Reply::list(0, Vec::new()));
    }
    let filter = NetworkOfferingFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        display_text: args.str("displaytext").map(str::to_string),
        guest_type: args.str("guestiptype").map(str::to_string),
        traffic_type: args.str("traffictype").map(str::to_string),
        availability: args.str("availability").map(str::to_string),
        state: args.str("state").map(str::to_string),
        is_default: args.bool("isdefault"),
        specify_vlan: args.bool("specifyvlan"),
        specify_ip_ranges: args.bool("specifyipranges"),
        for_vpc: args.bool("forvpc"),
        tags: args.str("tags").map(str::to_string),
        is_tagged: args.bool("istagged"),
        services,
        source_nat: args.bool("sourcenatsupported"),
        // In a zone, only offerings whose providers are enabled there can be used.
        providers_enabled_in_zone: scope.zone_id,
        scope,
    };
    let (total, rows) = conn.list_network_offerings(&filter, page).await?;
    let objs = objs(&ctx, &mut conn, &rows).await?;
    Ok(Reply::list(total as usize, objs))
}

async fn offering_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
) -> Result<NetworkOfferingRow, ApiError> {
    let id = args.required_str("id")?;
    conn.network_offering_by_uuid(id)
        .await?
        // System offerings are not the API's to change.
        .filter(|o| !o.system_only)
        .ok_or_else(|| ApiError::not_found("id", id, "network offering"))
}

pub async fn update_network_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut o = offering_by_param(&mut tx.c(), &args).await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        if n != o.name && tx.c().network_offering_by_name(n).await?.is_some() {
            return Err(ApiError::param(format!(
                "A network offering with name {n} already exists"
            )));
        }
        o.name = n.to_string();
    }
    if let Some(t) = args.str("displaytext") {
        o.display_text = t.to_string();
    }
    if let Some(k) = args.int("sortkey") {
        o.sort_key = k;
    }
    if let Some(s) = args.str("state") {
        o.state = one_of("state", s, &["Enabled", "Disabled"])?.to_string();
    }
    if let Some(a) = args.str("availability") {
        let a = one_of("availability", a, &["Required", "Optional"])?;
        if a == "Required" {
            let services = tx.c().network_offering_services(&[o.id]).await?;
            let source_nat = services.iter().any(|s| s.service == "SourceNat");
            check_required(&mut tx.c(), o.guest_type.as_deref(), source_nat, Some(o.id)).await?;
        }
        o.availability = a.to_string();
    }
    if let Some(t) = args.str("tags") {
        o.tags = clean_tags(t);
    }
    if let Some(m) = args.int("maxconnections") {
        o.max_connections = Some(at_least("maxconnections", m, 0, "")?);
    }
    if let Some(k) = args.bool("keepaliveenabled") {
        o.keep_alive = k;
    }
    let old = Limits::load(&mut tx.c(), KIND, o.id).await?;
    let limits = Limits::from_update(&mut tx.c(), &args, &old).await?;
    if !tx.c().update_network_offering(&o).await? {
        return Err(concurrent_change(&format!("Network offering {}", o.uuid)));
    }
    if limits != old {
        limits.save(&mut tx.c(), KIND, o.id).await?;
    }
    let r = reply(&ctx, &mut tx.c(), o.id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn delete_network_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let o = offering_by_param(&mut tx.c(), &args).await?;
    if o.is_default {
        return Err(ApiError::param(format!(
            "Network offering {} is a default offering and cannot be deleted; disable it instead",
            o.name
        )));
    }
    if !tx
        .c()
        .remove_network_offering(o.id, strato_schema::now())
        .await?
    {
        return Err(concurrent_change(&format!("Network offering {}", o.uuid)));
    }
    tx.commit().await?;
    Ok(Reply::success())
}
