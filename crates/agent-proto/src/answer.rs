//! What a host answers to a [`Command`](crate::Command): data on success, a typed
//! [`AgentError`] on failure.

use serde::{Deserialize, Serialize};

use crate::message::PowerState;

/// The outcome of one command.
pub type Answer = Result<AnswerData, AgentError>;

/// Successful answer data; which variant a command answers with is documented on the
/// command. Serialised with a `"kind"` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum AnswerData {
    /// Nothing to report beyond success.
    Done,
    HostStats(HostStats),
    Health {
        healthy: bool,
        #[serde(default)]
        detail: String,
    },
    Vm(VmInfo),
    VmStates {
        vms: Vec<VmStateReport>,
    },
    VmStats {
        vms: Vec<VmStats>,
    },
    Volume(VolumeInfo),
    Snapshot(SnapshotInfo),
    SnapshotBackup {
        /// Where the backup landed, relative to the image store root.
        path: String,
        size_bytes: u64,
    },
    Network {
        bridge: String,
    },
    Pool(PoolInfo),
}

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct AgentError {
    pub kind: ErrorKind,
    /// Human-readable, safe to show to an operator.
    pub message: String,
}

impl AgentError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidState, message)
    }

    pub fn insufficient_capacity(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InsufficientCapacity, message)
    }
}

/// Why a command failed; lets the orchestrator decide whether to retry elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A VM, volume, snapshot or pool the command names does not exist.
    NotFound,
    /// The command is malformed (bad size, bad name).
    InvalidArgument,
    /// The object is in a state that forbids the command (reboot a stopped VM).
    InvalidState,
    /// Not enough memory, CPU or storage on the host.
    InsufficientCapacity,
    /// The driver does not implement the command.
    Unsupported,
    /// The command did not finish within its `timeout_ms`.
    Timeout,
    /// The request names a host this connection does not serve.
    UnknownHost,
    /// The operation failed on the hypervisor (including simulated failures).
    Failed,
    /// An unexpected error inside the agent (including simulated faults).
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::InvalidArgument => "invalid argument",
            Self::InvalidState => "invalid state",
            Self::InsufficientCapacity => "insufficient capacity",
            Self::Unsupported => "unsupported",
            Self::Timeout => "timeout",
            Self::UnknownHost => "unknown host",
            Self::Failed => "failed",
            Self::Internal => "internal error",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Host figures (CloudStack's `GetHostStatsAnswer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostStats {
    pub cpu_total_mhz: u64,
    /// Sum of the running VMs' `cpus × cpu_speed_mhz`.
    pub cpu_allocated_mhz: u64,
    pub cpu_utilization_pct: f64,
    pub memory_total_bytes: u64,
    /// Memory of running VMs.
    pub memory_used_bytes: u64,
    pub running_vms: u32,
    pub local_storage_total_bytes: u64,
    pub local_storage_used_bytes: u64,
    pub network_rx_bytes: u64,
    pub network_tx_bytes: u64,
}

/// A VM as started on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmInfo {
    pub name: String,
    pub uuid: String,
    pub state: PowerState,
    pub host_guid: String,
    /// VNC console port on the host, if any.
    #[serde(default)]
    pub vnc_port: Option<u16>,
}

/// One entry of a `GetVmState` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmStateReport {
    pub name: String,
    /// Empty when the VM is `Missing`.
    #[serde(default)]
    pub uuid: String,
    pub state: PowerState,
}

/// One entry of a `GetVmStats` answer (CloudStack's `VmStatsEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VmStats {
    pub name: String,
    pub cpu_utilization_pct: f64,
    pub memory_bytes: u64,
    pub network_read_bytes: u64,
    pub network_write_bytes: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
}

/// A volume on a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeInfo {
    pub pool_uuid: String,
    pub volume_uuid: String,
    /// Path of the volume inside the pool.
    pub path: String,
    /// Virtual size.
    pub size_bytes: u64,
    /// `QCOW2`, `RAW`.
    pub format: String,
}

/// A snapshot on primary storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub snapshot_uuid: String,
    pub volume_uuid: String,
    pub path: String,
    pub size_bytes: u64,
}

/// A mounted pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInfo {
    pub pool_uuid: String,
    /// Where the pool is mounted on the host.
    pub local_path: String,
    pub capacity_bytes: u64,
    pub available_bytes: u64,
    /// Sum of the virtual sizes of its volumes.
    pub allocated_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip() -> Result<(), serde_json::Error> {
        let answers: Vec<Answer> = vec![
            Ok(AnswerData::Done),
            Ok(AnswerData::Network {
                bridge: "brvx-5001".into(),
            }),
            Err(AgentError::insufficient_capacity("no room")),
        ];
        for answer in answers {
            let json = serde_json::to_string(&answer)?;
            let back: Answer = serde_json::from_str(&json)?;
            assert_eq!(back, answer, "{json}");
        }
        let err = AgentError::not_found("VM i-1 is not on this host");
        assert_eq!(err.to_string(), "not found: VM i-1 is not on this host");
        Ok(())
    }
}
