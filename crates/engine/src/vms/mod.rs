//! Virtual machines: placement, the deploy/start/stop/expunge sagas, the commands that
//! run them, and the response objects.

pub mod affinity;
pub mod assign;
pub mod deploy;
pub mod destroy;
pub mod evacuate;
pub mod host_ops;
pub mod iso;
pub mod migrate;
pub mod migrate_with_volume;
pub mod nic_spec;
pub mod nic_view;
pub mod nics;
pub mod offering;
pub mod passwords;
pub mod planner;
pub mod power;
pub mod restore;
pub mod scale;
pub mod view;

use strato_api::params::Args;
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::vm::VmRow;

use crate::access;
use crate::caller::Caller;
use crate::sagas::Sagas;

/// Every VM saga this server can run and resume.
pub fn register_sagas(s: &mut Sagas) -> Result<(), ApiError> {
    s.add::<deploy::DeployVm>()?;
    s.add::<deploy::DeployStoppedVm>()?;
    s.add::<power::StartVm>()?;
    s.add::<power::StopVm>()?;
    s.add::<destroy::ExpungeVm>()?;
    s.add::<migrate::MigrateVm>()?;
    s.add::<migrate_with_volume::MigrateVmWithVolume>()?;
    s.add::<iso::AttachIso>()?;
    s.add::<iso::DetachIso>()?;
    s.add::<restore::RestoreVm>()?;
    Ok(())
}

/// The VM named by `id`, if the caller may act on it (its owner, or an admin above).
pub async fn vm_by_param(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
) -> Result<VmRow, ApiError> {
    vm_by_named(c, caller, args, "id").await
}

/// The VM named by parameter `param`, if the caller may act on it.
pub async fn vm_by_named(
    c: &mut Conn<'_>,
    caller: &Caller,
    args: &Args,
    param: &str,
) -> Result<VmRow, ApiError> {
    vm_by_uuid_for(c, caller, param, args.required_str(param)?).await
}

/// VM `id` (given as parameter `param`), if the caller may act on it.
pub async fn vm_by_uuid_for(
    c: &mut Conn<'_>,
    caller: &Caller,
    param: &str,
    id: &str,
) -> Result<VmRow, ApiError> {
    let vm = c
        .vm_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "virtual machine"))?;
    let owner = c
        .account_by_id(vm.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's owner is gone"))?;
    access::check_account(caller, &owner)?;
    Ok(vm)
}

/// A VM a saga or command already holds by id (gone only if removed meanwhile).
pub async fn vm_record(c: &mut Conn<'_>, id: i64) -> Result<VmRow, ApiError> {
    c.vm_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM record is gone"))
}

/// CloudStack's answer to an operation the VM's state does not allow.
pub fn bad_state(vm: &VmRow, what: &str) -> ApiError {
    ApiError::param(format!(
        "Unable to {what} VM {} in state {}",
        vm.uuid, vm.state
    ))
}
