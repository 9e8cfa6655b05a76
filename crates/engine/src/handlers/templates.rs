//! registerTemplate/registerIso, updateTemplate/updateIso, deleteTemplate/deleteIso and
//! copyTemplate/copyIso. A template and an ISO are the same row (format ISO); each
//! command pair shares one function taking the [`Kind`].
//!
//! Registration only records the template and one `template_store_ref` per image store
//! of the chosen zones; the image service ([`crate::images`]) does the downloads and
//! copies, so the API answers at once and progress shows in listTemplates.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::image_store::{ImageStoreFilter, ImageStoreRow};
use strato_schema::sql::Page;
use strato_schema::template::{NewTemplate, NewTemplateRef, TemplateRefRow, TemplateRow, state};
use strato_schema::zone::ZoneRow;

use super::clusters::HYPERVISORS;
use super::template_view::{Kind, template_entries};
use super::{check_name, concurrent_change, one_of};
use crate::caller::Caller;
use crate::limits::{self, ResourceType};
use crate::{Ctx, access, images};

/// `resource_detail.resource_type` of template details.
pub const DETAIL_TYPE: &str = "Template";
/// Guest OS of templates registered without `ostypeid`: "Other (64-bit)".
const DEFAULT_GUEST_OS: i64 = 103;
/// Disk image formats a template (or an uploaded volume) may have.
pub const TEMPLATE_FORMATS: &[&str] = &["QCOW2", "RAW", "VHD", "VMDK"];
const TEMPLATE_TYPES: &[&str] = &["USER", "BUILTIN", "SYSTEM", "ROUTING", "PERHOST"];
const ARCHES: &[&str] = &["x86_64", "aarch64"];

pub async fn register_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    register(ctx, args, Kind::Template).await
}

pub async fn register_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    register(ctx, args, Kind::Iso).await
}

/// What registration checked, before anything is written.
struct Registration {
    name: String,
    display_text: String,
    /// None for an upload.
    url: Option<String>,
    checksum: Option<String>,
    format: &'static str,
    hypervisor: &'static str,
    template_type: &'static str,
    guest_os_id: i64,
    bits: i32,
    arch: &'static str,
}

/// The `url` parameter of an image to download, if it is one the image service may
/// fetch (http/https, not loopback, link-local or unspecified).
pub fn image_url(args: &Args) -> Result<String, ApiError> {
    let url = args.required_str("url")?.trim().to_string();
    strato_image_download::check_registration_url(&url)
        .map_err(|e| ApiError::param(format!("Invalid parameter url: {e}")))?;
    Ok(url)
}

/// The `checksum` parameter, if given, checked for its form.
pub fn image_checksum(args: &Args) -> Result<Option<String>, ApiError> {
    match args
        .str("checksum")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => {
            strato_image_download::parse_checksum(c)
                .map_err(|e| ApiError::param(format!("Invalid parameter checksum: {e}")))?;
            Ok(Some(c.to_string()))
        }
        None => Ok(None),
    }
}

fn registration(
    args: &Args,
    kind: Kind,
    caller: &Caller,
    upload: bool,
) -> Result<Registration, ApiError> {
    let name = args.required_str("name")?.trim().to_string();
    check_name("name", &name)?;
    let display_text = args.str("displaytext").unwrap_or(&name).to_string();
    let url = if upload { None } else { Some(image_url(args)?) };
    let checksum = image_checksum(args)?;
    let (format, hypervisor) = match kind {
        Kind::Template => {
            let format = args.required_str("format")?;
            if format.eq_ignore_ascii_case("OVA") {
                return Err(ApiError::param(
                    "Invalid parameter format: OVA images (VMware) are not supported; use \
                     QCOW2, RAW, VHD or VMDK",
                ));
            }
            (
                one_of("format", format, TEMPLATE_FORMATS)?,
                one_of("hypervisor", args.required_str("hypervisor")?, HYPERVISORS)?,
            )
        }
        Kind::Iso => {
            if let Some(f) = args.str("format") {
                one_of("format", f, &["ISO"])?;
            }
            ("ISO", "None")
        }
    };
    let template_type = match args.str("templatetype") {
        Some(t) => one_of("templatetype", t, TEMPLATE_TYPES)?,
        None => "USER",
    };
    if template_type != "USER" && !caller.is_root_admin() {
        return Err(ApiError::permission(
            "Parameter templatetype can only be specified by a Root Admin, permission denied",
        ));
    }
    let bits = match args.int("bits") {
        None | Some(64) => 64,
        Some(32) => 32,
        Some(b) => {
            return Err(ApiError::param(format!(
                "Invalid parameter bits value={b}: use 32 or 64"
            )));
        }
    };
    let arch = match args.str("arch") {
        Some(a) => one_of("arch", a, ARCHES)?,
        None => "x86_64",
    };
    Ok(Registration {
        name,
        display_text,
        url,
        checksum,
        format,
        hypervisor,
        template_type,
        guest_os_id: DEFAULT_GUEST_OS,
        bits,
        arch,
    })
}

async fn register(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let (id, _) = create(&ctx, &args, kind, false).await?;
    ctx.engine.images.wake();
    let mut conn = ctx.engine.store.acquire().await?;
    let entries = template_entries(&mut conn.c(), kind, &[id], None).await?;
    Ok(Reply::list(entries.len(), entries))
}

/// Checks the arguments and records the template with one copy per image store of the
/// target zones: to download from `url`, or (`upload`) to be POSTed to one store.
/// Returns the template's id and its copies' ids.
pub async fn create(
    ctx: &Ctx,
    args: &Args,
    kind: Kind,
    upload: bool,
) -> Result<(i64, Vec<i64>), ApiError> {
    let caller = &ctx.caller;
    let mut reg = registration(args, kind, caller, upload)?;
    let featured = args.flag("isfeatured");
    if featured && !caller.is_root_admin() {
        return Err(ApiError::permission(
            "Parameter isfeatured can only be specified by a Root Admin, permission denied",
        ));
    }
    let is_public = args.flag("ispublic");
    if is_public
        && caller.role_type == crate::RoleType::User
        && !ctx.engine.settings.bool("allow.public.user.templates")
    {
        return Err(ApiError::permission(
            "Only private templates/ISOs can be created (allow.public.user.templates is false)",
        ));
    }
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    if let Some(os) = args.uuid("ostypeid") {
        reg.guest_os_id = guest_os_id(&mut c, os).await?;
    }
    let owner = super::owner_of_new(&mut c, caller, args).await?;
    let (zones, cross_zones) = target_zones(&mut c, args).await?;
    let mut targets = Vec::new();
    for zone in &zones {
        let mut stores = zone_stores(&mut c, zone.id).await?;
        if stores.is_empty() && !cross_zones {
            return Err(ApiError::param(format!(
                "Zone {} has no image store; add one with addImageStore first",
                zone.name
            )));
        }
        let simulated = images::zone_is_simulated(&mut c, zone.id).await?;
        if upload {
            // The file is POSTed once, to one store.
            stores.truncate(1);
        }
        targets.extend(stores.into_iter().map(|s| (s, simulated)));
    }
    if targets.is_empty() {
        return Err(ApiError::param(
            "No zone has an image store; add one with addImageStore first",
        ));
    }
    limits::reserve(&mut c, owner.id, &[(ResourceType::Template, 1)]).await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = strato_schema::now();
    let id = c
        .insert_template(
            &NewTemplate {
                uuid: &uuid,
                name: &reg.name,
                display_text: &reg.display_text,
                template_type: reg.template_type,
                format: reg.format,
                hypervisor: reg.hypervisor,
                guest_os_id: reg.guest_os_id,
                account_id: owner.id,
                domain_id: owner.domain_id,
                url: reg.url.as_deref(),
                checksum: reg.checksum.as_deref(),
                is_public,
                featured,
                extractable: args.flag("isextractable"),
                password_enabled: args.flag("passwordenabled"),
                sshkey_enabled: args.flag("sshkeyenabled"),
                bootable: kind == Kind::Template || args.bool("bootable").unwrap_or(true),
                requires_hvm: args.bool("requireshvm").unwrap_or(true),
                dynamically_scalable: args.flag("isdynamicallyscalable"),
                cross_zones,
                bits: reg.bits,
                arch: reg.arch,
                template_tag: args.str("templatetag"),
                source_template_id: None,
            },
            now,
        )
        .await?;
    let mut refs = Vec::new();
    for (store, simulated) in &targets {
        let Some(zone_id) = store.zone_id else {
            continue;
        };
        refs.push(
            c.insert_template_ref(
                &NewTemplateRef {
                    template_id: id,
                    store_id: store.id,
                    zone_id,
                    simulated: *simulated,
                    download_state: if upload {
                        state::NOT_UPLOADED
                    } else {
                        state::NOT_DOWNLOADED
                    },
                    source_url: reg.url.as_deref(),
                    source_ref_id: None,
                },
                now,
            )
            .await?,
        );
    }
    for d in args.map("details").unwrap_or_default() {
        if let (Some(k), Some(v)) = (d.get("key"), d.get("value")) {
            c.put_resource_detail(DETAIL_TYPE, id, k, v).await?;
        }
    }
    db.commit().await?;
    Ok((id, refs))
}

async fn guest_os_id(c: &mut Conn<'_>, uuid: &str) -> Result<i64, ApiError> {
    let filter = strato_schema::guest_os::GuestOsFilter {
        uuid: Some(uuid.to_string()),
        ..Default::default()
    };
    let (_, found) = c.list_guest_os(&filter, Page::ALL).await?;
    found
        .first()
        .map(|o| o.id)
        .ok_or_else(|| ApiError::not_found("ostypeid", uuid, "guest OS type"))
}

/// The zones named by `zoneid`/`zoneids`; `-1` or neither means every zone
/// (a cross-zone template).
async fn target_zones(c: &mut Conn<'_>, args: &Args) -> Result<(Vec<ZoneRow>, bool), ApiError> {
    let mut ids: Vec<(&str, String)> = Vec::new();
    if let Some(z) = args.str("zoneid").map(str::trim) {
        ids.push(("zoneid", z.to_string()));
    }
    for z in args.list("zoneids").unwrap_or_default() {
        ids.push(("zoneids", z.trim().to_string()));
    }
    if ids.is_empty() || ids.iter().any(|(_, z)| z == "-1") {
        let (_, zones) = c.list_zones(&Default::default(), Page::ALL).await?;
        return Ok((zones, true));
    }
    let mut zones: Vec<ZoneRow> = Vec::new();
    for (param, id) in ids {
        let zone = c
            .zone_by_uuid(&id)
            .await?
            .ok_or_else(|| ApiError::not_found(param, &id, "zone"))?;
        if !zones.iter().any(|z| z.id == zone.id) {
            zones.push(zone);
        }
    }
    Ok((zones, false))
}

/// Writable image stores of a zone.
pub async fn zone_stores(c: &mut Conn<'_>, zone_id: i64) -> Result<Vec<ImageStoreRow>, ApiError> {
    let filter = ImageStoreFilter {
        zone_id: Some(zone_id),
        readonly: Some(false),
        ..Default::default()
    };
    Ok(c.list_image_stores(&filter, Page::ALL).await?.1)
}

/// The template or ISO named by `param`, checked against the command's kind.
pub async fn template_by_param(
    c: &mut Conn<'_>,
    args: &Args,
    param: &str,
    kind: Kind,
) -> Result<TemplateRow, ApiError> {
    let id = args.required_str(param)?;
    c.template_by_uuid(id)
        .await?
        .filter(|t| t.is_iso() == (kind == Kind::Iso))
        .ok_or_else(|| ApiError::not_found(param, id, kind.noun()))
}

/// Owners and admins above them may change a template; everybody else is refused, and
/// only root admins touch built-in and system templates.
pub async fn check_owner(
    c: &mut Conn<'_>,
    caller: &Caller,
    t: &TemplateRow,
) -> Result<(), ApiError> {
    if matches!(t.template_type.as_str(), "BUILTIN" | "SYSTEM") && !caller.is_root_admin() {
        return Err(ApiError::permission(format!(
            "Only a root admin may change the {} {}",
            t.template_type.to_lowercase(),
            t.uuid
        )));
    }
    let owner = c
        .account_by_id(t.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the template's owner is gone"))?;
    access::check_account(caller, &owner)
}

pub async fn update_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    update(ctx, args, Kind::Template).await
}

pub async fn update_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    update(ctx, args, Kind::Iso).await
}

async fn update(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let mut t = template_by_param(&mut c, &args, "id", kind).await?;
    check_owner(&mut c, &ctx.caller, &t).await?;
    if let Some(name) = args.str("name") {
        check_name("name", name.trim())?;
        t.name = name.trim().to_string();
    }
    if let Some(text) = args.str("displaytext") {
        t.display_text = text.to_string();
    }
    if let Some(os) = args.uuid("ostypeid") {
        t.guest_os_id = guest_os_id(&mut c, os).await?;
    }
    if let Some(f) = args.str("format") {
        t.format = match kind {
            Kind::Template => one_of("format", f, TEMPLATE_FORMATS)?.to_string(),
            Kind::Iso => one_of("format", f, &["ISO"])?.to_string(),
        };
    }
    if let Some(tt) = args.str("templatetype") {
        if !ctx.caller.is_root_admin() {
            return Err(ApiError::permission(
                "Parameter templatetype can only be specified by a Root Admin, permission denied",
            ));
        }
        t.template_type = one_of("templatetype", tt, TEMPLATE_TYPES)?.to_string();
    }
    if let Some(a) = args.str("arch") {
        t.arch = one_of("arch", a, ARCHES)?.to_string();
    }
    if let Some(tag) = args.str("templatetag") {
        t.template_tag = Some(tag.to_string());
    }
    if let Some(k) = args.int("sortkey") {
        t.sort_key = i32::try_from(k)
            .map_err(|_| ApiError::param("Invalid parameter sortkey: out of range"))?;
    }
    for (param, field) in [
        ("passwordenabled", &mut t.password_enabled),
        ("sshkeyenabled", &mut t.sshkey_enabled),
        ("bootable", &mut t.bootable),
        ("requireshvm", &mut t.requires_hvm),
        ("isdynamicallyscalable", &mut t.dynamically_scalable),
    ] {
        if let Some(v) = args.bool(param) {
            *field = v;
        }
    }
    if !c.update_template(&t).await? {
        return Err(concurrent_change(kind.noun()));
    }
    let mut entries = template_entries(&mut c, kind, &[t.id], None).await?;
    if entries.is_empty() {
        return Err(ApiError::internal(format!(
            "the {} has no copy left",
            kind.noun()
        )));
    }
    Ok(Reply::Object(entries.swap_remove(0)))
}

pub async fn delete_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    delete(ctx, args, Kind::Template).await
}

pub async fn delete_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    delete(ctx, args, Kind::Iso).await
}

/// Removes the copies in one zone (or all); the template goes when no copy is left.
async fn delete(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let t = template_by_param(&mut c, &args, "id", kind).await?;
    check_owner(&mut c, &ctx.caller, &t).await?;
    let zone = match args.uuid("zoneid") {
        Some(z) => Some(
            c.zone_by_uuid(z)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", z, "zone"))?,
        ),
        None => None,
    };
    // Every store gets a copy of a cross-zone template, so one zone cannot drop it.
    if zone.is_some() && t.cross_zones {
        return Err(ApiError::param(format!(
            "The {} {} is in every zone; delete it without zoneid",
            kind.noun(),
            t.uuid
        )));
    }
    let refs = c.template_refs(&[t.id]).await?;
    let doomed: Vec<TemplateRefRow> = refs
        .iter()
        .filter(|r| zone.as_ref().is_none_or(|z| z.id == r.zone_id))
        .cloned()
        .collect();
    if let Some(z) = &zone
        && doomed.is_empty()
    {
        return Err(ApiError::param(format!(
            "The {} {} is not in zone {}",
            kind.noun(),
            t.uuid,
            z.name
        )));
    }
    for r in &doomed {
        c.delete_template_ref(r.id).await?;
    }
    // Ready copies were counted as secondary storage when they finished.
    let bytes: i64 = doomed
        .iter()
        .filter(|r| r.is_ready())
        .filter_map(|r| r.physical_size)
        .sum();
    let mut freed = vec![(ResourceType::SecondaryStorage, bytes)];
    if doomed.len() == refs.len() {
        freed.push((ResourceType::Template, 1));
    }
    limits::release(&mut c, t.account_id, &freed).await?;
    if doomed.len() == refs.len() {
        c.remove_template(t.id, strato_schema::now()).await?;
        super::tags::delete_tags_of(&mut c, super::tags::template_type(kind), t.id).await?;
    }
    db.commit().await?;
    // Files go after the rows: a crash in between leaves an orphan file, never a row
    // pointing at nothing.
    for r in &doomed {
        images::remove_files(&images::StoreCopy::template(r, &t)).await;
    }
    Ok(Reply::success())
}

pub async fn copy_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    copy(ctx, args, Kind::Template).await
}

pub async fn copy_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    copy(ctx, args, Kind::Iso).await
}

/// Copies a ready copy to the image stores of other zones and waits for the copies.
async fn copy(ctx: Ctx, args: Args, kind: Kind) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let t = template_by_param(&mut c, &args, "id", kind).await?;
    access::check_account(
        &ctx.caller,
        &c.account_by_id(t.account_id)
            .await?
            .ok_or_else(|| ApiError::internal("the template's owner is gone"))?,
    )
    .or_else(|e| if t.is_public { Ok(()) } else { Err(e) })?;
    let refs = c.template_refs(&[t.id]).await?;
    let source = match args.uuid("sourcezoneid") {
        Some(z) => {
            let zone = c
                .zone_by_uuid(z)
                .await?
                .ok_or_else(|| ApiError::not_found("sourcezoneid", z, "zone"))?;
            refs.iter().find(|r| r.zone_id == zone.id && r.is_ready())
        }
        None => refs.iter().find(|r| r.is_ready()),
    }
    .cloned()
    .ok_or_else(|| {
        ApiError::param(format!(
            "The {} {} is not ready in the source zone",
            kind.noun(),
            t.uuid
        ))
    })?;
    let mut dest_ids: Vec<(&str, String)> = Vec::new();
    if let Some(z) = args.uuid("destzoneid") {
        dest_ids.push(("destzoneid", z.to_string()));
    }
    for z in args.list("destzoneids").unwrap_or_default() {
        dest_ids.push(("destzoneids", z.clone()));
    }
    if dest_ids.is_empty() {
        return Err(ApiError::param(
            "Please specify valid destination zone(s) with destzoneid or destzoneids",
        ));
    }
    let now = strato_schema::now();
    let mut made = Vec::new();
    for (param, id) in dest_ids {
        let zone = c
            .zone_by_uuid(&id)
            .await?
            .ok_or_else(|| ApiError::not_found(param, &id, "zone"))?;
        if zone.id == source.zone_id {
            return Err(ApiError::param(format!(
                "Invalid parameter {param}: the source and destination zones are the same"
            )));
        }
        if refs.iter().any(|r| r.zone_id == zone.id) {
            return Err(ApiError::param(format!(
                "The {} {} is already in zone {}",
                kind.noun(),
                t.uuid,
                zone.name
            )));
        }
        let stores = zone_stores(&mut c, zone.id).await?;
        if stores.is_empty() {
            return Err(ApiError::param(format!(
                "Zone {} has no image store; add one with addImageStore first",
                zone.name
            )));
        }
        let simulated = images::zone_is_simulated(&mut c, zone.id).await?;
        if source.simulated && !simulated {
            return Err(ApiError::param(format!(
                "The {} {} is only in simulated image stores; it has no bytes to copy to \
                 zone {}",
                kind.noun(),
                t.uuid,
                zone.name
            )));
        }
        for store in stores {
            made.push(
                c.insert_template_ref(
                    &NewTemplateRef {
                        template_id: t.id,
                        store_id: store.id,
                        zone_id: zone.id,
                        simulated,
                        download_state: state::NOT_DOWNLOADED,
                        source_url: None,
                        source_ref_id: Some(source.id),
                    },
                    now,
                )
                .await?,
            );
        }
    }
    db.commit().await?;
    ctx.engine.images.wake();
    let done = images::wait_for(&ctx.engine, &made).await?;
    if let Some(failed) = done.iter().find(|r| !r.is_ready()) {
        return Err(ApiError::internal(format!(
            "Copying the {} {} to zone {} failed: {}",
            kind.noun(),
            t.uuid,
            failed.zone_name,
            failed.error_str.as_deref().unwrap_or("unknown error")
        )));
    }
    let mut conn = ctx.engine.store.acquire().await?;
    let zone = done.first().map(|r| r.zone_id);
    let mut entries = template_entries(&mut conn.c(), kind, &[t.id], zone).await?;
    if entries.is_empty() {
        return Err(ApiError::internal(format!("the {} is gone", kind.noun())));
    }
    Ok(Reply::Object(entries.swap_remove(0)))
}
