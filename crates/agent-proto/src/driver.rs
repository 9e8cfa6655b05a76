//! The boundary between the agent and a hypervisor backend.
//!
//! Every backend (the in-memory simulator, KVM through libvirt) implements
//! [`HypervisorDriver`]; the agent's session loop ([`crate::client::serve`]) knows only
//! this trait. A driver may serve many hosts (the simulator runs thousands in one
//! process), so every call names the host.
//!
//! The trait is object-safe (`Arc<dyn HypervisorDriver>`), which is why `handle` returns
//! a boxed future instead of being an `async fn`.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::broadcast;

use crate::answer::Answer;
use crate::command::Command;
use crate::message::{HostEvent, HostInfo, HypervisorType};

/// A boxed, sendable future (what `async fn` in an object-safe trait desugars to).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An unsolicited event from a driver, for one of its hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverEvent {
    pub host_guid: String,
    pub event: HostEvent,
}

/// A hypervisor backend serving one or more hosts.
pub trait HypervisorDriver: Send + Sync {
    /// The hypervisor type the hosts report.
    fn hypervisor(&self) -> HypervisorType;

    /// The current description of one host, or `None` if the driver does not serve it.
    fn host_info(&self, host_guid: &str) -> Option<HostInfo>;

    /// Runs one command on one host. Must be idempotent (see [`Command`]); must answer
    /// [`ErrorKind::UnknownHost`](crate::ErrorKind::UnknownHost) for a host it does not
    /// serve. The caller enforces the request timeout by dropping the future, so
    /// implementations must leave consistent state at every `.await`.
    fn handle<'a>(&'a self, host_guid: &'a str, command: Command) -> BoxFuture<'a, Answer>;

    /// Subscribes to events of all the driver's hosts (VMs that changed state behind the
    /// server's back). A driver without events returns a receiver whose sender is gone.
    fn subscribe(&self) -> broadcast::Receiver<DriverEvent>;
}
