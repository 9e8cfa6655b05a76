//! extractVolume: a signed, time-limited URL on this server for a volume's image, served
//! from its copy in the zone's image store (an uploaded volume not yet copied to
//! primary storage).

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::store_copy::CopyOf;

use super::{ROOT, UPLOADED, volume_by_param};
use crate::Ctx;
use crate::handlers::template_access::{check_extraction, extract_reply};
use crate::images::{self, StoreCopy};

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
    if v.state != UPLOADED {
        let why = if v.pool_id.is_some() {
            "it is on primary storage; only volumes whose image is in the image store (Uploaded) \
             can be extracted"
        } else {
            "its image is not in the image store"
        };
        return Err(ApiError::param(format!(
            "Volume {} is {}: {why}",
            v.uuid, v.state
        )));
    }
    let ready = c
        .volume_refs(&[v.id])
        .await?
        .into_iter()
        .find(|r| r.is_ready());
    let copy = match ready {
        Some(r) => StoreCopy::load(&mut c, CopyOf::Volume, r.id).await?,
        None => None,
    }
    .ok_or_else(|| super::bad_state(&v, "extract"))?;
    if copy.simulated {
        return Err(ApiError::param(format!(
            "Volume {} is in a simulated image store, which holds no bytes to download",
            v.uuid
        )));
    }
    let owner = c
        .account_by_id(v.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume's owner is gone"))?;
    let url = images::extract::url(&ctx.engine, &copy)?;
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
