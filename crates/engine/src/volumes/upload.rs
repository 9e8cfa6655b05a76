//! uploadVolume and getUploadParamsForVolume: a data volume whose image comes from a
//! URL (downloaded by the image service) or from a browser POST, into an image store of
//! its zone. The volume is UploadOp (URL) or NotUploaded → UploadInProgress (browser)
//! until its copy is in the store, then Uploaded (or UploadError / UploadAbandoned). On
//! its first attach it is copied to primary storage and becomes Ready.
//!
//! Limits: the volume counts at once; the image's bytes count as secondary storage once
//! they are in the store, and as primary storage once copied there (see attach).

use strato_agent_proto::TemplateRef;
use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::store_copy::{CopyOf, NewVolumeRef};
use strato_schema::template::state;
use strato_schema::volume::{NewVolume, VolumeView};

use super::{NOT_UPLOADED, UPLOAD_OP, create, view};
use crate::handlers::templates::{TEMPLATE_FORMATS, image_checksum, image_url, zone_stores};
use crate::handlers::{check_name, one_of, owner_of_new};
use crate::images::{StoreCopy, location};
use crate::limits::{self, ResourceType};
use crate::{Ctx, Engine, images};

pub async fn upload_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let url = image_url(&args)?;
    let (volume_id, _) = record(&ctx, &args, Some(&url)).await?;
    ctx.engine.images.wake();
    view::volume_reply(
        &ctx.engine,
        volume_id,
        view::sees_storage(ctx.caller.role_type),
    )
    .await
}

pub async fn get_upload_params_for_volume(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let (_, copy) = record(&ctx, &args, None).await?;
    let p = images::upload::params(&ctx.engine, CopyOf::Volume, copy.id, &copy.uuid)?;
    Ok(Reply::Object(
        Obj::new("getuploadparams")
            .str("id", &copy.uuid)
            .str("postURL", p.post_url)
            .str("metadata", p.metadata)
            .str("expires", p.expires)
            .str("signature", p.signature),
    ))
}

/// Checks the arguments and records the volume with its copy in one image store of the
/// zone: to download from `url`, or (None) to be POSTed. Returns the volume's id and
/// the copy.
async fn record(ctx: &Ctx, args: &Args, url: Option<&str>) -> Result<(i64, StoreCopy), ApiError> {
    let caller = &ctx.caller;
    let name = args.required_str("name")?.trim().to_string();
    check_name("name", &name)?;
    let format = one_of("format", args.required_str("format")?, TEMPLATE_FORMATS)?;
    let checksum = image_checksum(args)?;
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let zone_id = args.required_str("zoneid")?;
    let zone = c
        .zone_by_uuid(zone_id)
        .await?
        .ok_or_else(|| ApiError::not_found("zoneid", zone_id, "zone"))?;
    create::check_zone_enabled(caller, &zone)?;
    let offering = match args.uuid("diskofferingid") {
        Some(o) => {
            let offering = create::offering_in_zone(&mut c, o, &zone).await?;
            // The image decides the size.
            if !offering.customized {
                return Err(ApiError::param(format!(
                    "Disk offering {o} has a fixed size; an uploaded volume takes a custom-size \
                     offering (parameter diskofferingid)"
                )));
            }
            Some(offering)
        }
        None => None,
    };
    let stores = zone_stores(&mut c, zone.id).await?;
    let store = match args.str("imagestoreuuid") {
        Some(s) => stores.into_iter().find(|x| x.uuid == s).ok_or_else(|| {
            ApiError::param(format!(
                "Invalid parameter imagestoreuuid value={s}: no writable image store of zone \
                 {} has this id",
                zone.name
            ))
        })?,
        None => stores.into_iter().next().ok_or_else(|| {
            ApiError::param(format!(
                "Zone {} has no image store; add one with addImageStore first",
                zone.name
            ))
        })?,
    };
    let owner = owner_of_new(&mut c, caller, args).await?;
    limits::reserve(&mut c, owner.id, &[(ResourceType::Volume, 1)]).await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = strato_schema::now();
    let id = c
        .insert_volume(
            &NewVolume {
                disk_offering_id: offering.as_ref().map(|o| o.id),
                state: if url.is_some() {
                    UPLOAD_OP
                } else {
                    NOT_UPLOADED
                },
                provisioning: offering
                    .as_ref()
                    .map_or("thin", |o| o.props.provisioning_type.as_str()),
                ..create::data_volume(&uuid, &name, &owner, zone.id)
            },
            now,
        )
        .await?;
    let simulated = images::zone_is_simulated(&mut c, zone.id).await?;
    let ref_id = c
        .insert_volume_ref(
            &NewVolumeRef {
                volume_id: id,
                store_id: store.id,
                zone_id: zone.id,
                simulated,
                download_state: if url.is_some() {
                    state::NOT_DOWNLOADED
                } else {
                    state::NOT_UPLOADED
                },
                source_url: url,
                format,
                checksum: checksum.as_deref(),
                done: None,
            },
            now,
        )
        .await?;
    let copy = StoreCopy::load(&mut c, CopyOf::Volume, ref_id)
        .await?
        .ok_or_else(|| ApiError::internal("the new volume's copy vanished"))?;
    tx.commit().await?;
    Ok((id, copy))
}

/// What an uploaded volume's `status` says: progress, completion or the error.
pub fn status(v: &VolumeView) -> Option<String> {
    // A Ready volume's copy in the store is an extracted image, not an upload.
    if !super::UPLOAD_STATES.contains(&v.state.as_str()) {
        return None;
    }
    let s = v.upload_state.as_deref()?;
    Some(match s {
        state::DOWNLOADED => "Upload Complete".to_string(),
        state::DOWNLOAD_IN_PROGRESS | state::UPLOAD_IN_PROGRESS => match v.upload_pct {
            Some(100) => "Checking Volume".to_string(),
            pct => format!("{}% Uploaded", pct.unwrap_or(0)),
        },
        _ => v
            .upload_error
            .clone()
            .unwrap_or_else(|| "Processing".to_string()),
    })
}

/// deleteVolume of a volume still in its image store (never copied to primary storage):
/// the rows go and the counts are given back in one transaction, then the files.
pub async fn delete_uploaded(ctx: &Ctx, v: &VolumeView) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    if !c
        .set_volume_state(v.id, super::UPLOAD_STATES, "Expunged")
        .await?
    {
        return Err(super::bad_state(v, "delete"));
    }
    let copies = take_copies(&mut c, v.id).await?;
    c.remove_volume(v.id, strato_schema::now()).await?;
    limits::release(&mut c, v.account_id, &[(ResourceType::Volume, 1)]).await?;
    tx.commit().await?;
    remove_files(&copies).await;
    Ok(Reply::success())
}

/// Drops a volume's image store copies once it is on primary storage.
pub async fn drop_copies(engine: &Engine, volume_id: i64) -> Result<(), ApiError> {
    let mut tx = engine.store.begin().await?;
    let copies = take_copies(&mut tx.c(), volume_id).await?;
    tx.commit().await?;
    remove_files(&copies).await;
    Ok(())
}

/// Deletes the copy rows of a volume, giving back the secondary storage a finished one
/// counted; returns the copies whose files are to go once the transaction commits.
pub(super) async fn take_copies(
    c: &mut Conn<'_>,
    volume_id: i64,
) -> Result<Vec<StoreCopy>, ApiError> {
    let Some(row) = c.volume_by_id(volume_id).await? else {
        return Ok(Vec::new());
    };
    let mut copies = Vec::new();
    for r in c.volume_refs(&[volume_id]).await? {
        if r.is_ready() {
            let bytes = r.physical_size.unwrap_or(0);
            limits::release(
                c,
                row.account_id,
                &[(ResourceType::SecondaryStorage, bytes)],
            )
            .await?;
        }
        c.delete_volume_ref(r.id).await?;
        copies.push(StoreCopy::volume(&r, &row));
    }
    Ok(copies)
}

/// Files go after the rows: a crash in between leaves an orphan file, never a row
/// pointing at nothing. A download still running finds its row gone and cleans up.
pub(super) async fn remove_files(copies: &[StoreCopy]) {
    for copy in copies {
        images::remove_files(copy).await;
    }
}

/// The image an uploaded volume is created from on primary storage: its copy in the
/// image store, as a template a host fetches.
pub async fn image_of(c: &mut Conn<'_>, v: &VolumeView) -> Result<Option<TemplateRef>, ApiError> {
    if v.state != super::UPLOADED {
        return Ok(None);
    }
    let r = c
        .volume_refs(&[v.id])
        .await?
        .into_iter()
        .find(|r| r.is_ready())
        .ok_or_else(|| ApiError::internal("the uploaded volume has no image in its store"))?;
    let path = r
        .install_path
        .as_deref()
        .ok_or_else(|| ApiError::internal("the uploaded volume's image has no path"))?;
    Ok(Some(TemplateRef {
        uuid: v.uuid.clone(),
        url: Some(location::file_url(&r.store_url, path)),
        size_bytes: u64::try_from(r.size.unwrap_or(v.size)).unwrap_or(0),
        format: Some(r.format),
    }))
}
