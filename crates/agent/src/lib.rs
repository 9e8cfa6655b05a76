//! The Strato host agent (`strato agent`): connects out to a management server, announces
//! its hosts, pings, and runs the server's commands through a hypervisor driver.
//!
//! - [`args`]: the command line ([`AgentArgs`]).
//! - [`state`]: the state directory that keeps host guids (and the server's per-host
//!   tokens) across restarts, so a restarted agent comes back as the same hosts.
//! - [`backoff`]: jittered exponential reconnect delays.
//! - [`runner`]: [`run`] / [`run_until`]: connect to the first reachable server, serve,
//!   reconnect forever; fail fast with a clear error only at first start.
//!
//! The protocol itself (handshake, serving requests, pings) is
//! `strato_agent_proto::client`, shared with the in-process simulated hosts of the
//! management server.

pub mod args;
pub mod backoff;
pub mod runner;
pub mod state;

pub use args::{AgentArgs, DriverKind, KvmAccel, KvmArgs};
pub use runner::{run, run_until};
