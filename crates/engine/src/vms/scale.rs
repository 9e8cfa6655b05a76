//! scaleVirtualMachine: a stopped VM takes the new offering as with
//! changeServiceForVirtualMachine. A running VM is checked as CloudStack checks it
//! (dynamic scaling enabled, template and offering dynamically scalable, scale up
//! only), and then refused: no host driver here can change a running VM's CPU or
//! memory yet, so nothing is recorded that the host would not match.

use strato_api::params::Args;
use strato_api::response::Reply;
use strato_common::ApiError;

use super::offering::{Size, change_stopped, new_offering};
use super::{bad_state, view, vm_by_param};
use crate::Ctx;

pub async fn scale_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    let (so, size) = new_offering(&mut c, &vm, &args).await?;
    match vm.state.as_str() {
        "Stopped" => {
            change_stopped(&mut c, &vm, &so, &size).await?;
            drop(db);
            view::vm_reply(&ctx.engine, vm.id).await
        }
        "Running" => {
            if !ctx.engine.settings.bool("enable.dynamic.scale.vm") {
                return Err(ApiError::param(
                    "Dynamically scaling virtual machines is disabled (enable.dynamic.scale.vm \
                     is false); stop the VM to change its offering",
                ));
            }
            let template = c
                .template_by_id(vm.template_id)
                .await?
                .ok_or_else(|| ApiError::internal("the VM's template is gone"))?;
            if !template.dynamically_scalable || !so.dynamic_scaling_enabled {
                return Err(ApiError::param(format!(
                    "Unable to scale VM {} while it runs: its template and the new offering \
                     must both be dynamically scalable (parameter serviceofferingid)",
                    vm.uuid
                )));
            }
            check_scale_up(&vm, &size)?;
            Err(ApiError::param(format!(
                "Unable to scale VM {} while it runs: the hypervisor drivers of this \
                 installation cannot change a running VM's CPU or memory; stop it and scale \
                 it",
                vm.uuid
            )))
        }
        _ => Err(bad_state(&vm, "scale")),
    }
}

/// A running VM only grows: nothing smaller, something bigger.
fn check_scale_up(vm: &strato_schema::vm::VmRow, new: &Size) -> Result<(), ApiError> {
    let smaller = new.cpus < vm.cpus || new.speed < vm.cpu_speed || new.memory_mb < vm.memory_mb;
    let bigger = new.cpus > vm.cpus || new.speed > vm.cpu_speed || new.memory_mb > vm.memory_mb;
    if smaller || !bigger {
        return Err(ApiError::param(format!(
            "Only scaling up a running VM is supported: the new offering (cpu={}, speed={}, \
             memory={}) must have no value lower and one higher than the VM's (cpu={}, \
             speed={}, memory={})",
            new.cpus, new.speed, new.memory_mb, vm.cpus, vm.cpu_speed, vm.memory_mb
        )));
    }
    Ok(())
}
