//! Power-state sync with a host (CloudStack's VM sync), for agents outside this process:
//! when an agent connects, and when it reports a VM that changed state behind the
//! server's back, VMs the database has Running on that host but the host does not run
//! are stopped through the stop saga (capacity released, state Stopped). VMs the host
//! still runs are left alone: a restarted agent neither restarts nor stops its guests.

use std::collections::HashSet;
use std::time::Duration;

use strato_agent_proto::{AnswerData, Command, PowerState, ServerSession};
use strato_schema::sql::Page;
use strato_schema::vm::VmFilter;

use crate::Engine;
use crate::vms::power::{StopParams, StopVm};

const ASK_TIMEOUT: Duration = Duration::from_secs(30);

/// Stops, in the database, the Running VMs of host `host_id` that its agent does not
/// run. Failures are logged: the next connection or event syncs again.
pub async fn sync_host(engine: &Engine, session: &ServerSession, guid: &str, host_id: i64) {
    let running: HashSet<String> = match session
        .call(guid, Command::GetVmState { names: vec![] }, ASK_TIMEOUT)
        .await
    {
        Ok(Ok(AnswerData::VmStates { vms })) => vms
            .into_iter()
            .filter(|v| v.state == PowerState::Running)
            .map(|v| v.name)
            .collect(),
        other => {
            tracing::warn!(host = %guid, answer = ?other, "cannot ask the host for its VMs");
            return;
        }
    };
    let filter = VmFilter {
        host_id: Some(host_id),
        state: Some("Running".into()),
        ..VmFilter::default()
    };
    let listed = match engine.store.acquire().await {
        Ok(mut db) => db.c().list_vms(&filter, Page::ALL).await,
        Err(e) => Err(e),
    };
    let vms = match listed {
        Ok((_, vms)) => vms,
        Err(e) => {
            tracing::warn!(host = %guid, error = %e, "cannot list the host's VMs");
            return;
        }
    };
    for vm in vms.iter().filter(|v| !running.contains(&v.instance_name)) {
        tracing::warn!(vm = %vm.instance_name, host = %guid, "the host does not run this VM: stopping it");
        let outcome = engine
            .sagas
            .exec
            .run::<StopVm>(
                engine,
                StopParams {
                    vm_id: vm.id,
                    force: true,
                },
                None,
            )
            .await;
        match outcome.map(|o| o.into_result()) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(vm = %vm.instance_name, error = %e, "stop failed"),
            Err(e) => tracing::warn!(vm = %vm.instance_name, error = %e, "stop failed"),
        }
    }
}
