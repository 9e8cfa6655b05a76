//! Host maintenance: before a host enters maintenance every VM running on it moves to
//! another host by live migration (one MigrateVm saga per VM, the planner choosing the
//! target among Enabled hosts, so never the host being evacuated). A VM that cannot move
//! keeps running where it is and the host does not enter maintenance.

use strato_common::{ApiError, ErrorCode};
use strato_schema::sql::Page;
use strato_schema::vm::VmFilter;

use super::migrate::{MigrateParams, MigrateVm};
use crate::{Ctx, sagas};

/// cserrorcode of CloudStack's `ResourceUnavailableException`.
const CS_RESOURCE_UNAVAILABLE: i32 = 4380;
/// States a VM leaves by itself; evacuation cannot decide for such a VM.
const IN_TRANSITION: &[&str] = &["Starting", "Stopping", "Migrating"];

/// Moves every Running VM off host `host_id`. Each migration is its own saga (not tied
/// to the maintenance job), so a crash midway leaves each VM on one host or the other,
/// never lost. The error names every VM that stayed and why.
pub async fn evacuate(ctx: &Ctx, host_id: i64, host_name: &str) -> Result<usize, ApiError> {
    let f = VmFilter {
        host_id: Some(host_id),
        ..VmFilter::default()
    };
    let (_, vms) = ctx
        .engine
        .store
        .acquire()
        .await?
        .c()
        .list_vms(&f, Page::ALL)
        .await?;
    let mut stayed = Vec::new();
    let mut moved = 0;
    for vm in vms {
        if IN_TRANSITION.contains(&vm.state.as_str()) {
            stayed.push(format!("{} is {}", vm.name, vm.state));
            continue;
        }
        if vm.state != "Running" {
            continue;
        }
        let own = Ctx {
            engine: ctx.engine.clone(),
            caller: ctx.caller.clone(),
            job: None,
        };
        let params = MigrateParams {
            vm_id: vm.id,
            host_id: None,
        };
        match sagas::run::<MigrateVm>(&own, params).await {
            Ok(_) => moved += 1,
            Err(e) => stayed.push(format!("{} could not migrate: {}", vm.name, e.text)),
        }
    }
    if stayed.is_empty() {
        return Ok(moved);
    }
    Err(ApiError::new(
        ErrorCode::ResourceUnavailable,
        Some(CS_RESOURCE_UNAVAILABLE),
        format!(
            "Host {host_name} cannot enter maintenance; {} VM(s) still on it: {}",
            stayed.len(),
            stayed.join("; ")
        ),
    ))
}
