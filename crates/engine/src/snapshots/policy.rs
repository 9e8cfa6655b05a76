//! createSnapshotPolicy, listSnapshotPolicies, updateSnapshotPolicy and
//! deleteSnapshotPolicies, and the `snapshotpolicy` object.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::snapshot_policy::{NewSnapshotPolicy, SnapshotPolicyFilter, SnapshotPolicyRow};

use super::schedule;
use crate::caller::Caller;
use crate::volumes::volume_by_param;
use crate::{Ctx, access, paging};

pub fn policy_obj(p: &SnapshotPolicyRow) -> Obj {
    Obj::new("snapshotpolicy")
        .str("id", &p.uuid)
        .str("volumeid", &p.volume_uuid)
        .str("volumename", &p.volume_name)
        .int("intervaltype", schedule::interval_number(&p.interval_type))
        .str("schedule", &p.schedule)
        .str("timezone", &p.timezone)
        .int("maxsnaps", i64::from(p.max_snaps))
        .bool("fordisplay", p.display)
        .node("tags", Node::Objs(Vec::new()))
        .bool("hasannotations", false)
}

async fn policy_by_param(
    c: &mut Conn<'_>,
    caller: &Caller,
    id: &str,
    param: &str,
) -> Result<SnapshotPolicyRow, ApiError> {
    let p = c
        .snapshot_policy_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "snapshot policy"))?;
    let owner = c
        .account_by_id(p.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the policy's owner is gone"))?;
    access::check_account(caller, &owner)?;
    Ok(p)
}

pub async fn create_snapshot_policy(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let v = volume_by_param(
        &mut c,
        &ctx.caller,
        args.required_str("volumeid")?,
        "volumeid",
    )
    .await?;
    if matches!(v.state.as_str(), "Destroy" | "Expunging") {
        return Err(crate::volumes::bad_state(&v, "schedule snapshots of"));
    }
    let interval = args.required_str("intervaltype")?.to_uppercase();
    let sched_text = args.required_str("schedule")?.trim().to_string();
    let sched = schedule::parse(&interval, &sched_text)?;
    let tz_text = args.required_str("timezone")?.trim().to_string();
    let tz = schedule::parse_timezone(&tz_text)?;
    let max_snaps = match args.int("maxsnaps") {
        Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => i32::try_from(n).unwrap_or(1),
        other => {
            return Err(ApiError::param(format!(
                "Invalid parameter maxsnaps={}: keep at least one snapshot",
                other.unwrap_or(0)
            )));
        }
    };
    let display = args.bool("fordisplay").unwrap_or(true) || !ctx.caller.is_root_admin();
    let now = strato_schema::now();
    let id = c
        .put_snapshot_policy(
            &NewSnapshotPolicy {
                uuid: &uuid::Uuid::new_v4().to_string(),
                volume_id: v.id,
                interval_type: &interval,
                schedule: &sched_text,
                timezone: &tz_text,
                max_snaps,
                display,
                next_run: schedule::next_after(&sched, tz, now),
            },
            now,
        )
        .await?;
    let p = c
        .snapshot_policy_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the new policy is gone"))?;
    tx.commit().await?;
    Ok(Reply::Object(policy_obj(&p)))
}

pub async fn list_snapshot_policies(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let mut f = SnapshotPolicyFilter {
        uuid: args.uuid("id").map(str::to_string),
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree,
        display: if ctx.caller.role_type == crate::RoleType::Admin {
            args.bool("fordisplay")
        } else {
            Some(true)
        },
        ..SnapshotPolicyFilter::default()
    };
    if let Some(v) = args.uuid("volumeid") {
        f.volume_id = Some(
            volume_by_param(&mut c, &ctx.caller, v, "volumeid")
                .await?
                .id,
        );
    }
    let (total, rows) = c.list_snapshot_policies(&f, page).await?;
    let items = rows.iter().map(policy_obj).collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}

pub async fn update_snapshot_policy(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let p = policy_by_param(&mut c, &ctx.caller, args.required_str("id")?, "id").await?;
    if let Some(d) = args.bool("fordisplay") {
        c.set_snapshot_policy_display(p.id, d || !ctx.caller.is_root_admin())
            .await?;
    }
    let p = c
        .snapshot_policy_by_id(p.id)
        .await?
        .ok_or_else(|| ApiError::internal("the policy is gone"))?;
    Ok(Reply::Object(policy_obj(&p)))
}

pub async fn delete_snapshot_policies(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut uuids: Vec<(String, &str)> = Vec::new();
    if let Some(id) = args.uuid("id") {
        uuids.push((id.to_string(), "id"));
    }
    for id in args.list("ids").unwrap_or_default() {
        uuids.push((id.clone(), "ids"));
    }
    if uuids.is_empty() {
        return Err(ApiError::param("Either id or ids must be given"));
    }
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let mut ids = Vec::new();
    for (uuid, param) in &uuids {
        ids.push(policy_by_param(&mut c, &ctx.caller, uuid, param).await?.id);
    }
    c.remove_snapshot_policies(&ids, None, strato_schema::now())
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}
