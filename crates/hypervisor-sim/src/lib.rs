//! The Simulator hypervisor (CloudStack's `Simulator` hypervisor type): any number of
//! hosts kept in memory, with VMs, volumes, snapshots, pools and bridges that follow
//! real state transitions, capacity checks, and configurable faults and delays.
//!
//! - [`Simulator`]: the driver ([`strato_agent_proto::HypervisorDriver`]) plus the
//!   operations the management server needs around it (add hosts, mocks, inspection,
//!   out-of-band VM power changes).
//! - [`capacity`]: host sizes and CloudStack's `http://sim/...` URL overrides.
//! - [`mock`]: `configureSimulator` / `querySimulatorMock` / `cleanupSimulatorMock`
//!   semantics.
//!
//! The command handlers live in `host` (host-level and network commands), `vm` and
//! `storage`, all over the shared in-memory `state`.

pub mod capacity;
mod host;
pub mod mock;
mod simulator;
mod state;
mod storage;
mod vm;

pub use capacity::{CapacityError, HostCapacity, parse_sim_url};
pub use mock::{MockError, MockRecord, MockRule, MockScope};
pub use simulator::{SimHostSpec, Simulator};
