//! createInstanceGroup, listInstanceGroups, updateInstanceGroup, deleteInstanceGroup, and
//! the group functions deployVirtualMachine uses.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::instance_group::{InstanceGroupFilter, InstanceGroupRow};

use super::{check_name, owned};
use crate::{Ctx, access, paging};

pub async fn create_instance_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = group_name(args.required_str("name")?)?;
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let owner = owned::owner(&mut c, &ctx.caller, &args).await?;
    if c.instance_group_by_name(owner.id, &name).await?.is_some() {
        return Err(taken(&name, &owner.name));
    }
    let group = insert(&mut c, owner.id, &name)
        .await?
        .ok_or_else(|| taken(&name, &owner.name))?;
    db.commit().await?;
    Ok(Reply::Object(entry(&group)))
}

pub async fn list_instance_groups(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let filter = InstanceGroupFilter {
        scope: owned::scope(scope),
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_instance_groups(&filter, page).await?;
    Ok(Reply::list(
        usize::try_from(total).unwrap_or(0),
        rows.iter().map(entry).collect(),
    ))
}

pub async fn update_instance_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let group = by_id(&mut c, &ctx, &args).await?;
    if let Some(name) = args.str("name") {
        let name = group_name(name)?;
        if name != group.name {
            if c.instance_group_by_name(group.account_id, &name)
                .await?
                .is_some()
            {
                return Err(taken(&name, &group.account_name));
            }
            c.rename_instance_group(group.id, &name)
                .await
                .map_err(|e| {
                    if e.is_unique_violation() {
                        taken(&name, &group.account_name)
                    } else {
                        e.into()
                    }
                })?;
        }
    }
    let group = c
        .instance_group_by_uuid(&group.uuid)
        .await?
        .ok_or_else(|| ApiError::internal("the instance group is gone"))?;
    db.commit().await?;
    Ok(Reply::Object(entry(&group)))
}

pub async fn delete_instance_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let group = by_id(&mut c, &ctx, &args).await?;
    c.remove_instance_group(group.id, strato_schema::now())
        .await?;
    db.commit().await?;
    Ok(Reply::success())
}

/// The account's group with this name, created when it has none (deployVirtualMachine's
/// `group`). Run it in the VM's transaction.
pub async fn group_by_name_or_create(
    c: &mut Conn<'_>,
    account_id: i64,
    name: &str,
) -> Result<InstanceGroupRow, ApiError> {
    let name = group_name(name)?;
    if let Some(g) = c.instance_group_by_name(account_id, &name).await? {
        return Ok(g);
    }
    insert(c, account_id, &name)
        .await?
        .ok_or_else(|| super::concurrent_change("instance group"))
}

/// Puts a VM in a group, or in none (its previous group, if any, is left).
pub async fn set_group_of_vm(
    c: &mut Conn<'_>,
    instance_id: i64,
    group_id: Option<i64>,
) -> Result<(), ApiError> {
    Ok(c.set_instance_group_of_vm(instance_id, group_id).await?)
}

/// The group of each of these VMs that is in one, by instance id (for the VM's `group`
/// and `groupid` fields).
pub async fn groups_of_vms(
    c: &mut Conn<'_>,
    instance_ids: &[i64],
) -> Result<std::collections::HashMap<i64, InstanceGroupRow>, ApiError> {
    Ok(c.instance_groups_of_vms(instance_ids)
        .await?
        .into_iter()
        .collect())
}

fn group_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    check_name("name", name)?;
    Ok(name.to_string())
}

fn taken(name: &str, account: &str) -> ApiError {
    ApiError::param(format!(
        "Invalid parameter name: an instance group named {name} already exists for account \
         {account}"
    ))
}

/// Inserts the group; None when its name was taken by a concurrent request.
async fn insert(
    c: &mut Conn<'_>,
    account_id: i64,
    name: &str,
) -> Result<Option<InstanceGroupRow>, ApiError> {
    let uuid = uuid::Uuid::new_v4().to_string();
    match c
        .insert_instance_group(&uuid, account_id, name, strato_schema::now())
        .await
    {
        Ok(_) => Ok(c.instance_group_by_uuid(&uuid).await?),
        Err(e) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The group named by `id`, if the caller may act on its owner.
async fn by_id(c: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<InstanceGroupRow, ApiError> {
    let id = args.required_str("id")?;
    let group = c
        .instance_group_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "instance group"))?;
    owned::check_owner(c, &ctx.caller, group.account_id).await?;
    Ok(group)
}

/// The `instancegroup` response object.
fn entry(g: &InstanceGroupRow) -> Obj {
    let o = Obj::new("instancegroup")
        .str("id", &g.uuid)
        .str("name", &g.name)
        .date("created", &g.created);
    owned::with_owner(
        o,
        &g.account_name,
        &g.domain_uuid,
        &g.domain_name,
        Some(&g.domain_path),
    )
    .bool("hasannotations", false)
}
