//! createDiskOffering, listDiskOfferings, updateDiskOffering, deleteDiskOffering.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::disk_offering::{DiskOfferingFilter, DiskOfferingRow, NewDiskOffering};
use strato_schema::offering::OfferingKind;

use super::disk_props::{
    apply_limits, cache_mode, clean_tags, local_storage, parse_props, props_fields,
};
use super::offering_scope::{self as scope, Limits, ScopeNames};
use super::{check_name, concurrent_change, one_of};
use crate::{Ctx, paging};

const KIND: OfferingKind = OfferingKind::Disk;

pub fn disk_offering_obj(o: &DiskOfferingRow, scopes: &ScopeNames) -> Obj {
    let obj = Obj::new("diskoffering")
        .str("id", &o.uuid)
        .str("name", &o.name)
        .str("displaytext", &o.display_text)
        .int("disksize", o.disk_size_gb)
        .date("created", &o.created)
        .bool("iscustomized", o.customized);
    let obj = props_fields(obj, &o.props, "tags");
    scopes
        .fields(obj, o.id)
        .bool("displayoffering", o.display_offering)
        .bool("encrypt", o.props.encrypt)
        .bool("disksizestrictness", o.disk_size_strictness)
        .str("state", &o.state)
        .bool("hasannotations", false)
}

async fn reply(conn: &mut Conn<'_>, id: i64) -> Result<Reply, ApiError> {
    let o = conn
        .disk_offering_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("disk offering vanished"))?;
    let scopes = ScopeNames::load(conn, KIND, &[o.id]).await?;
    Ok(Reply::Object(disk_offering_obj(&o, &scopes)))
}

async fn offering_by_param(conn: &mut Conn<'_>, args: &Args) -> Result<DiskOfferingRow, ApiError> {
    let id = args.required_str("id")?;
    conn.disk_offering_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "disk offering"))
}

/// `disksize` against `customized`: a fixed offering needs a size of 1 GiB or more, a
/// customized one takes none.
fn disk_size(args: &Args, customized: bool) -> Result<i64, ApiError> {
    match (args.int("disksize"), customized) {
        (None, false) => Err(ApiError::param(
            "Parameter disksize is required for a disk offering that is not customized",
        )),
        (Some(_), true) => Err(ApiError::param(
            "Parameter disksize must not be given for a customized disk offering",
        )),
        (Some(gb), false) if gb < 1 => Err(ApiError::param(format!(
            "Invalid value {gb} for parameter disksize: give at least 1 GiB"
        ))),
        (size, _) => Ok(size.unwrap_or(0)),
    }
}

pub async fn create_disk_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let display_text = args
        .str("displaytext")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(name);
    let customized = args.flag("customized");
    let size = disk_size(&args, customized)?;
    let props = parse_props(&args, "encrypt")?;
    let mut tx = ctx.engine.store.begin().await?;
    let limits = Limits::from_create(&mut tx.c(), &args).await?;
    scope::check_create(&ctx.caller, &limits, props.tags.is_some())?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_disk_offering(
            &NewDiskOffering {
                uuid: &uuid,
                name,
                display_text,
                unique_name: None,
                disk_size_gb: size,
                customized,
                display_offering: args.bool("displayoffering").unwrap_or(true),
                disk_size_strictness: args.flag("disksizestrictness"),
                compute_only: false,
                props: &props,
            },
            strato_schema::now(),
        )
        .await?;
    limits.save(&mut tx.c(), KIND, id).await?;
    let r = reply(&mut tx.c(), id).await?;
    tx.commit().await?;
    Ok(r)
}

/// `state` of list commands: Active unless given; `all` lists every state.
pub fn state_filter(args: &Args) -> Result<Option<String>, ApiError> {
    match args.str("state") {
        None => Ok(Some("Active".into())),
        Some(s) if s.eq_ignore_ascii_case("all") => Ok(None),
        Some(s) => Ok(Some(one_of("state", s, &["Active", "Inactive"])?.into())),
    }
}

pub async fn list_disk_offerings(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut conn = db.c();
    let filter = DiskOfferingFilter {
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        state: state_filter(&args)?,
        displayed_only: !ctx.caller.is_root_admin(),
        local_storage: local_storage(&args)?,
        encrypt: args.bool("encrypt"),
        scope: scope::compute_visibility(&mut conn, &ctx.caller, &args).await?,
    };
    let (total, rows) = conn.list_disk_offerings(&filter, page).await?;
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let scopes = ScopeNames::load(&mut conn, KIND, &ids).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|o| disk_offering_obj(o, &scopes)).collect(),
    ))
}

pub async fn update_disk_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut o = offering_by_param(&mut tx.c(), &args).await?;
    let old = Limits::load(&mut tx.c(), KIND, o.id).await?;
    let new = Limits::from_update(&mut tx.c(), &args, &old).await?;
    let renaming = args.has("name") || args.has("displaytext") || args.has("sortkey");
    let tagged = args.str("tags").and_then(clean_tags).is_some();
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
    if let Some(d) = args.bool("displayoffering") {
        o.display_offering = d;
    }
    if let Some(t) = args.str("tags") {
        o.props.tags = clean_tags(t);
    }
    if let Some(s) = args.str("state") {
        o.state = one_of("state", s, &["Active", "Inactive"])?.to_string();
    }
    if let Some(c) = args.str("cachemode") {
        o.props.cache_mode = cache_mode(c)?.to_string();
    }
    apply_limits(&mut o.props.limits, &args)?;
    if !tx.c().update_disk_offering(&o).await? {
        return Err(concurrent_change(&format!("Disk offering {}", o.uuid)));
    }
    if limits != old {
        limits.save(&mut tx.c(), KIND, o.id).await?;
    }
    let r = reply(&mut tx.c(), o.id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn delete_disk_offering(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let o = offering_by_param(&mut tx.c(), &args).await?;
    let limits = Limits::load(&mut tx.c(), KIND, o.id).await?;
    scope::check_delete(&ctx.caller, &limits)?;
    if !tx
        .c()
        .remove_disk_offering(o.id, strato_schema::now())
        .await?
    {
        return Err(concurrent_change(&format!("Disk offering {}", o.uuid)));
    }
    tx.commit().await?;
    Ok(Reply::success())
}
