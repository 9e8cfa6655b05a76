//! changeServiceForVirtualMachine: a stopped VM takes another compute offering; the new
//! size is checked against capacity when it next starts, as in CloudStack. Scaling a
//! running VM (scaleVirtualMachine) needs dynamic scaling on the host and is not
//! offered yet.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;

use super::{bad_state, view, vm_by_param};
use crate::Ctx;

pub async fn change_service_for_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    if vm.state != "Stopped" {
        return Err(bad_state(&vm, "change the offering of (stop it first)"));
    }
    let id = args.required_str("serviceofferingid")?;
    let so = c
        .service_offering_by_uuid(id)
        .await?
        .filter(|o| !o.system_use)
        .ok_or_else(|| ApiError::not_found("serviceofferingid", id, "service offering"))?;
    if so.id == vm.service_offering_id {
        return Err(ApiError::param(
            "Invalid parameter serviceofferingid: the VM already has this offering",
        ));
    }
    let (Some(cpus), Some(speed), Some(memory)) = (so.cpu, so.speed, so.ram_size) else {
        return Err(ApiError::param(
            "Custom compute offerings are not supported here yet (parameter serviceofferingid)",
        ));
    };
    let cpus = i32::try_from(cpus).map_err(|_| ApiError::param("cpunumber out of range"))?;
    let speed = i32::try_from(speed).map_err(|_| ApiError::param("cpuspeed out of range"))?;
    if !c
        .set_vm_offering(vm.id, vm.update_count, so.id, cpus, speed, memory)
        .await?
    {
        return Err(crate::handlers::concurrent_change("virtual machine"));
    }
    drop(db);
    view::vm_reply(&ctx.engine, vm.id).await
}
