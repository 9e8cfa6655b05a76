//! listVirtualMachines, updateVirtualMachine and the `virtualmachine` object.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::vm::{VmFilter, VmRow};

use super::{affinity, bad_state, iso, nic_view, vm_by_param};
use crate::caller::{Caller, RoleType};
use crate::handlers::tags;
use crate::{Ctx, Engine, access, paging};

/// The VM as one object (the answer of every VM command).
pub async fn vm_reply(engine: &Engine, id: i64) -> Result<Reply, ApiError> {
    let mut db = engine.store.acquire().await?;
    let vm = db
        .c()
        .vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))?;
    let mut tags = tags::tags_of(&mut db.c(), "UserVm", &[id]).await?;
    let mut groups = affinity::objs_of_vms(&mut db.c(), &[id]).await?;
    let isos = iso::isos_of(&mut db.c(), &[&vm]).await?;
    let mut nics = nic_view::objs_of_vms(&mut db.c(), &[id]).await?;
    Ok(Reply::Object(nic_view::with_nics(
        affinity::with_groups(
            iso::with_iso(
                vm_obj(&vm, tags.remove(&id).unwrap_or_default()),
                vm.iso_id.and_then(|i| isos.get(&i)),
            ),
            groups.remove(&id),
        ),
        nics.remove(&id),
    )))
}

/// A VM as root admins see it; [`hide_placement`] takes out what others may not see.
pub fn vm_obj(v: &VmRow, tags: Vec<Obj>) -> Obj {
    Obj::new("virtualmachine")
        .str("id", &v.uuid)
        .str("name", &v.name)
        .str("displayname", &v.display_name)
        .str("account", &v.account_name)
        .str("domainid", &v.domain_uuid)
        .str("domain", &v.domain_name)
        .str(
            "domainpath",
            strato_schema::domain::display_path(&v.domain_path),
        )
        .date("created", &v.created)
        .str("state", &v.state)
        .bool("haenable", v.ha_enabled)
        .opt_str("group", v.instance_group.clone())
        .str("zoneid", &v.zone_uuid)
        .str("zonename", &v.zone_name)
        .opt_str("hostid", v.host_uuid.clone())
        .opt_str("hostname", v.host_name.clone())
        .str("instancename", &v.instance_name)
        .str("templateid", &v.template_uuid)
        .str("templatename", &v.template_name)
        .str("templatedisplaytext", &v.template_display_text)
        .bool("passwordenabled", v.password_enabled)
        .str("serviceofferingid", &v.service_offering_uuid)
        .str("serviceofferingname", &v.service_offering_name)
        .int("cpunumber", i64::from(v.cpus))
        .int("cpuspeed", i64::from(v.cpu_speed))
        .int("memory", v.memory_mb)
        .str("guestosid", &v.guest_os_uuid)
        .str("ostypeid", &v.guest_os_uuid)
        .int("rootdeviceid", 0)
        .str("rootdevicetype", "ROOT")
        .node("securitygroup", Node::Objs(Vec::new()))
        .node("nic", Node::Objs(Vec::new()))
        .str("hypervisor", &v.hypervisor)
        .node("details", Node::Map(Vec::new()))
        .node("affinitygroup", Node::Objs(Vec::new()))
        .bool("displayvm", v.display_vm)
        .bool("isdynamicallyscalable", false)
        .opt_str("keypairs", v.keypairs.clone())
        .node("tags", Node::Objs(tags))
        .bool("hasannotations", false)
}

fn sees_hosts(caller: &Caller) -> bool {
    caller.role_type == RoleType::Admin
}

/// The fields of a VM only a root admin sees (where it runs).
const PLACEMENT_FIELDS: [&str; 3] = ["hostid", "hostname", "instancename"];

/// Removes the placement fields from the VM objects of a reply the caller may not see
/// them in: command results are built once (a saga's output, a job's stored result)
/// without knowing who will read them.
pub fn hide_placement(caller: &Caller, reply: &mut Reply) {
    if sees_hosts(caller) {
        return;
    }
    let strip = |o: &mut Obj| {
        if o.name == "virtualmachine" {
            o.fields
                .retain(|(k, _)| !PLACEMENT_FIELDS.contains(&k.as_str()));
        }
    };
    match reply {
        Reply::Object(o) => strip(o),
        Reply::List { items, .. } => items.iter_mut().for_each(strip),
        Reply::Success { .. } | Reply::Flat(_) => {}
    }
}

pub async fn list_virtual_machines(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let mut f = VmFilter {
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        state: args.str("state").map(str::to_string),
        hypervisor: args.str("hypervisor").map(str::to_string),
        include_destroyed: ctx.caller.role_type != RoleType::User
            || ctx.engine.settings.bool("allow.user.view.destroyed.vm"),
        ..VmFilter::default()
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
    if let Some(t) = args.uuid("templateid") {
        f.template_id = Some(
            c.template_by_uuid(t)
                .await?
                .ok_or_else(|| ApiError::not_found("templateid", t, "template"))?
                .id,
        );
    }
    if let Some(n) = args.uuid("networkid") {
        f.network_id = Some(
            c.network_by_uuid(n)
                .await?
                .ok_or_else(|| ApiError::not_found("networkid", n, "network"))?
                .id,
        );
    }
    if let Some(s) = args.uuid("serviceofferingid") {
        f.service_offering_id = Some(
            c.service_offering_by_uuid(s)
                .await?
                .ok_or_else(|| ApiError::not_found("serviceofferingid", s, "service offering"))?
                .id,
        );
    }
    for (param, slot) in [("podid", 0), ("clusterid", 1), ("hostid", 2)] {
        let Some(id) = args.uuid(param) else {
            continue;
        };
        if !sees_hosts(&ctx.caller) {
            return Err(ApiError::permission(format!(
                "Only root admins may filter by {param}"
            )));
        }
        let found = match slot {
            0 => c.pod_by_uuid(id).await?.map(|p| p.id),
            1 => c.cluster_by_uuid(id).await?.map(|p| p.id),
            _ => c.host_by_uuid(id).await?.map(|p| p.id),
        }
        .ok_or_else(|| ApiError::not_found(param, id, param.trim_end_matches("id")))?;
        match slot {
            0 => f.pod_id = Some(found),
            1 => f.cluster_id = Some(found),
            _ => f.host_id = Some(found),
        }
    }
    let (total, rows) = c.list_vms(&f, page).await?;
    let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
    let mut tags = tags::tags_of(&mut c, "UserVm", &ids).await?;
    let mut groups = affinity::objs_of_vms(&mut c, &ids).await?;
    let isos = iso::isos_of(&mut c, &rows.iter().collect::<Vec<_>>()).await?;
    let mut nics = nic_view::objs_of_vms(&mut c, &ids).await?;
    let items = rows
        .iter()
        .map(|v| {
            nic_view::with_nics(
                affinity::with_groups(
                    iso::with_iso(
                        vm_obj(v, tags.remove(&v.id).unwrap_or_default()),
                        v.iso_id.and_then(|i| isos.get(&i)),
                    ),
                    groups.remove(&v.id),
                ),
                nics.remove(&v.id),
            )
        })
        .collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}

pub async fn update_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    if args.has("name") && vm.state != "Stopped" {
        return Err(bad_state(&vm, "rename (stop it first)"));
    }
    let name = args.str("name").map(str::trim).unwrap_or(&vm.name);
    if args.has("name") {
        super::deploy::check_hostname(name)?;
    }
    let display = args.str("displayname").unwrap_or(&vm.display_name);
    let group = match args.str("group") {
        Some("") => None,
        Some(g) => Some(g),
        None => vm.instance_group.as_deref(),
    };
    let ha = args.bool("haenable").unwrap_or(vm.ha_enabled);
    let user_data = super::passwords::user_data(&ctx.engine, &args)?;
    let user_data = user_data.as_deref().or(vm.user_data.as_deref());
    if !c
        .update_vm(vm.id, vm.update_count, name, display, group, ha, user_data)
        .await?
    {
        return Err(crate::handlers::concurrent_change("virtual machine"));
    }
    drop(db);
    vm_reply(&ctx.engine, vm.id).await
}
