//! listSnapshots and the `snapshot` object.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::snapshot::{SnapshotFilter, SnapshotRow};

use crate::{Ctx, Engine, access, paging};

pub async fn snapshot_reply(engine: &Engine, id: i64) -> Result<Reply, ApiError> {
    let s = engine
        .store
        .acquire()
        .await?
        .c()
        .snapshot_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the snapshot record is gone"))?;
    Ok(Reply::Object(snapshot_obj(&s)))
}

pub fn snapshot_obj(s: &SnapshotRow) -> Obj {
    Obj::new("snapshot")
        .str("id", &s.uuid)
        .str("name", &s.name)
        .str("account", &s.account_name)
        .str("domainid", &s.domain_uuid)
        .str("domain", &s.domain_name)
        .str("domainpath", &s.domain_path)
        .str("zoneid", &s.zone_uuid)
        .str("zonename", &s.zone_name)
        .str("volumeid", &s.volume_uuid)
        .str("volumename", &s.volume_name)
        .str("volumetype", &s.volume_type)
        .str("volumestate", &s.volume_state)
        .str("snapshottype", &s.snapshot_type)
        .str("intervaltype", &s.snapshot_type)
        .str("state", &s.state)
        .int("virtualsize", s.size)
        .int("physicalsize", s.physical_size)
        .date("created", &s.created)
        .bool("revertable", revertable(s))
        .str(
            "locationtype",
            if s.backup_path.is_some() {
                "SECONDARY"
            } else {
                "PRIMARY"
            },
        )
        .opt_str("datastoreid", s.store_uuid.clone())
        .opt_str("datastorename", s.store_name.clone())
        .opt_str("datastoretype", s.store_uuid.as_ref().map(|_| "Image"))
        .node("tags", Node::Objs(Vec::new()))
        .bool("hasannotations", false)
}

/// Its volume can be rolled back to it: the copy on primary storage still exists.
pub fn revertable(s: &SnapshotRow) -> bool {
    s.primary_path.is_some() && s.volume_state == "Ready" && s.state == "BackedUp"
}

pub async fn list_snapshots(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let mut f = SnapshotFilter {
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        snapshot_type: args
            .str("snapshottype")
            .or(args.str("intervaltype"))
            .map(str::to_string),
        ..SnapshotFilter::default()
    };
    if let Some(id) = args.uuid("id") {
        f.uuids.push(id.to_string());
    }
    f.uuids
        .extend(args.list("ids").unwrap_or_default().iter().cloned());
    if let Some(z) = args.uuid("zoneid") {
        f.zone_id = Some(
            c.zone_by_uuid(z)
                .await?
                .ok_or_else(|| ApiError::not_found("zoneid", z, "zone"))?
                .id,
        );
    }
    if let Some(v) = args.uuid("volumeid") {
        f.volume_id = Some(
            c.volume_by_uuid(v)
                .await?
                .ok_or_else(|| ApiError::not_found("volumeid", v, "volume"))?
                .id,
        );
    }
    let (total, rows) = c.list_snapshots(&f, page).await?;
    let items = rows.iter().map(snapshot_obj).collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}
