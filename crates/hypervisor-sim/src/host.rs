//! Host-level commands (ready, stats, health, maintenance) and network set-up.

use strato_agent_proto::{AgentError, Answer, AnswerData, HostStats, Isolation, NetworkSpec};

use crate::state::State;

/// Interface used for VLAN/untagged bridges when the spec names none.
const DEFAULT_INTERFACE: &str = "eth0";

/// The bridge a network uses: the spec's, or CloudStack KVM's naming (`brvx-<vni>`,
/// `br<interface>-<vlan>`), or `cloudbr0` for untagged traffic.
pub(crate) fn bridge_name(spec: &NetworkSpec) -> String {
    if let Some(bridge) = &spec.bridge {
        return bridge.clone();
    }
    let dev = spec
        .physical_interface
        .as_deref()
        .unwrap_or(DEFAULT_INTERFACE);
    match spec.isolation {
        Isolation::Untagged => "cloudbr0".to_owned(),
        Isolation::Vlan { id } => format!("br{dev}-{id}"),
        Isolation::Vxlan { vni } => format!("brvx-{vni}"),
    }
}

pub(crate) fn ready(state: &State, host: &str) -> Answer {
    state.host(host)?;
    Ok(AnswerData::Done)
}

pub(crate) fn health(state: &State, host: &str) -> Answer {
    state.host(host)?;
    Ok(AnswerData::Health {
        healthy: true,
        detail: "simulated host".into(),
    })
}

pub(crate) fn stats(state: &State, host: &str) -> Answer {
    let h = state.host(host)?;
    let cpu_total_mhz = u64::from(h.info.cpus) * h.info.cpu_speed_mhz;
    let cpu_allocated_mhz = h
        .running()
        .map(|(_, vm)| u64::from(vm.spec.cpus) * vm.spec.cpu_speed_mhz)
        .sum();
    let local_storage_used_bytes = state
        .pools
        .values()
        .filter(|p| p.owner.as_deref() == Some(host))
        .flat_map(|p| p.volumes.values())
        .map(|v| v.size_bytes)
        .sum();
    Ok(AnswerData::HostStats(HostStats {
        cpu_total_mhz,
        cpu_allocated_mhz,
        cpu_utilization_pct: 0.0,
        memory_total_bytes: h.info.memory_bytes,
        memory_used_bytes: h.memory_used(None),
        running_vms: u32::try_from(h.running().count()).unwrap_or(u32::MAX),
        local_storage_total_bytes: h.info.local_storage_bytes,
        local_storage_used_bytes,
        network_rx_bytes: 0,
        network_tx_bytes: 0,
    }))
}

pub(crate) fn setup_network(state: &mut State, host: &str, spec: &NetworkSpec) -> Answer {
    match spec.isolation {
        Isolation::Vlan { id } if !(1..=4094).contains(&id) => {
            return Err(AgentError::invalid_argument(format!(
                "VLAN id {id} is outside 1-4094"
            )));
        }
        Isolation::Vxlan { vni } if !(1..=16_777_215).contains(&vni) => {
            return Err(AgentError::invalid_argument(format!(
                "VXLAN id {vni} is outside 1-16777215"
            )));
        }
        _ => {}
    }
    let bridge = bridge_name(spec);
    state.host_mut(host)?.bridges.insert(bridge.clone());
    Ok(AnswerData::Network { bridge })
}
