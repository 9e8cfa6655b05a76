//! Affinity groups in placement: which groups a VM joins (deployVirtualMachine,
//! updateVMAffinityGroup), and the host rules they put on the planner.
//!
//! Strict types filter the candidates ("host anti-affinity": no host a member runs on;
//! "host affinity": only the host the members run on), non-strict types only reorder
//! them. The rules are read after the groups' rows are locked in the placement's
//! transaction, so concurrent placements in one group see each other's reservations.

use std::collections::{HashMap, HashSet};

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::affinity_group::{AffinityGroupFilter, AffinityGroupRow};
use strato_schema::owner_scope::OwnerScope;
use strato_schema::placement::HostCandidate;

use super::{view, vm_by_param};
use crate::Ctx;
use crate::handlers::affinity_groups as groups;

/// The groups named by `affinitygroupids` or `affinitygroupnames` (exclusive), which
/// must belong to the VM's owner. Neither given: no groups.
pub async fn requested(
    c: &mut Conn<'_>,
    owner: &AccountRow,
    args: &Args,
) -> Result<Vec<i64>, ApiError> {
    let (ids, names) = (
        args.list("affinitygroupids"),
        args.list("affinitygroupnames"),
    );
    if ids.is_some() && names.is_some() {
        return Err(ApiError::param(
            "affinitygroupids parameter is mutually exclusive with affinitygroupnames \
             parameter",
        ));
    }
    let mut found: Vec<AffinityGroupRow> = Vec::new();
    if let Some(ids) = ids {
        for g in groups::groups_by_uuids(c, "affinitygroupids", ids).await? {
            if g.account_id != owner.id {
                return Err(ApiError::permission(format!(
                    "Affinity group {} does not belong to the VM's account {} (parameter \
                     affinitygroupids)",
                    g.uuid, owner.name
                )));
            }
            found.push(g);
        }
    }
    for name in names.unwrap_or_default() {
        let filter = AffinityGroupFilter {
            scope: OwnerScope {
                account_id: Some(owner.id),
                ..Default::default()
            },
            name: Some(name.clone()),
            ..Default::default()
        };
        let g = c
            .list_affinity_groups(&filter, strato_schema::sql::Page::ALL)
            .await?
            .1
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::param(format!(
                    "Unable to find affinity group by name {name} for account {} (parameter \
                     affinitygroupnames)",
                    owner.name
                ))
            })?;
        found.push(g);
    }
    let mut ids: Vec<i64> = found.iter().map(|g| g.id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Records the VM as a member of the groups.
pub async fn join(c: &mut Conn<'_>, instance_id: i64, group_ids: &[i64]) -> Result<(), ApiError> {
    groups::add_members(c, instance_id, group_ids).await
}

/// Takes the VM out of every group it is in.
pub async fn leave_all(c: &mut Conn<'_>, instance_id: i64) -> Result<(), ApiError> {
    let ids: Vec<i64> = groups::groups_of_vm(c, instance_id)
        .await?
        .iter()
        .map(|g| g.id)
        .collect();
    groups::remove_members(c, instance_id, &ids).await
}

/// What a VM's groups say about candidate hosts.
#[derive(Debug, Default)]
pub struct Rules {
    /// Hosts of strict anti-affinity partners.
    avoid: HashSet<i64>,
    /// Strict affinity: the only hosts allowed, once a partner runs somewhere.
    only: Option<HashSet<i64>>,
    /// Non-strict affinity partners' hosts (tried first).
    prefer: HashSet<i64>,
    /// Non-strict anti-affinity partners' hosts (tried last).
    dislike: HashSet<i64>,
}

impl Rules {
    /// The rules of `instance_id`'s groups. `lock`: inside a placement transaction,
    /// lock the groups first so concurrent placements in them queue.
    pub async fn of(c: &mut Conn<'_>, instance_id: i64, lock: bool) -> Result<Rules, ApiError> {
        let mut rules = Rules::default();
        let mine = groups::groups_of_vm(c, instance_id).await?;
        if mine.is_empty() {
            return Ok(rules);
        }
        if lock {
            let ids: Vec<i64> = mine.iter().map(|g| g.id).collect();
            c.lock_affinity_groups(&ids).await?;
        }
        for g in &mine {
            let hosts: HashSet<i64> = c
                .affinity_member_hosts(g.id, instance_id)
                .await?
                .into_iter()
                .collect();
            match g.group_type.as_str() {
                "host anti-affinity" => rules.avoid.extend(hosts),
                "host affinity" if !hosts.is_empty() => {
                    rules.only = Some(match rules.only.take() {
                        Some(only) => only.intersection(&hosts).copied().collect(),
                        None => hosts,
                    });
                }
                "non-strict host affinity" => rules.prefer.extend(hosts),
                "non-strict host anti-affinity" => rules.dislike.extend(hosts),
                _ => {}
            }
        }
        Ok(rules)
    }

    /// Drops the hosts the strict rules forbid and moves the preferred ones first,
    /// keeping the planner's order otherwise.
    pub fn apply(&self, hosts: &mut Vec<HostCandidate>) {
        hosts.retain(|h| {
            !self.avoid.contains(&h.id) && self.only.as_ref().is_none_or(|o| o.contains(&h.id))
        });
        hosts.sort_by_key(|h| (!self.prefer.contains(&h.id), self.dislike.contains(&h.id)));
    }
}

/// The `affinitygroup` objects of each VM.
pub async fn objs_of_vms(
    c: &mut Conn<'_>,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Obj>>, ApiError> {
    let mut out: HashMap<i64, Vec<Obj>> = HashMap::new();
    for (id, group) in c.affinity_groups_of_vms(ids).await? {
        out.entry(id).or_default().push(groups::entry(&group));
    }
    Ok(out)
}

/// Fills a `virtualmachine` object's `affinitygroup` list.
pub fn with_groups(vm: Obj, of_vm: Option<Vec<Obj>>) -> Obj {
    vm.set("affinitygroup", Node::Objs(of_vm.unwrap_or_default()))
}

/// updateVMAffinityGroup: replaces a stopped VM's groups; they apply from its next
/// start.
pub async fn update_vm_affinity_group(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    if vm.state != "Stopped" {
        return Err(ApiError::param(format!(
            "Unable to update affinity groups of the virtual machine {} in state {}; make \
             sure the virtual machine is stopped and not in an error state before updating",
            vm.uuid, vm.state
        )));
    }
    let owner = c
        .account_by_id(vm.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's owner is gone"))?;
    let wanted = requested(&mut c, &owner, &args).await?;
    leave_all(&mut c, vm.id).await?;
    join(&mut c, vm.id, &wanted).await?;
    tx.commit().await?;
    view::vm_reply(&ctx.engine, vm.id).await
}
