//! attachIso and detachIso: one ISO at a time in a VM's CD-ROM. The VM record holds
//! the ISO; a running VM's host gets it inserted or ejected.
//!
//! Attaching is a saga: the VM's ISO slot is claimed first (so two attaches cannot
//! both win), then the host inserts it; a host failure gives the slot back. Detaching
//! ejects on the host before the record forgets the ISO.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use strato_agent_proto::{Command, IsoRef};
use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_saga::definition::BoxFuture;
use strato_saga::{Outputs, Saga, SagaCtx, Step, step};
use strato_schema::Conn;
use strato_schema::template::{TemplateRefRow, TemplateRow};
use strato_schema::vm::VmRow;

use super::{bad_state, host_ops, view, vm_by_named};
use crate::caller::Caller;
use crate::sagas::{self, EngineSaga};
use crate::{Ctx, Engine, access};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IsoParams {
    pub vm_id: i64,
    pub iso_id: i64,
    pub iso_uuid: String,
    /// Where the zone's image store holds the ISO (empty: not ready any more).
    pub path: String,
}

pub struct AttachIso;

impl Saga for AttachIso {
    const NAME: &'static str = "attach-iso";
    type Params = IsoParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("claim_slot", claim_slot, free_slot),
        step!("insert_on_host", insert_on_host),
    ];
}

pub struct DetachIso;

impl Saga for DetachIso {
    const NAME: &'static str = "detach-iso";
    type Params = IsoParams;
    type Context = Engine;
    const STEPS: &'static [Step<Self>] = &[
        step!("eject_on_host", eject_on_host, reinsert_on_host),
        step!("forget_iso", forget_iso),
    ];
}

fn reply(engine: &Engine, p: IsoParams) -> BoxFuture<'_, Result<Reply, ApiError>> {
    Box::pin(async move { view::vm_reply(engine, p.vm_id).await })
}

impl EngineSaga for AttachIso {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let p: IsoParams = outputs.lookup("claim_slot").map_err(|e| e.0)?;
            reply(engine, p).await
        })
    }
}

impl EngineSaga for DetachIso {
    fn reply(engine: &Engine, outputs: Outputs) -> BoxFuture<'_, Result<Reply, ApiError>> {
        Box::pin(async move {
            let p: IsoParams = outputs.lookup("forget_iso").map_err(|e| e.0)?;
            reply(engine, p).await
        })
    }
}

async fn vm(engine: &Engine, id: i64) -> Result<VmRow, ApiError> {
    super::vm_record(&mut engine.store.acquire().await?.c(), id).await
}

/// Takes the VM's empty ISO slot (a replay that took it already succeeds).
async fn claim_slot(ctx: &SagaCtx<AttachIso>) -> Result<IsoParams, ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    let mut c = db.c();
    if !c.claim_vm_iso(p.vm_id, p.iso_id).await? {
        return Err(already_attached());
    }
    Ok(p.clone())
}

async fn free_slot(ctx: &SagaCtx<AttachIso>) -> Result<(), ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    db.c().release_vm_iso(p.vm_id, p.iso_id).await?;
    Ok(())
}

/// A running VM gets the ISO in its drive; a stopped one only keeps the record.
async fn insert_on_host(ctx: &SagaCtx<AttachIso>) -> Result<(), ApiError> {
    let p = ctx.params();
    let engine = ctx.context();
    let v = vm(engine, p.vm_id).await?;
    if let (Some(host), "Running") = (v.host_guid.as_deref(), v.state.as_str()) {
        insert(engine, host, &v, &p.iso_uuid, &p.path).await?;
    }
    Ok(())
}

async fn insert(
    engine: &Engine,
    host_guid: &str,
    v: &VmRow,
    uuid: &str,
    path: &str,
) -> Result<(), ApiError> {
    let iso = IsoRef {
        uuid: uuid.to_string(),
        path: path.to_string(),
    };
    let cmd = Command::AttachIso {
        vm_name: v.instance_name.clone(),
        iso,
    };
    host_ops::call(engine, host_guid, cmd).await?;
    Ok(())
}

/// A starting VM gets the ISO its record holds.
pub async fn insert_at_start(engine: &Engine, v: &VmRow, host_guid: &str) -> Result<(), ApiError> {
    let Some(iso_id) = v.iso_id else {
        return Ok(());
    };
    let (uuid, path) = {
        let mut db = engine.store.acquire().await?;
        let mut c = db.c();
        let iso = c
            .template_by_id(iso_id)
            .await?
            .ok_or_else(|| ApiError::internal("the attached ISO is gone"))?;
        (iso.uuid, ready_path(&mut c, iso_id, v).await?)
    };
    insert(engine, host_guid, v, &uuid, &path).await
}

/// Where the VM's zone holds a ready copy of the ISO.
async fn ready_path(c: &mut Conn<'_>, iso_id: i64, v: &VmRow) -> Result<String, ApiError> {
    ready_copy(c, iso_id, v)
        .await?
        .install_path
        .ok_or_else(|| ApiError::internal("the ready ISO copy has no path"))
}

/// The ready copy of a template or ISO in the VM's zone.
pub async fn ready_copy(
    c: &mut Conn<'_>,
    template_id: i64,
    v: &VmRow,
) -> Result<TemplateRefRow, ApiError> {
    crate::images::ready_copy_in_zone(c, template_id, v.zone_id)
        .await?
        .ok_or_else(|| {
            ApiError::param(format!(
                "The template or ISO is not ready in zone {}",
                v.zone_name
            ))
        })
}

async fn eject_on_host(ctx: &SagaCtx<DetachIso>) -> Result<(), ApiError> {
    let engine = ctx.context();
    let v = vm(engine, ctx.params().vm_id).await?;
    if let (Some(host), "Running") = (v.host_guid.as_deref(), v.state.as_str()) {
        let cmd = Command::DetachIso {
            vm_name: v.instance_name.clone(),
        };
        host_ops::call(engine, host, cmd).await?;
    }
    Ok(())
}

/// A later failure puts the ISO back in the running VM's drive.
async fn reinsert_on_host(ctx: &SagaCtx<DetachIso>) -> Result<(), ApiError> {
    let p = ctx.params();
    let engine = ctx.context();
    let v = vm(engine, p.vm_id).await?;
    if let (Some(host), "Running", false) =
        (v.host_guid.as_deref(), v.state.as_str(), p.path.is_empty())
    {
        insert(engine, host, &v, &p.iso_uuid, &p.path).await?;
    }
    Ok(())
}

async fn forget_iso(ctx: &SagaCtx<DetachIso>) -> Result<IsoParams, ApiError> {
    let p = ctx.params();
    let mut db = ctx.context().store.acquire().await?;
    db.c().release_vm_iso(p.vm_id, p.iso_id).await?;
    Ok(p.clone())
}

fn already_attached() -> ApiError {
    ApiError::param(
        "An ISO is already attached to the VM; detach the current ISO before attaching \
         another one",
    )
}

/// The VM (`virtualmachineid`) in a state that allows ISO changes.
async fn vm_for_iso(c: &mut Conn<'_>, ctx: &Ctx, args: &Args) -> Result<VmRow, ApiError> {
    let v = vm_by_named(c, &ctx.caller, args, "virtualmachineid").await?;
    if v.state != "Running" && v.state != "Stopped" {
        return Err(bad_state(&v, "change the ISO of"));
    }
    Ok(v)
}

/// Whether the VM's owner may use a template or ISO: public, featured, its own,
/// shared with it, or the caller's to hand out.
pub async fn check_launch(
    c: &mut Conn<'_>,
    caller: &Caller,
    t: &TemplateRow,
    v: &VmRow,
) -> Result<(), ApiError> {
    if t.is_public || t.featured || t.account_id == v.account_id {
        return Ok(());
    }
    let shared = c.launch_permissions(t.id).await?.contains(&v.account_name);
    let owner = c
        .account_by_id(t.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the image's owner is gone"))?;
    if !shared && access::check_account(caller, &owner).is_err() {
        return Err(ApiError::permission(format!(
            "Account {} may not use {} {}",
            v.account_name,
            if t.is_iso() { "ISO" } else { "template" },
            t.uuid
        )));
    }
    Ok(())
}

/// The ISO `id`, if the VM's owner may use it (listIsos' rules: public, featured,
/// its own, shared with it, or the caller's to hand out), and its copy in the zone.
async fn usable_iso(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    v: &VmRow,
    args: &Args,
) -> Result<(TemplateRow, String), ApiError> {
    let id = args.required_str("id")?;
    let iso = c
        .template_by_uuid(id)
        .await?
        .filter(TemplateRow::is_iso)
        .ok_or_else(|| ApiError::not_found("id", id, "ISO"))?;
    check_launch(c, &ctx.caller, &iso, v).await?;
    let path = ready_path(c, iso.id, v).await?;
    Ok((iso, path))
}

pub async fn attach_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = vm_for_iso(&mut c, &ctx, &args).await?;
        if v.iso_id.is_some() {
            return Err(already_attached());
        }
        let (iso, path) = usable_iso(&mut c, &ctx, &v, &args).await?;
        IsoParams {
            vm_id: v.id,
            iso_id: iso.id,
            iso_uuid: iso.uuid,
            path,
        }
    };
    sagas::run::<AttachIso>(&ctx, params).await
}

pub async fn detach_iso(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let params = {
        let mut db = ctx.engine.store.acquire().await?;
        let mut c = db.c();
        let v = vm_for_iso(&mut c, &ctx, &args).await?;
        let iso_id = v
            .iso_id
            .ok_or_else(|| ApiError::param(format!("No ISO is attached to VM {}", v.uuid)))?;
        let iso = c
            .template_by_id(iso_id)
            .await?
            .ok_or_else(|| ApiError::internal("the attached ISO is gone"))?;
        // Only to put it back if the detach fails; an ISO no longer ready is not.
        let path = ready_copy(&mut c, iso_id, &v)
            .await
            .ok()
            .and_then(|r| r.install_path)
            .unwrap_or_default();
        IsoParams {
            vm_id: v.id,
            iso_id,
            iso_uuid: iso.uuid,
            path,
        }
    };
    sagas::run::<DetachIso>(&ctx, params).await
}

/// The attached ISOs of these VMs, by template id.
pub async fn isos_of(
    c: &mut Conn<'_>,
    vms: &[&VmRow],
) -> Result<HashMap<i64, TemplateRow>, ApiError> {
    let ids: Vec<i64> = vms.iter().filter_map(|v| v.iso_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(c.templates_by_ids(&ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// The VM object's `isoid`, `isoname` and `isodisplaytext`.
pub fn with_iso(vm: Obj, iso: Option<&TemplateRow>) -> Obj {
    match iso {
        Some(iso) => vm
            .str("isoid", &iso.uuid)
            .str("isoname", &iso.name)
            .str("isodisplaytext", &iso.display_text),
        None => vm,
    }
}
