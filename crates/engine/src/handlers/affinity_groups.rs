//! createAffinityGroup, listAffinityGroups, deleteAffinityGroup, listAffinityGroupTypes,
//! and the group membership functions the VM commands use.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::affinity_group::{AffinityGroupFilter, AffinityGroupRow, NewAffinityGroup};

use super::{check_name, one_of, owned};
use crate::{Ctx, access, paging};

/// The types users may create (CloudStack's non-admin affinity processors).
pub const TYPES: &[&str] = &[
    "host anti-affinity",
    "host affinity",
    "non-strict host anti-affinity",
    "non-strict host affinity",
];

pub async fn create_affinity_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim().to_string();
    check_name("name", &name)?;
    let group_type = one_of("type", args.required_str("type")?, TYPES)?;
    if args.has("domainid") && !args.has("account") {
        // CloudStack's domain-wide groups exist only for explicit dedication.
        return Err(ApiError::param(format!(
            "Parameter account is required with domainid: a {group_type} group cannot be \
             shared domain wide"
        )));
    }
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let owner = owned::owner(&mut c, &ctx.caller, &args).await?;
    let taken = AffinityGroupFilter {
        scope: strato_schema::owner_scope::OwnerScope {
            account_id: Some(owner.id),
            ..Default::default()
        },
        name: Some(name.clone()),
        ..Default::default()
    };
    let duplicate = || {
        ApiError::param(format!(
            "Invalid parameter name: an affinity group named {name} already exists for \
             account {}",
            owner.name
        ))
    };
    if c.list_affinity_groups(&taken, strato_schema::sql::Page::ALL)
        .await?
        .0
        > 0
    {
        return Err(duplicate());
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = c
        .insert_affinity_group(
            &NewAffinityGroup {
                uuid: &uuid,
                account_id: owner.id,
                name: &name,
                description: args.str("description"),
                group_type,
            },
            strato_schema::now(),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                duplicate()
            } else {
                e.into()
            }
        })?;
    let group = groups_by_ids(&mut c, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("the new affinity group is gone"))?;
    db.commit().await?;
    Ok(Reply::Object(entry(&group)))
}

pub async fn list_affinity_groups(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let filter = AffinityGroupFilter {
        scope: owned::scope(scope),
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        group_type: match args.str("type") {
            Some(t) => Some(one_of("type", t, TYPES)?.to_string()),
            None => None,
        },
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_affinity_groups(&filter, page).await?;
    Ok(Reply::list(
        usize::try_from(total).unwrap_or(0),
        rows.iter().map(entry).collect(),
    ))
}

pub async fn delete_affinity_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let group = if let Some(id) = args.uuid("id") {
        let group = c
            .affinity_groups_by_uuids(&[id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("id", id, "affinity group"))?;
        owned::check_owner(&mut c, &ctx.caller, group.account_id).await?;
        group
    } else if let Some(name) = args.str("name") {
        let owner = owned::owner(&mut c, &ctx.caller, &args).await?;
        let filter = AffinityGroupFilter {
            scope: strato_schema::owner_scope::OwnerScope {
                account_id: Some(owner.id),
                ..Default::default()
            },
            name: Some(name.to_string()),
            ..Default::default()
        };
        c.list_affinity_groups(&filter, strato_schema::sql::Page::ALL)
            .await?
            .1
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Invalid parameter name: no affinity group named {name} exists for \
                     account {}",
                    owner.name
                ))
            })?
    } else {
        return Err(ApiError::param(
            "Either the affinity group id or its name must be specified",
        ));
    };
    let members = c.affinity_members(group.id).await?;
    if !members.is_empty() {
        return Err(ApiError::in_use(format!(
            "The affinity group {} still has {} VM(s); remove them from it first",
            group.name,
            members.len()
        )));
    }
    c.delete_affinity_group(group.id).await?;
    db.commit().await?;
    Ok(Reply::success())
}

pub async fn list_affinity_group_types(_ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let keyword = args.str("keyword").map(str::to_lowercase);
    let items: Vec<Obj> = TYPES
        .iter()
        .filter(|t| keyword.as_ref().is_none_or(|k| t.contains(k.as_str())))
        .map(|t| Obj::new("affinityGroupType").str("type", *t))
        .collect();
    Ok(Reply::list(items.len(), items))
}

/// Groups by internal id, in id order; ids that name no group are left out.
pub async fn groups_by_ids(
    c: &mut Conn<'_>,
    ids: &[i64],
) -> Result<Vec<AffinityGroupRow>, ApiError> {
    Ok(c.affinity_groups_by_ids(ids).await?)
}

/// Groups by uuid (deployVirtualMachine's `affinitygroupids`); an unknown one is a 431
/// naming `param`. Whether the VM's owner may use them is the caller's check.
pub async fn groups_by_uuids(
    c: &mut Conn<'_>,
    param: &str,
    uuids: &[String],
) -> Result<Vec<AffinityGroupRow>, ApiError> {
    let found = c.affinity_groups_by_uuids(uuids).await?;
    if let Some(missing) = uuids.iter().find(|u| !found.iter().any(|g| &g.uuid == *u)) {
        return Err(ApiError::not_found(param, missing, "affinity group"));
    }
    Ok(found)
}

/// The groups a VM is in (its `affinitygroup` list).
pub async fn groups_of_vm(
    c: &mut Conn<'_>,
    instance_id: i64,
) -> Result<Vec<AffinityGroupRow>, ApiError> {
    Ok(c.affinity_groups_of_vm(instance_id).await?)
}

/// Puts the VM in these groups (membership it already has stays).
pub async fn add_members(
    c: &mut Conn<'_>,
    instance_id: i64,
    group_ids: &[i64],
) -> Result<(), ApiError> {
    Ok(c.add_affinity_members(instance_id, group_ids).await?)
}

/// Takes the VM out of these groups.
pub async fn remove_members(
    c: &mut Conn<'_>,
    instance_id: i64,
    group_ids: &[i64],
) -> Result<(), ApiError> {
    c.remove_affinity_members(instance_id, group_ids).await?;
    Ok(())
}

/// Instance ids of the group's VMs.
pub async fn members_of(c: &mut Conn<'_>, group_id: i64) -> Result<Vec<i64>, ApiError> {
    Ok(c.affinity_members(group_id).await?)
}

/// The `affinitygroup` response object.
pub fn entry(g: &AffinityGroupRow) -> Obj {
    let o = Obj::new("affinitygroup")
        .str("id", &g.uuid)
        .str("name", &g.name)
        .opt_str("description", g.description.clone())
        .str("type", &g.group_type);
    owned::with_owner(
        o,
        &g.account_name,
        &g.domain_uuid,
        &g.domain_name,
        Some(&g.domain_path),
    )
}
