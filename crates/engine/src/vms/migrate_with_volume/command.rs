//! The command: which host and pools the VM and its volumes go to, checked before the
//! saga runs (a refusal changes nothing).

use std::collections::BTreeMap;

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::host::HostRow;
use strato_schema::vm::VmRow;
use strato_schema::volume::VolumeView;

use super::{MigrateVmWithVolume, MigrateWithVolumeParams, VolumeMove, storage_pool};
use crate::Ctx;
use crate::sagas;
use crate::vms::{bad_state, migrate, planner};
use crate::volumes::migrate as volume_migrate;

pub async fn migrate_virtual_machine_with_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = migrate::vm_param(&mut c, &ctx, &args).await?;
        let host = migrate::host_param(&mut c, &args).await?;
        let live = match v.state.as_str() {
            "Running" => true,
            "Stopped" => false,
            _ => return Err(bad_state(&v, "migrate")),
        };
        match &host {
            Some(_) if !live => {
                return Err(ApiError::param(
                    "Invalid parameter hostid: the volumes of a stopped VM move without it; \
                     leave hostid out",
                ));
            }
            Some(h) => check_host(&v, h)?,
            None if live && !args.flag("autoselect") => {
                return Err(ApiError::param(
                    "Invalid parameter hostid: give the destination host of the running VM, \
                     or autoselect=true",
                ));
            }
            None => {}
        }
        let host_id = host.map(|h| h.id);
        migrate::check_not_current(&v, host_id)?;
        let moves = volume_moves(&mut c, &v, args.map("migrateto").unwrap_or_default()).await?;
        if !live {
            check_stopped_moves(&mut c, &v, &moves).await?;
        }
        MigrateWithVolumeParams {
            vm_id: v.id,
            zone_id: v.zone_id,
            live,
            host_id,
            moves,
        }
    };
    sagas::run::<MigrateVmWithVolume>(&ctx, params).await
}

/// The chosen host must be able to run the VM at all (capacity is the planner's).
fn check_host(v: &VmRow, h: &HostRow) -> Result<(), ApiError> {
    let why = if h.host_type != "Routing" {
        "is not a hypervisor host"
    } else if h.zone_id != v.zone_id {
        "is in another zone"
    } else if !h.hypervisor.eq_ignore_ascii_case(&v.hypervisor) {
        "runs another hypervisor"
    } else if h.status != "Up" || h.resource_state != "Enabled" {
        "is not Up and Enabled"
    } else {
        return Ok(());
    };
    Err(ApiError::param(format!(
        "Invalid parameter hostid: host {} {why}",
        h.name
    )))
}

/// `migrateto[i].volume` / `migrateto[i].pool`: volumes of the VM, each to another Up
/// pool of its zone carrying the storage tags its offering asks for.
async fn volume_moves(
    c: &mut Conn<'_>,
    v: &VmRow,
    entries: &[BTreeMap<String, String>],
) -> Result<Vec<VolumeMove>, ApiError> {
    let mut moves: Vec<VolumeMove> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let (Some(vol), Some(pool)) = (e.get("volume"), e.get("pool")) else {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: entry {i} needs both volume and pool"
            )));
        };
        let vol = c
            .volume_view_by_uuid(vol)
            .await?
            .filter(|x| x.instance_id == Some(v.id))
            .ok_or_else(|| ApiError::not_found("migrateto", vol, "volume of this VM"))?;
        let pool = c
            .storage_pool_by_uuid(pool)
            .await?
            .ok_or_else(|| ApiError::not_found("migrateto", pool, "storage pool"))?;
        if moves.iter().any(|m| m.volume_id == vol.id) {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: volume {} is given twice",
                vol.uuid
            )));
        }
        if vol.state != "Ready" {
            return Err(crate::volumes::bad_state(&vol, "migrate"));
        }
        let (Some(src_pool), Some(src_pool_uuid)) = (vol.pool_id, vol.pool_uuid.clone()) else {
            return Err(ApiError::internal("a Ready volume has no pool"));
        };
        let refuse = |why: &str| {
            Err(ApiError::param(format!(
                "Invalid parameter migrateto: storage pool {} {why} (volume {})",
                pool.name, vol.uuid
            )))
        };
        if pool.id == src_pool {
            return refuse("already holds the volume");
        }
        if pool.state != "Up" || pool.zone_id != v.zone_id {
            return refuse("is not Up in the VM's zone");
        }
        let have = c.storage_pool_tags(pool.id).await?;
        if !storage_tags(c, v, &vol)
            .await?
            .iter()
            .all(|t| have.contains(t))
        {
            return refuse("lacks the storage tags of the volume's offering");
        }
        moves.push(VolumeMove {
            volume_id: vol.id,
            volume_uuid: vol.uuid.clone(),
            size: vol.size,
            src_pool,
            src_pool_uuid,
            dest_pool: pool.id,
            dest_pool_uuid: pool.uuid.clone(),
        });
    }
    Ok(moves)
}

/// The storage tags a volume's offering asks for (a root volume's: the VM's compute
/// offering's).
async fn storage_tags(
    c: &mut Conn<'_>,
    v: &VmRow,
    vol: &VolumeView,
) -> Result<Vec<String>, ApiError> {
    let tags = if vol.volume_type == crate::volumes::ROOT {
        c.service_offering_by_id(v.service_offering_id)
            .await?
            .and_then(|o| o.disk.tags)
    } else {
        match vol.disk_offering_id {
            Some(id) => c.disk_offering_by_id(id).await?.and_then(|o| o.props.tags),
            None => None,
        }
    };
    Ok(planner::host_tags(tags.as_deref()))
}

/// A stopped VM's volumes are copied through one host each, and the VM must still
/// start afterwards: at least one move, and every pair of its pools (moved or not)
/// reachable from one host.
async fn check_stopped_moves(
    c: &mut Conn<'_>,
    v: &VmRow,
    moves: &[VolumeMove],
) -> Result<(), ApiError> {
    if moves.is_empty() {
        return Err(ApiError::param(
            "Invalid parameter migrateto: a stopped VM needs at least one volume to move",
        ));
    }
    let mut pools = Vec::new();
    for vol in c.volumes_of_vms(&[v.id]).await? {
        let pool_id = match moves.iter().find(|m| m.volume_id == vol.id) {
            Some(m) => {
                let src = storage_pool(c, m.src_pool).await?;
                let dest = storage_pool(c, m.dest_pool).await?;
                if !volume_migrate::reachable_together(&src, &dest) {
                    return Err(ApiError::param(format!(
                        "Invalid parameter migrateto: no host reaches both storage pool {} \
                         and {}",
                        src.name, dest.name
                    )));
                }
                m.dest_pool
            }
            None => match vol.pool_id {
                Some(p) => p,
                None => continue,
            },
        };
        pools.push(storage_pool(c, pool_id).await?);
    }
    for (i, a) in pools.iter().enumerate() {
        if let Some(b) = pools[i + 1..]
            .iter()
            .find(|b| !volume_migrate::reachable_together(a, b))
        {
            return Err(ApiError::param(format!(
                "Invalid parameter migrateto: the VM could not start with volumes on both \
                 storage pool {} and {}",
                a.name, b.name
            )));
        }
    }
    Ok(())
}
