//! createVolume: a data volume is recorded (Allocated, no pool) with its owner's volume
//! and primary storage counts; it is created on a pool when first attached. With
//! `virtualmachineid` the attach follows at once.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::disk_offering::DiskOfferingRow;
use strato_schema::offering::OfferingKind;
use strato_schema::volume::NewVolume;
use strato_schema::zone::ZoneRow;

use super::{DATADISK, attach, counted, view};
use crate::caller::Caller;
use crate::handlers::offering_scope::Limits;
use crate::{Ctx, access, limits};

const GIB: i64 = 1 << 30;

/// The owner named by `account` + `domainid` (admins), else the caller's account.
pub async fn owner(c: &mut Conn<'_>, caller: &Caller, args: &Args) -> Result<AccountRow, ApiError> {
    let owner = match args.str("account") {
        Some(name) => {
            let domain = crate::handlers::domain_or_own(c, caller, args, "domainid").await?;
            c.account_by_name(domain.id, name).await?.ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find account {name} in domain {}",
                    domain.uuid
                ))
            })?
        }
        None => c
            .account_by_id(caller.account_id)
            .await?
            .ok_or_else(|| ApiError::internal("the caller's account is gone"))?,
    };
    access::check_account(caller, &owner)?;
    Ok(owner)
}

/// A data volume of `owner` in a zone, neither placed nor attached: Allocated, thin, of
/// no size until the caller says.
pub fn data_volume<'a>(
    uuid: &'a str,
    name: &'a str,
    owner: &AccountRow,
    zone_id: i64,
) -> NewVolume<'a> {
    NewVolume {
        uuid,
        name,
        account_id: owner.id,
        domain_id: owner.domain_id,
        zone_id,
        pool_id: None,
        instance_id: None,
        device_id: None,
        volume_type: DATADISK,
        size: 0,
        disk_offering_id: None,
        template_id: None,
        state: "Allocated",
        provisioning: "thin",
    }
}

/// What the new volume is made of.
struct Spec {
    zone_id: i64,
    bytes: i64,
    disk_offering_id: Option<i64>,
    provisioning: String,
    snapshot_id: Option<i64>,
}

pub async fn create_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let caller = &ctx.caller;
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let owner = owner(&mut c, caller, &args).await?;
    let spec = match args.uuid("snapshotid") {
        Some(s) => from_snapshot(&mut c, caller, s, &args).await?,
        None => from_offering(&mut c, &ctx, &args).await?,
    };
    let zone = c
        .zone_by_id(spec.zone_id)
        .await?
        .ok_or_else(|| ApiError::internal("the zone is gone"))?;
    check_zone_enabled(caller, &zone)?;
    let vm = match args.uuid("virtualmachineid") {
        Some(v) => {
            let vm = attach::vm_for(&mut c, caller, v).await?;
            if vm.zone_id != zone.id {
                return Err(ApiError::param(format!(
                    "Virtual machine {v} is in another zone than the volume (parameter \
                     virtualmachineid)"
                )));
            }
            Some(vm)
        }
        None => None,
    };
    let uuid = uuid::Uuid::new_v4().to_string();
    let name = match args.str("name").map(str::trim) {
        Some(n) => {
            crate::handlers::check_name("name", n)?;
            n.to_string()
        }
        None => format!("DATA-{}", &uuid[..8]),
    };
    limits::reserve(&mut c, owner.id, &counted(spec.bytes)).await?;
    let id = c
        .insert_volume(
            &NewVolume {
                size: spec.bytes,
                disk_offering_id: spec.disk_offering_id,
                provisioning: &spec.provisioning,
                ..data_volume(&uuid, &name, &owner, zone.id)
            },
            strato_schema::now(),
        )
        .await?;
    let display = args.bool("displayvolume").unwrap_or(true) || !caller.is_root_admin();
    c.set_volume_origin(id, spec.snapshot_id, display).await?;
    tx.commit().await?;
    match vm {
        Some(vm) => attach::attach(&ctx, id, &vm, None).await,
        None => view::volume_reply(&ctx.engine, id, view::sees_storage(ctx.caller.role_type)).await,
    }
}

/// The active data disk offering `o` (parameter `diskofferingid`), if `zone` may use it.
pub async fn offering_in_zone(
    c: &mut Conn<'_>,
    o: &str,
    zone: &ZoneRow,
) -> Result<DiskOfferingRow, ApiError> {
    let offering = c
        .disk_offering_by_uuid(o)
        .await?
        .filter(|d| !d.compute_only && d.state == "Active")
        .ok_or_else(|| ApiError::not_found("diskofferingid", o, "disk offering"))?;
    let scope = Limits::load(c, OfferingKind::Disk, offering.id).await?;
    if !scope.zones.is_empty() && !scope.zones.contains(&zone.id) {
        return Err(ApiError::param(format!(
            "Disk offering {o} is not available in zone {} (parameter diskofferingid)",
            zone.name
        )));
    }
    Ok(offering)
}

/// CloudStack's refusal to create a volume in a disabled zone (root admins may).
pub fn check_zone_enabled(caller: &Caller, zone: &ZoneRow) -> Result<(), ApiError> {
    if zone.allocation_state != "Enabled" && !caller.is_root_admin() {
        return Err(ApiError::permission(format!(
            "Zone {} is disabled; only root admins may create volumes there",
            zone.name
        )));
    }
    Ok(())
}

async fn from_offering(c: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<Spec, ApiError> {
    let Some(o) = args.uuid("diskofferingid") else {
        return Err(ApiError::param(
            "Either diskofferingid or snapshotid must be given to create a volume",
        ));
    };
    let zone_id = args.required_str("zoneid")?;
    let zone = c
        .zone_by_uuid(zone_id)
        .await?
        .ok_or_else(|| ApiError::not_found("zoneid", zone_id, "zone"))?;
    let offering = offering_in_zone(c, o, &zone).await?;
    let bytes = match (offering.customized, args.int("size")) {
        (true, Some(gb)) => {
            let s = &ctx.engine.settings;
            let (min, max) = (
                s.i64("custom.diskoffering.size.min"),
                s.i64("custom.diskoffering.size.max"),
            );
            if gb < min || gb > max {
                return Err(ApiError::param(format!(
                    "Invalid parameter size={gb}: a custom disk offering takes {min} to {max} GB"
                )));
            }
            gb * GIB
        }
        (true, None) => {
            return Err(ApiError::param(format!(
                "Disk offering {o} has a custom size: parameter size (GB) is required"
            )));
        }
        (false, Some(gb)) if gb * GIB != offering.disk_size_gb * GIB => {
            return Err(ApiError::param(format!(
                "Disk offering {o} has a fixed size of {} GB; parameter size is only for \
                 custom offerings",
                offering.disk_size_gb
            )));
        }
        (false, _) => offering.disk_size_gb * GIB,
    };
    Ok(Spec {
        zone_id: zone.id,
        bytes,
        disk_offering_id: Some(offering.id),
        provisioning: offering.props.provisioning_type.clone(),
        snapshot_id: None,
    })
}

async fn from_snapshot(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: &str,
    args: &Args,
) -> Result<Spec, ApiError> {
    let snap = crate::snapshots::snapshot_by_param(c, caller, id, "snapshotid").await?;
    if snap.state != "BackedUp" {
        return Err(ApiError::param(format!(
            "Snapshot {id} is {}; a volume is created from a backed-up snapshot",
            snap.state
        )));
    }
    if let Some(z) = args.uuid("zoneid")
        && z != snap.zone_uuid
    {
        return Err(ApiError::param(format!(
            "Snapshot {id} is in zone {}, not {z} (parameter zoneid)",
            snap.zone_name
        )));
    }
    let provisioning = match snap.volume_disk_offering_id {
        Some(o) => c
            .disk_offering_by_id(o)
            .await?
            .map(|d| d.props.provisioning_type),
        None => None,
    };
    Ok(Spec {
        zone_id: snap.zone_id,
        bytes: snap.size,
        disk_offering_id: snap.volume_disk_offering_id,
        provisioning: provisioning.unwrap_or_else(|| "thin".to_string()),
        snapshot_id: Some(snap.id),
    })
}
