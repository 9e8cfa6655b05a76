//! prepareTemplate: a ready template copied into a zone's primary storage pools now, so
//! the first deploy from it does not wait for the copy. The command answers at once (as
//! CloudStack's does); each pool's copy runs in the background on a connected host that
//! reaches the pool, and its outcome is logged. Nothing is lost if it does not finish:
//! the first volume made from the template copies it then.

use strato_agent_proto::{Command, TemplateRef};
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::placement::{PlacementFilter, PoolCandidate};
use strato_schema::sql::Page;
use strato_schema::storage_pool::StoragePoolFilter;
use strato_schema::template::TemplateRow;

use super::location;
use crate::handlers::template_view::{Kind, template_entries};
use crate::vms::host_ops;
use crate::{Ctx, Engine};

pub async fn prepare_template(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let tid = args.required_str("templateid")?;
    let t = c
        .template_by_uuid(tid)
        .await?
        .filter(|t| !t.is_iso())
        .ok_or_else(|| ApiError::not_found("templateid", tid, "template"))?;
    let zid = args.required_str("zoneid")?;
    let zone = c
        .zone_by_uuid(zid)
        .await?
        .ok_or_else(|| ApiError::not_found("zoneid", zid, "zone"))?;
    let reference = template_ref(&mut c, &t, zone.id).await?.ok_or_else(|| {
        ApiError::param(format!(
            "Template {tid} is not ready in zone {} (parameter templateid)",
            zone.name
        ))
    })?;
    let f = StoragePoolFilter {
        zone_id: Some(zone.id),
        uuid: args.uuid("storageid").map(str::to_string),
        state: Some("Up".into()),
        ..StoragePoolFilter::default()
    };
    let (_, pools) = c.list_storage_pools(&f, Page::ALL).await?;
    if let (Some(sid), true) = (args.uuid("storageid"), pools.is_empty()) {
        return Err(ApiError::param(format!(
            "Invalid parameter storageid={sid}: no Up primary storage pool with this id in \
             zone {}",
            zone.name
        )));
    }
    let mut work = Vec::new();
    for p in pools {
        let Some(pool) = c.pool_candidate(p.id).await? else {
            continue;
        };
        let hosts = c
            .candidate_hosts(&PlacementFilter {
                zone_id: zone.id,
                cluster_id: pool.cluster_id,
                host_id: pool.host_id,
                hypervisor: Some(t.hypervisor.clone()),
                ..PlacementFilter::default()
            })
            .await?;
        match hosts
            .into_iter()
            .find(|h| ctx.engine.agents.connected(&h.guid))
        {
            Some(h) => work.push((h.guid, pool)),
            None => tracing::warn!(
                pool = %pool.name, template = %t.uuid,
                "prepareTemplate: no connected host reaches this pool; skipped"
            ),
        }
    }
    let entries = template_entries(&mut c, Kind::Template, &[t.id], Some(zone.id)).await?;
    drop(db);
    for (host, pool) in work {
        let engine = ctx.engine.clone();
        let reference = reference.clone();
        tokio::spawn(async move { copy_into_pool(&engine, &host, &pool, reference).await });
    }
    Ok(Reply::list(entries.len(), entries))
}

async fn copy_into_pool(engine: &Engine, host: &str, pool: &PoolCandidate, t: TemplateRef) {
    let result = async {
        host_ops::mount_pools(engine, host, &[pool.id]).await?;
        let cmd = Command::PrepareTemplate {
            pool_uuid: pool.uuid.clone(),
            template: t.clone(),
        };
        host_ops::call(engine, host, cmd).await
    }
    .await;
    match result {
        Ok(_) => tracing::info!(template = %t.uuid, pool = %pool.name, "template prepared in pool"),
        Err(e) => tracing::warn!(
            template = %t.uuid, pool = %pool.name, error = %e.text,
            "prepareTemplate: the copy into the pool failed"
        ),
    }
}

/// What a host needs to copy template `t` from zone `zone_id`'s image store (None if
/// it has no ready copy there).
pub async fn template_ref(
    c: &mut Conn<'_>,
    t: &TemplateRow,
    zone_id: i64,
) -> Result<Option<TemplateRef>, ApiError> {
    let copy = super::ready_copy_in_zone(c, t.id, zone_id).await?;
    Ok(copy.map(|r| TemplateRef {
        uuid: t.uuid.clone(),
        url: r
            .install_path
            .as_deref()
            .map(|p| location::file_url(&r.store_url, p)),
        size_bytes: u64::try_from(r.size.unwrap_or(0)).unwrap_or(0),
        format: Some(t.format.clone()),
    }))
}
