//! extractVolume: a signed, time-limited URL on this server for a volume's image, served
//! from its copy in the zone's image store: an uploaded volume's own copy, or for a
//! volume on primary storage (detached, or its VM stopped) a copy made by the
//! [`ExtractVolume`] saga. An extract copy stays until the volume is extracted again or
//! deleted.

use serde::{Deserialize, Serialize};
use strato_agent_proto::{AnswerData, Command, VolumeRef};
use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, step};
use strato_schema::store_copy::{CopyOf, DoneCopy, NewVolumeRef};
use strato_schema::template::state;
use strato_schema::volume::VolumeView;

use super::{ROOT, UPLOADED, storage, upload, volume_by_param};
use crate::handlers::template_access::{check_extraction, extract_reply};
use crate::handlers::templates::zone_stores;
use crate::images::{self, StoreCopy, location};
use crate::limits::{self, ResourceType};
use crate::sagas::{self, EngineSaga};
use crate::snapshots::create::volume_and_host;
use crate::vms::host_ops;
use crate::{Ctx, Engine};

pub async fn extract_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    check_extraction(&ctx, &args)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let v = volume_by_param(&mut c, &ctx.caller, args.required_str("id")?, "id").await?;
    let zone_id = args.required_str("zoneid")?;
    let zone = c
        .zone_by_uuid(zone_id)
        .await?
        .ok_or_else(|| ApiError::not_found("zoneid", zone_id, "zone"))?;
    if zone.id != v.zone_id {
        return Err(ApiError::param(format!(
            "Volume {} is in zone {}, not {} (parameter zoneid)",
            v.uuid, v.zone_name, zone.name
        )));
    }
    if let (Some(vm), Some(vm_state)) = (&v.vm_uuid, &v.vm_state)
        && vm_state != "Stopped"
    {
        return Err(ApiError::param(format!(
            "Volume {} is attached to VM {vm}, which is {vm_state}; stop the VM or detach \
             the volume before extracting it",
            v.uuid
        )));
    }
    // A root volume carries its template: it may leave only if the template may.
    if v.volume_type == ROOT && !ctx.caller.is_root_admin() {
        let extractable = match v.template_id {
            Some(t) => c.template_by_id(t).await?.is_some_and(|t| t.extractable),
            None => false,
        };
        if !extractable {
            return Err(ApiError::permission(format!(
                "Volume {} is a root volume of a template that is not extractable",
                v.uuid
            )));
        }
    }
    let copy = match v.state.as_str() {
        UPLOADED => {
            let ready = c
                .volume_refs(&[v.id])
                .await?
                .into_iter()
                .find(|r| r.is_ready());
            match ready {
                Some(r) => StoreCopy::load(&mut c, CopyOf::Volume, r.id).await?,
                None => None,
            }
            .ok_or_else(|| super::bad_state(&v, "extract"))?
        }
        "Ready" if v.pool_id.is_some() => {
            let store = zone_stores(&mut c, v.zone_id)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ApiError::param(format!(
                        "Zone {} has no image store to extract volume {} to",
                        v.zone_name, v.uuid
                    ))
                })?;
            if images::zone_is_simulated(&mut c, v.zone_id).await? {
                return Err(simulated(&v));
            }
            drop(db);
            let params = ExtractParams {
                volume_id: v.id,
                store_id: store.id,
                store_url: store.url,
                snapshot_uuid: uuid::Uuid::new_v4().to_string(),
            };
            return sagas::run::<ExtractVolume>(&ctx, params).await;
        }
        _ => return Err(super::bad_state(&v, "extract")),
    };
    if copy.simulated {
        return Err(simulated(&v));
    }
    reply(&ctx.engine, &v, &copy).await
}

fn simulated(v: &VolumeView) -> ApiError {
    ApiError::param(format!(
        "Volume {} is in a simulated image store, which holds no bytes to download",
        v.uuid
    ))
}

/// The answer: the volume, its owner and zone, and the URL of `copy`.
async fn reply(engine: &Engine, v: &VolumeView, copy: &StoreCopy) -> Result<Reply, ApiError> {
    let owner = engine
        .store
        .acquire()
        .await?
        .c()
        .account_by_id(v.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume's owner is gone"))?;
    let url = images::extract::url(engine, copy)?;
    Ok(extract_reply(
        Obj::new("volume")
            .str("id", &v.uuid)
            .str("name", &v.name)
            .str("accountid", &owner.uuid)
            .str("zoneid", &v.zone_uuid)
            .str("zonename", &v.zone_name),
        url,
    ))
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExtractParams {
    pub volume_id: i64,
    pub store_id: i64,
    pub store_url: String,
    /// The snapshot taken on primary storage to copy the volume from.
    pub snapshot_uuid: String,
}

/// The copy of a volume on primary storage to its zone's image store: snapshot it →
/// back the snapshot up to the store (a standalone image), recorded as the volume's
/// extract copy in its place in the store → delete the snapshot. An earlier extract
/// copy of the volume is replaced.
pub struct ExtractVolume;

impl Saga for ExtractVolume {
    const NAME: &'static str = "extract-volume";
    type Params = ExtractParams;
    type Context = Engine;
    const STEPS: &'static [strato_saga::Step<Self>] = &[
        step!("snapshot_on_primary", snapshot_on_primary, delete_snapshot),
        step!("copy_to_store", copy_to_store, drop_copy),
        step!("drop_snapshot", delete_snapshot),
    ];
}

impl EngineSaga for ExtractVolume {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let id: i64 = outputs.lookup("copy_to_store").map_err(|e| e.0)?;
            let (v, copy) = {
                let mut db = engine.store.acquire().await?;
                let mut c = db.c();
                let copy = StoreCopy::load(&mut c, CopyOf::Volume, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("the extracted copy is gone"))?;
                let v = c
                    .volume_view(copy.owner_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
                (v, copy)
            };
            reply(engine, &v, &copy).await
        })
    }
}

/// Sends the host that reaches the volume `command` (made for the volume on its pool and
/// the saga's snapshot); returns the volume and the answer.
async fn on_host(
    ctx: &SagaCtx<ExtractVolume>,
    command: impl FnOnce(VolumeRef, String) -> Command,
) -> Result<(VolumeView, AnswerData), ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let (v, pool, host) = volume_and_host(engine, p.volume_id).await?;
    let volume = storage::volume_ref(&pool, &v.uuid);
    let answer = host_ops::call(engine, &host, command(volume, p.snapshot_uuid.clone())).await?;
    Ok((v, answer))
}

async fn snapshot_on_primary(ctx: &SagaCtx<ExtractVolume>) -> Result<(), ApiError> {
    on_host(ctx, |volume, snapshot_uuid| Command::CreateSnapshot {
        volume,
        snapshot_uuid,
    })
    .await?;
    Ok(())
}

async fn delete_snapshot(ctx: &SagaCtx<ExtractVolume>) -> Result<(), ApiError> {
    on_host(ctx, |volume, snapshot_uuid| Command::DeleteSnapshot {
        volume,
        snapshot_uuid,
    })
    .await?;
    Ok(())
}

/// Output: the extract copy's row.
async fn copy_to_store(ctx: &SagaCtx<ExtractVolume>) -> Result<i64, ApiError> {
    let engine = ctx.context();
    let p = ctx.params();
    let (v, answer) = on_host(ctx, |volume, snapshot_uuid| Command::BackupSnapshot {
        volume,
        snapshot_uuid,
        secondary_url: p.store_url.clone(),
    })
    .await?;
    let AnswerData::SnapshotBackup { path, size_bytes } = answer else {
        return Err(ApiError::internal("BackupSnapshot answered no backup"));
    };
    // The host wrote a standalone QCOW2 image; it goes where the volume's copy lives,
    // replacing an earlier one.
    let install_path = location::volume_dir(v.account_id, v.id)
        .join(location::file_name(&v.uuid, "QCOW2"))
        .to_string_lossy()
        .into_owned();
    let physical = i64::try_from(size_bytes).unwrap_or(i64::MAX);
    let mut tx = engine.store.begin().await?;
    let mut c = tx.c();
    let replaced = upload::take_copies(&mut c, v.id).await?;
    limits::reserve(
        &mut c,
        v.account_id,
        &[(ResourceType::SecondaryStorage, physical)],
    )
    .await?;
    let id = c
        .insert_volume_ref(
            &NewVolumeRef {
                volume_id: v.id,
                store_id: p.store_id,
                zone_id: v.zone_id,
                simulated: false,
                download_state: state::DOWNLOADED,
                source_url: None,
                format: "QCOW2",
                checksum: None,
                done: Some(DoneCopy {
                    install_path: &install_path,
                    size: v.size,
                    physical_size: physical,
                }),
            },
            strato_schema::now(),
        )
        .await?;
    upload::remove_files(&replaced).await;
    move_into_place(&p.store_url, &path, &install_path).await?;
    tx.commit().await?;
    Ok(id)
}

/// Moves the host's backup (`from`, in the store) to `to` in the same store.
async fn move_into_place(store_url: &str, from: &str, to: &str) -> Result<(), ApiError> {
    let root = location::store_dir(store_url).map_err(ApiError::internal)?;
    let (from, to) = (root.join(from), root.join(to));
    if let Some(dir) = to.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| ApiError::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    tokio::fs::rename(&from, &to).await.map_err(|e| {
        ApiError::internal(format!(
            "the host's copy of the volume ({}) cannot be moved in place: {e}",
            from.display()
        ))
    })
}

async fn drop_copy(ctx: &SagaCtx<ExtractVolume>) -> Result<(), ApiError> {
    upload::drop_copies(ctx.context(), ctx.params().volume_id).await
}
