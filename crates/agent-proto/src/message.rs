//! The envelopes exchanged on an agent connection, the handshake and the host
//! description.
//!
//! Every frame carries one [`AgentMessage`] (agent → server) or one [`ServerMessage`]
//! (server → agent), tagged by a `"type"` field. Fields added within a protocol version
//! are optional (`#[serde(default)]`) and unknown fields are ignored, so a newer peer can
//! talk to an older one; anything incompatible bumps [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::command::Command;

/// Version of this protocol. The server refuses a `Hello` carrying another version.
pub const PROTOCOL_VERSION: u32 = 1;

/// Agent → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AgentMessage {
    /// First message on a connection: who the agent is and which hosts it serves.
    Hello(Hello),
    /// Liveness for every host of the connection, sent every `ping_interval_secs`.
    Ping { seq: u64 },
    /// The answer to the [`Request`] with the same id.
    Response { id: u64, answer: Answer },
    /// Something changed on a host without the server asking (e.g. a VM powered off).
    HostEvent { host_guid: String, event: HostEvent },
    /// The agent is stopping on purpose (CloudStack's `ShutdownCommand`); the connection
    /// closes next. Lets the server tell a clean stop from a crash.
    Shutdown { reason: String },
}

/// Server → agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    /// The handshake succeeded (for some or all hosts of the `Hello`).
    Welcome(Welcome),
    /// The handshake failed; the server closes the connection after sending this.
    Refused { reason: String },
    /// Acknowledges a `Ping`, so the agent can notice a dead server.
    Pong { seq: u64 },
    /// A command for one host.
    Request(Request),
}

/// The agent's opening message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Must equal [`PROTOCOL_VERSION`].
    pub version: u32,
    /// The agent registration token (`--token`).
    pub token: String,
    /// The agent software version, for display.
    pub agent_version: String,
    /// Every host this connection serves (one for a KVM agent, thousands for a
    /// simulator process).
    pub hosts: Vec<HostInfo>,
}

/// The server's answer to a successful handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    /// How often the agent must send a `Ping`, in seconds.
    pub ping_interval_secs: u64,
    /// The hosts the server accepted; only these may receive requests.
    pub hosts: Vec<HostAccepted>,
    /// Hosts of the `Hello` the server did not accept, and why.
    #[serde(default)]
    pub refused: Vec<HostRefused>,
    /// The server software version, for display.
    #[serde(default)]
    pub server_version: String,
}

/// One accepted host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostAccepted {
    pub guid: String,
    /// The server's id for the host (a UUID string, `listHosts`' `id`).
    pub host_id: String,
    /// A per-host token the agent keeps and presents as [`HostInfo::host_token`] when
    /// it reconnects.
    pub token: String,
}

/// One refused host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRefused {
    pub guid: String,
    pub reason: String,
}

/// A command for one host of the connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Unique per connection; the agent echoes it in its `Response`.
    pub id: u64,
    pub host_guid: String,
    /// How long the server waits; the agent gives up (answering a timeout error) after
    /// the same time.
    pub timeout_ms: u64,
    pub command: Command,
}

/// The hypervisor a host runs (CloudStack's `hypervisor` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HypervisorType {
    Simulator,
    #[serde(rename = "KVM")]
    Kvm,
}

impl HypervisorType {
    /// The name CloudStack uses in `listHosts` and `addCluster`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "Simulator",
            Self::Kvm => "KVM",
        }
    }
}

impl std::fmt::Display for HypervisorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the agent was told its host belongs (`--zone-id` etc.); the server's records win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    #[serde(default)]
    pub zone_id: Option<String>,
    #[serde(default)]
    pub pod_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
}

/// What an agent announces about a host (CloudStack's `StartupRoutingCommand`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// Stable identity across agent restarts.
    pub guid: String,
    pub name: String,
    pub hypervisor: HypervisorType,
    pub hypervisor_version: String,
    pub cpu_sockets: u32,
    /// Logical CPU cores.
    pub cpus: u32,
    pub cpu_speed_mhz: u64,
    pub memory_bytes: u64,
    pub local_storage_bytes: u64,
    /// `x86_64`, `aarch64`.
    pub arch: String,
    pub private_ip: String,
    #[serde(default)]
    pub private_netmask: Option<String>,
    #[serde(default)]
    pub private_mac: Option<String>,
    /// Bridges and interfaces the host offers for traffic.
    #[serde(default)]
    pub networks: Vec<HostNetwork>,
    #[serde(default)]
    pub placement: Placement,
    /// The token from an earlier [`HostAccepted`], if the agent has one.
    #[serde(default)]
    pub host_token: Option<String>,
    /// Free-form capability flags (`hvm`, `snapshot`, ...).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// A bridge or interface on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostNetwork {
    /// Bridge or interface name (`cloudbr0`).
    pub name: String,
    /// Traffic label it carries, if known (`Management`, `Guest`, `Public`, `Storage`).
    #[serde(default)]
    pub traffic: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

/// Power state of a VM as a host sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerState {
    Running,
    Stopped,
    /// The host does not know the VM.
    Missing,
    /// The host cannot tell (a driver error).
    Unknown,
}

/// An unsolicited event about a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum HostEvent {
    /// A VM changed power state behind the server's back (crashed, shut down from
    /// inside, powered on by hand).
    VmPowerChanged { vm_name: String, state: PowerState },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::AnswerData;

    #[test]
    fn messages_are_tagged_by_type() -> Result<(), serde_json::Error> {
        let ping = serde_json::to_value(AgentMessage::Ping { seq: 3 })?;
        assert_eq!(ping, serde_json::json!({"type": "Ping", "seq": 3}));
        let resp = serde_json::to_value(AgentMessage::Response {
            id: 9,
            answer: Ok(AnswerData::Done),
        })?;
        assert_eq!(
            resp,
            serde_json::json!({"type": "Response", "id": 9, "answer": {"Ok": {"kind": "Done"}}})
        );
        let kvm = serde_json::to_value(HypervisorType::Kvm)?;
        assert_eq!(kvm, serde_json::json!("KVM"));
        Ok(())
    }

    #[test]
    fn optional_fields_may_be_absent_and_unknown_ones_are_ignored() -> Result<(), serde_json::Error>
    {
        let welcome: ServerMessage = serde_json::from_value(serde_json::json!({
            "type": "Welcome",
            "ping_interval_secs": 60,
            "hosts": [{"guid": "g", "host_id": "h", "token": "t"}],
            "a_field_from_the_future": true
        }))?;
        let ServerMessage::Welcome(welcome) = welcome else {
            panic!("not a welcome: {welcome:?}");
        };
        assert!(welcome.refused.is_empty());
        assert_eq!(welcome.hosts[0].host_id, "h");
        Ok(())
    }
}
