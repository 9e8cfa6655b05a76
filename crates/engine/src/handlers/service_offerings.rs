//! createServiceOffering, listServiceOfferings, updateServiceOffering,
//! deleteServiceOffering.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::disk_offering::NewDiskOffering;
use strato_schema::offering::OfferingKind;
use strato_schema::service_offering::{
    NewServiceOffering, ServiceOfferingFilter, ServiceOfferingRow,
};

use super::compute_sizing::{at_least, check_system, sizing, system_vm_type};
use super::disk_offerings::state_filter;
use super::disk_props::{clean_tags, given_param, local_storage, parse_props, props_fields};
use super::offering_scope::{self as scope, Limits, ScopeNames};
use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

const KIND: OfferingKind = OfferingKind::Service;

pub fn service_offering_obj(o: &ServiceOfferingRow, scopes: &ScopeNames) -> Obj {
    let opt_int = |obj: Obj, key: &str, v: Option<i64>| match v {
        Some(v) => obj.int(key, v),
        None => obj,
    };
    let mut obj = Obj::new("serviceoffering")
        .str("id", &o.uuid)
        .str("name", &o.name)
        .str("displaytext", &o.display_text);
    obj = opt_int(obj, "cpunumber", o.cpu);
    obj = opt_int(obj, "cpuspeed", o.speed);
    obj = opt_int(obj, "memory", o.ram_size);
    obj = props_fields(obj.date("created", &o.created), &o.disk, "storagetags")
        .bool("offerha", o.offer_ha)
        .bool("limitcpuuse", o.limit_cpu_use)
        .bool("isvolatile", o.is_volatile)
        .opt_str("hosttags", o.host_tags.clone())
        .bool("issystem", o.system_use)
        .bool("defaultuse", o.default_use)
        .opt_str("systemvmtype", o.vm_type.clone());
    obj = opt_int(scopes.fields(obj, o.id), "networkrate", o.network_rate)
        .bool("iscustomized", o.customized)
        .int("rootdisksize", o.root_disk_size_gb)
        .bool("dynamicscalingenabled", o.dynamic_scaling_enabled)
        .bool("diskofferingstrictness", o.disk_offering_strictness);
    if !o.disk_compute_only {
        obj = obj
            .str("diskofferingid", &o.disk_offering_uuid)
            .str("diskofferingname", &o.disk_offering_name)
            .str("diskofferingdisplaytext", &o.disk_offering_display_text);
    }
    obj = obj
        .bool("encryptroot", o.disk.encrypt)
        .str("state", &o.state);
    // CloudStack shows the bounds of a customized offering as details.
    let details: Vec<(String, String)> = [
        ("maxcpunumber", o.max_cpu),
        ("maxmemory", o.max_memory),
        ("mincpunumber", o.min_cpu),
        ("minmemory", o.min_memory),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
    .collect();
    if !details.is_empty() {
        obj = obj.node("serviceofferingdetails", Node::Map(details));
    }
    obj.bool("hasannotations", false)
}

async fn reply(conn: &mut Conn<'_>, id: i64) -> Result<Reply, ApiError> {
    let o = conn
        .service_offering_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("compute offering vanished"))?;
    let scopes = ScopeNames::load(conn, KIND, &[o.id]).await?;
    Ok(Reply::Object(service_offering_obj(&o, &scopes)))
}

async fn offering_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
) -> Result<ServiceOfferingRow, ApiError> {
    let id = args.required_str("id")?;
    conn.service_offering_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "compute offering"))
}

/// The root disk's offering: the one named by `diskofferingid`, or a new compute-only
/// one built from the storage parameters.
async fn root_disk_offering(
    conn: &mut Conn<'_>,
    args: &Args,
    name: &str,
    display_text: &str,
) -> Result<i64, ApiError> {
    if let Some(id) = args.uuid("diskofferingid") {
        if let Some(p) = given_param(args) {
            return Err(ApiError::param(format!(
                "Parameter {p} cannot be combined with diskofferingid: the root disk takes \
                 its properties from that disk offering"
            )));
        }
        return Ok(conn
            .disk_offering_by_uuid(id)
            .await?
            .ok_or_else(|| ApiError::not_found("diskofferingid", id, "disk offering"))?
            .id);
    }
    let root_gb = match args.int("rootdisksize") {
        Some(gb) => at_least("rootdisksize", gb, 1, " GiB")?,
        None => 0,
    };
    let props = parse_props(args, "encryptroot")?;
    Ok(conn
        .insert_disk_offering(
            &NewDiskOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name,
                display_text,
                unique_name: None,
                disk_size_gb: root_gb,
                customized: false,
                display_offering: true,
                disk_size_strictness: false,
                compute_only: true,
                props: &props,
            },
            strato_schema::now(),
        )
        .await?)
}

pub async fn create_service_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let display_text = args
        .str("displaytext")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(name);
    let size = sizing(&args)?;
    let vm_type = system_vm_type(&args, args.flag("issystem"))?;
    check_system(&args, vm_type, size.customized)?;
    let offer_ha = args.flag("offerha");
    if offer_ha && local_storage(&args)? == Some(true) {
        return Err(ApiError::param(
            "Parameter offerha cannot be true for local storage: HA needs shared storage",
        ));
    }
    let host_tags = args.str("hosttags").and_then(clean_tags);
    let storage_tags = args.str("tags").and_then(clean_tags);
    let mut tx = ctx.engine.store.begin().await?;
    let limits = Limits::from_create(&mut tx.c(), &args).await?;
    scope::check_create(
        &ctx.caller,
        &limits,
        host_tags.is_some() || storage_tags.is_some(),
    )?;
    let disk_offering_id = root_disk_offering(&mut tx.c(), &args, name, display_text).await?;
    let id = tx
        .c()
        .insert_service_offering(
            &NewServiceOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name,
                display_text,
                unique_name: None,
                cpu: size.cpu,
                speed: size.speed,
                ram_size: size.memory,
                min_cpu: size.min_cpu,
                max_cpu: size.max_cpu,
                min_memory: size.min_memory,
                max_memory: size.max_memory,
                customized: size.customized,
                offer_ha,
                limit_cpu_use: args.flag("limitcpuuse"),
                is_volatile: args.flag("isvolatile"),
                host_tags: host_tags.as_deref(),
                network_rate: args.int("networkrate"),
                system_use: vm_type.is_some(),
                vm_type,
                default_use: false,
                dynamic_scaling_enabled: args.bool("dynamicscalingenabled").unwrap_or(true),
                disk_offering_strictness: args.flag("diskofferingstrictness"),
                disk_offering_id,
            },
            strato_schema::now(),
        )
        .await?;
    limits.save(&mut tx.c(), KIND, id).await?;
    let r = reply(&mut tx.c(), id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn list_service_offerings(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let system = args.flag("issystem");
    if system && !ctx.caller.is_root_admin() {
        return Err(ApiError::param(
            "Only root admins can list system offerings (issystem=true)",
        ));
    }
    let mut db = ctx.engine.store.acquire().await?;
    let mut conn = db.c();
    let filter = ServiceOfferingFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        state: state_filter(&args)?,
        system: Some(system),
        vm_type: args.str("systemvmtype").map(str::to_string),
        local_storage: local_storage(&args)?,
        encrypt_root: args.bool("encryptroot"),
        cpu: args.int("cpunumber"),
        memory: args.int("memory"),
        speed: args.int("cpuspeed"),
        scope: scope::compute_visibility(&mut conn, &ctx.caller, &args).await?,
    };
    let (total, rows) = conn.list_service_offerings(&filter, page).await?;
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let scopes = ScopeNames::load(&mut conn, KIND, &ids).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter()
            .map(|o| service_offering_obj(o, &scopes))
            .collect(),
    ))
}

pub async fn update_service_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut o = offering_by_param(&mut tx.c(), &args).await?;
    let old = Limits::load(&mut tx.c(), KIND, o.id).await?;
    let new = Limits::from_update(&mut tx.c(), &args, &old).await?;
    let renaming = args.has("name") || args.has("displaytext") || args.has("sortkey");
    let tagged = ["storagetags", "hosttags"]
        .iter()
        .any(|p| args.str(p).and_then(clean_tags).is_some());
    let limits = scope::check_update(&ctx.caller, &old, new, renaming, tagged)?;
    if let Some(n) = args.str("name").map(str::trim) {
        check_name("name", n)?;
        o.name = n.to_string();
    }
    if let Some(t) = args.str("displaytext") {
        o.display_text = t.to_string();
    }
    if let Some(k) = args.int("sortkey") {
        o.sort_key = k;
    }
    if let Some(t) = args.str("hosttags") {
        o.host_tags = clean_tags(t);
    }
    let state = args
        .str("state")
        .map(|s| one_of("state", s, &["Active", "Inactive"]))
        .transpose()?;
    if let Some(s) = state {
        o.state = s.to_string();
    }
    // Storage tags live on the root disk's offering; a compute-only one follows the state.
    if args.has("storagetags") || (state.is_some() && o.disk_compute_only) {
        let mut disk = tx
            .c()
            .disk_offering_by_id(o.disk_offering_id)
            .await?
            .ok_or_else(|| ApiError::internal("root disk offering vanished"))?;
        if let Some(t) = args.str("storagetags") {
            disk.props.tags = clean_tags(t);
        }
        if let (Some(s), true) = (state, o.disk_compute_only) {
            disk.state = s.to_string();
        }
        if !tx.c().update_disk_offering(&disk).await? {
            return Err(concurrent_change(&format!("Disk offering {}", disk.uuid)));
        }
    }
    if !tx.c().update_service_offering(&o).await? {
        return Err(concurrent_change(&format!("Compute offering {}", o.uuid)));
    }
    if limits != old {
        limits.save(&mut tx.c(), KIND, o.id).await?;
    }
    let r = reply(&mut tx.c(), o.id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn delete_service_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let o = offering_by_param(&mut tx.c(), &args).await?;
    if o.default_use {
        return Err(ApiError::param(format!(
            "The system offering {} is used by default and cannot be deleted",
            o.name
        )));
    }
    let limits = Limits::load(&mut tx.c(), KIND, o.id).await?;
    scope::check_delete(&ctx.caller, &limits)?;
    let now = strato_schema::now();
    if !tx.c().remove_service_offering(o.id, now).await? {
        return Err(concurrent_change(&format!("Compute offering {}", o.uuid)));
    }
    if o.disk_compute_only {
        tx.c().remove_disk_offering(o.disk_offering_id, now).await?;
    }
    tx.commit().await?;
    Ok(Reply::success())
}
