//! changeServiceForVirtualMachine: a stopped VM takes another compute offering; the new
//! size is checked against capacity when it next starts, as in CloudStack. Also the
//! stopped half of scaleVirtualMachine.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::service_offering::ServiceOfferingRow;
use strato_schema::vm::VmRow;

use super::{bad_state, view, vm_by_param};
use crate::Ctx;

/// A fixed-size offering's vCPUs, MHz per vCPU and MiB.
pub struct Size {
    pub cpus: i32,
    pub speed: i32,
    pub memory_mb: i64,
}

/// The compute offering `serviceofferingid`, other than the VM's own, and its size.
pub async fn new_offering(
    c: &mut Conn<'_>,
    vm: &VmRow,
    args: &Args,
) -> Result<(ServiceOfferingRow, Size), ApiError> {
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
    let size = Size {
        cpus: i32::try_from(cpus).map_err(|_| ApiError::param("cpunumber out of range"))?,
        speed: i32::try_from(speed).map_err(|_| ApiError::param("cpuspeed out of range"))?,
        memory_mb: memory,
    };
    Ok((so, size))
}

/// Gives a stopped VM the offering (optimistic on the VM's update count).
pub async fn change_stopped(
    c: &mut Conn<'_>,
    vm: &VmRow,
    so: &ServiceOfferingRow,
    size: &Size,
) -> Result<(), ApiError> {
    if vm.state != "Stopped" {
        return Err(bad_state(vm, "change the offering of (stop it first)"));
    }
    if !c
        .set_vm_offering(
            vm.id,
            vm.update_count,
            so.id,
            size.cpus,
            size.speed,
            size.memory_mb,
        )
        .await?
    {
        return Err(crate::handlers::concurrent_change("virtual machine"));
    }
    Ok(())
}

pub async fn change_service_for_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    if vm.state != "Stopped" {
        return Err(bad_state(&vm, "change the offering of (stop it first)"));
    }
    let (so, size) = new_offering(&mut c, &vm, &args).await?;
    change_stopped(&mut c, &vm, &so, &size).await?;
    drop(db);
    view::vm_reply(&ctx.engine, vm.id).await
}
