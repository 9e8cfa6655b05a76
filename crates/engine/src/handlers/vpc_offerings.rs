//! createVPCOffering, listVPCOfferings, updateVPCOffering, deleteVPCOffering.

use std::collections::HashMap;

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network_offering::OfferingServiceRow;
use strato_schema::offering::OfferingKind;
use strato_schema::vpc_offering::{NewVpcOffering, VpcOfferingFilter, VpcOfferingRow};

use super::network_offerings::router_offering;
use super::network_services::{self as ns, ServiceMap, flag_value, unsupported};
use super::offering_scope::{Limits, ScopeNames, network_visibility};
use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

const KIND: OfferingKind = OfferingKind::Vpc;

/// Services a VPC can offer.
const VPC_SERVICES: &[&str] = &[
    "Dhcp",
    "Dns",
    "UserData",
    "NetworkACL",
    "PortForwarding",
    "Lb",
    "SourceNat",
    "StaticNat",
    "Gateway",
    "Vpn",
];

/// Providers that can serve a VPC.
const VPC_PROVIDERS: &[&str] = &["VpcVirtualRouter", "InternalLbVm", "ConfigDrive"];

pub fn vpc_offering_obj(o: &VpcOfferingRow, services: &ServiceMap, scopes: &ScopeNames) -> Obj {
    let obj = Obj::new("vpcoffering")
        .str("id", &o.uuid)
        .str("name", &o.name)
        .str("displaytext", &o.display_text)
        .bool("isdefault", o.is_default)
        .str("state", &o.state)
        .node("service", ns::service_objs(services, |_| Vec::new()))
        // Distributed and region-wide VPCs need providers Strato does not have.
        .bool("distributedvpcrouter", false)
        .bool("supportsregionLevelvpc", false);
    scopes
        .fields(obj, o.id)
        .date("created", &o.created)
        .bool("fornsx", false)
}

async fn objs(conn: &mut Conn<'_>, rows: &[VpcOfferingRow]) -> Result<Vec<Obj>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let mut grouped: HashMap<i64, Vec<OfferingServiceRow>> = HashMap::new();
    for r in conn.vpc_offering_services(&ids).await? {
        grouped.entry(r.offering_id).or_default().push(r);
    }
    let scopes = ScopeNames::load(conn, KIND, &ids).await?;
    Ok(rows
        .iter()
        .map(|o| {
            let services = grouped
                .get(&o.id)
                .map(|r| ServiceMap::from_rows(r.iter()))
                .unwrap_or_default();
            vpc_offering_obj(o, &services, &scopes)
        })
        .collect())
}

async fn reply(conn: &mut Conn<'_>, id: i64) -> Result<Reply, ApiError> {
    let o = conn
        .vpc_offering_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("VPC offering vanished"))?;
    objs(conn, std::slice::from_ref(&o))
        .await?
        .pop()
        .map(Reply::Object)
        .ok_or_else(|| ApiError::internal("VPC offering vanished"))
}

/// The services of a new VPC offering: SourceNat, NetworkACL and Gateway are always
/// there; the VPC router serves whatever `serviceproviderlist` gives no provider for.
fn services(args: &Args) -> Result<ServiceMap, ApiError> {
    let mut map = ServiceMap::default();
    for name in args.list("supportedservices").unwrap_or(&[]) {
        let s = ns::service(name)?;
        if !VPC_SERVICES.contains(&s) {
            return Err(ApiError::param(format!(
                "Service {s} is not supported by VPC offerings"
            )));
        }
        map.set(s, vec!["VpcVirtualRouter"]);
    }
    for s in ["SourceNat", "NetworkACL", "Gateway"] {
        map.set(s, vec!["VpcVirtualRouter"]);
    }
    for (s, names) in ns::provider_list(args, &map)? {
        let mut providers = Vec::new();
        for n in &names {
            let p = ns::provider_for(n, s)?;
            if !VPC_PROVIDERS.contains(&p) {
                return Err(ApiError::param(format!(
                    "Provider {p} cannot serve VPCs; use one of {}",
                    VPC_PROVIDERS.join(", ")
                )));
            }
            providers.push(p);
        }
        map.set(s, providers);
    }
    Ok(map)
}

/// `servicecapabilitylist`: only a redundant VPC router can be asked for.
fn redundant_router(args: &Args, map: &ServiceMap) -> Result<bool, ApiError> {
    let mut redundant = false;
    for c in ns::capability_list(args, map)? {
        match (c.service, c.name) {
            ("SourceNat", "RedundantRouter") => redundant = flag_value(&c)?,
            ("Connectivity", "DistributedRouter" | "RegionLevelVpc") => {
                if flag_value(&c)? {
                    return Err(unsupported(&c));
                }
            }
            _ => {
                return Err(ApiError::param(format!(
                    "Capability {} cannot be given for service {} of a VPC offering",
                    c.name, c.service
                )));
            }
        }
    }
    Ok(redundant)
}

pub async fn create_vpc_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let display_text = args
        .str("displaytext")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(name);
    let map = services(&args)?;
    let redundant = redundant_router(&args, &map)?;
    let mut tx = ctx.engine.store.begin().await?;
    if tx.c().vpc_offering_by_name(name).await?.is_some() {
        return Err(ApiError::param(format!(
            "A VPC offering with name {name} already exists"
        )));
    }
    let service_offering_id = router_offering(&mut tx.c(), &args).await?;
    let limits = Limits::from_create(&mut tx.c(), &args).await?;
    let id = tx
        .c()
        .insert_vpc_offering(
            &NewVpcOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name,
                display_text,
                unique_name: None,
                state: if args.flag("enable") {
                    "Enabled"
                } else {
                    "Disabled"
                },
                is_default: false,
                service_offering_id,
                redundant_router: redundant,
            },
            strato_schema::now(),
        )
        .await?;
    tx.c()
        .insert_vpc_offering_services(id, &map.pairs())
        .await?;
    limits.save(&mut tx.c(), KIND, id).await?;
    let r = reply(&mut tx.c(), id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn list_vpc_offerings(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut conn = db.c();
    let services = args
        .list("supportedservices")
        .unwrap_or(&[])
        .iter()
        .map(|s| ns::service(s).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let filter = VpcOfferingFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        display_text: args.str("displaytext").map(str::to_string),
        state: args.str("state").map(str::to_string),
        is_default: args.bool("isdefault"),
        services,
        scope: network_visibility(&mut conn, &ctx.caller, &args).await?,
    };
    let (total, rows) = conn.list_vpc_offerings(&filter, page).await?;
    let objs = objs(&mut conn, &rows).await?;
    Ok(Reply::list(total as usize, objs))
}

async fn offering_by_param(conn: &mut Conn<'_>, args: &Args) -> Result<VpcOfferingRow, ApiError> {
    let id = args.required_str("id")?;
    conn.vpc_offering_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "VPC offering"))
}

pub async fn update_vpc_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut o = offering_by_param(&mut tx.c(), &args).await?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        if n != o.name && tx.c().vpc_offering_by_name(n).await?.is_some() {
            return Err(ApiError::param(format!(
                "A VPC offering with name {n} already exists"
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
    let old = Limits::load(&mut tx.c(), KIND, o.id).await?;
    let limits = Limits::from_update(&mut tx.c(), &args, &old).await?;
    if !tx.c().update_vpc_offering(&o).await? {
        return Err(concurrent_change(&format!("VPC offering {}", o.uuid)));
    }
    if limits != old {
        limits.save(&mut tx.c(), KIND, o.id).await?;
    }
    let r = reply(&mut tx.c(), o.id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn delete_vpc_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let o = offering_by_param(&mut tx.c(), &args).await?;
    if o.is_default {
        return Err(ApiError::param(format!(
            "VPC offering {} is a default offering and cannot be deleted; disable it instead",
            o.name
        )));
    }
    if !tx
        .c()
        .remove_vpc_offering(o.id, strato_schema::now())
        .await?
    {
        return Err(concurrent_change(&format!("VPC offering {}", o.uuid)));
    }
    tx.commit().await?;
    Ok(Reply::success())
}
