//! listVolumes and the `volume` object.

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::volume::{VolumeFilter, VolumeView};

use crate::caller::RoleType;
use crate::{Ctx, Engine, access, paging};

/// The volume as one object (the answer of every volume command). Saga replies, whose
/// caller is not known there, leave out where it is stored (`admin` false).
pub async fn volume_reply(engine: &Engine, id: i64, admin: bool) -> Result<Reply, ApiError> {
    let v = engine
        .store
        .acquire()
        .await?
        .c()
        .volume_view(id)
        .await?
        .ok_or_else(|| ApiError::internal("the volume record is gone"))?;
    Ok(Reply::Object(volume_obj(&v, admin)))
}

/// `admin`: the caller may see where the volume is stored.
pub fn volume_obj(v: &VolumeView, admin: bool) -> Obj {
    let mut o = Obj::new("volume")
        .str("id", &v.uuid)
        .str("name", &v.name)
        .str("account", &v.account_name)
        .str("domainid", &v.domain_uuid)
        .str("domain", &v.domain_name)
        .str("domainpath", &v.domain_path)
        .str("zoneid", &v.zone_uuid)
        .str("zonename", &v.zone_name)
        .str("type", &v.volume_type)
        .str("state", &v.state)
        .bool("destroyed", v.state == "Destroy")
        .int("size", v.size)
        .date("created", &v.created)
        .str("provisioningtype", &v.provisioning)
        .bool("displayvolume", v.display_volume)
        .bool("isextractable", v.volume_type == super::DATADISK)
        .opt_str("status", super::upload::status(v))
        .opt_str("diskofferingid", v.disk_offering_uuid.clone())
        .opt_str("diskofferingname", v.disk_offering_name.clone())
        .opt_str(
            "diskofferingdisplaytext",
            v.disk_offering_display_text.clone(),
        )
        .opt_str("templateid", v.template_uuid.clone())
        .opt_str("templatename", v.template_name.clone())
        .opt_str("snapshotid", v.source_snapshot_uuid.clone());
    if v.instance_id.is_some() {
        o = o
            .opt_str("virtualmachineid", v.vm_uuid.clone())
            .opt_str("vmname", v.vm_name.clone())
            .opt_str("vmdisplayname", v.vm_display_name.clone())
            .opt_str("vmstate", v.vm_state.clone())
            .str("vmtype", "User")
            .opt_str("hypervisor", v.vm_hypervisor.clone())
            .int("deviceid", v.device_id.map_or(0, i64::from))
            .opt_date("attached", v.attached.as_ref());
    }
    if let Some(scope) = &v.pool_scope {
        o = o.str(
            "storagetype",
            if scope == "HOST" { "local" } else { "shared" },
        );
    }
    if admin {
        o = o
            .opt_str("storageid", v.pool_uuid.clone())
            .opt_str("storage", v.pool_name.clone())
            .opt_str("path", v.path.clone());
    }
    o.node("tags", Node::Objs(Vec::new()))
        .bool("hasannotations", false)
}

pub fn sees_storage(role: RoleType) -> bool {
    role == RoleType::Admin
}

pub async fn list_volumes(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let admin = sees_storage(ctx.caller.role_type);
    let mut f = VolumeFilter {
        account_id: scope.account_id,
        domain_id: scope.domain_id,
        subtree: scope.subtree,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        state: args.str("state").map(str::to_string),
        volume_type: args.str("type").map(str::to_string),
        // Hidden volumes are listed to admins only.
        display: match (admin, args.bool("displayvolume")) {
            (true, d) => d,
            (false, _) => Some(true),
        },
        ..VolumeFilter::default()
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
    if let Some(v) = args.uuid("virtualmachineid") {
        let vm = c
            .vm_by_uuid(v)
            .await?
            .ok_or_else(|| ApiError::not_found("virtualmachineid", v, "virtual machine"))?;
        f.instance_id = Some(vm.id);
    }
    if let Some(d) = args.uuid("diskofferingid") {
        f.disk_offering_id = Some(
            c.disk_offering_by_uuid(d)
                .await?
                .ok_or_else(|| ApiError::not_found("diskofferingid", d, "disk offering"))?
                .id,
        );
    }
    for param in ["podid", "clusterid", "hostid", "storageid"] {
        let Some(id) = args.uuid(param) else {
            continue;
        };
        if !admin {
            return Err(ApiError::permission(format!(
                "Only root admins may filter by {param}"
            )));
        }
        let what = param.trim_end_matches("id");
        let found = match param {
            "podid" => c.pod_by_uuid(id).await?.map(|p| p.id),
            "clusterid" => c.cluster_by_uuid(id).await?.map(|p| p.id),
            "hostid" => c.host_by_uuid(id).await?.map(|p| p.id),
            _ => c.storage_pool_by_uuid(id).await?.map(|p| p.id),
        }
        .ok_or_else(|| ApiError::not_found(param, id, what))?;
        match param {
            "podid" => f.pod_id = Some(found),
            "clusterid" => f.cluster_id = Some(found),
            "hostid" => f.host_id = Some(found),
            _ => f.pool_id = Some(found),
        }
    }
    let (total, rows) = c.list_volumes(&f, page).await?;
    let items = rows.iter().map(|v| volume_obj(v, admin)).collect();
    Ok(Reply::list(usize::try_from(total).unwrap_or(0), items))
}
