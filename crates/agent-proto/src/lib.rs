//! The Strato agent protocol: what a host agent and the management server say to each
//! other, and how.
//!
//! Both sides depend on this crate only, so they cannot drift apart:
//!
//! - [`frame`]: 4-byte big-endian length + JSON body, at most [`MAX_FRAME_LEN`] bytes.
//! - [`message`]: the envelopes ([`AgentMessage`], [`ServerMessage`]), the handshake
//!   ([`Hello`], [`Welcome`]) and the host description ([`HostInfo`]).
//! - [`command`] and [`answer`]: the typed, idempotent [`Command`]s the server sends to a
//!   host and the [`Answer`] each gets back.
//! - [`driver`]: the [`HypervisorDriver`] trait every hypervisor backend implements
//!   (simulator, KVM).
//! - [`conn`]: a transport-agnostic [`Connection`] over any `AsyncRead + AsyncWrite`
//!   (TCP, TLS, or an in-memory pipe for in-process simulated hosts).
//! - [`server`]: the management-server side: [`server::accept`] / [`server::read_hello`]
//!   perform the handshake; [`ServerSession`] sends requests and matches answers.
//! - [`tls`]: TLS for the agent port (rustls, `ring` provider): server acceptor from a
//!   PEM certificate and key, agent connector verifying the server against a PEM CA.
//! - [`client`]: the agent side: [`client::handshake`] and [`client::serve`], which runs
//!   a driver behind a connection until it drops.
//!
//! `docs/agent-protocol.md` describes the protocol in prose.

pub mod answer;
pub mod client;
pub mod command;
pub mod conn;
pub mod driver;
pub mod frame;
pub mod message;
pub mod server;
pub mod tls;

pub use answer::{
    AgentError, Answer, AnswerData, ErrorKind, HostStats, PoolInfo, SnapshotInfo, VmInfo,
    VmStateReport, VmStats, VolumeInfo,
};
pub use command::{
    BootDevice, Command, DhcpSpec, DiskKind, DiskSource, DiskSpec, IsoRef, Isolation, NetworkSpec,
    NicSpec, PoolKind, PoolSpec, Provisioning, TemplateRef, VmSpec, VolumeMigration, VolumeRef,
};
pub use conn::{ConnReader, ConnWriter, Connection, memory_pair};
pub use driver::{BoxFuture, DriverEvent, HypervisorDriver};
pub use frame::{FrameError, MAX_FRAME_LEN};
pub use message::{
    AgentMessage, Hello, HostAccepted, HostEvent, HostInfo, HostNetwork, HostRefused,
    HypervisorType, PROTOCOL_VERSION, Placement, PowerState, Request, ServerMessage, Welcome,
};
pub use server::{
    AcceptOptions, Accepted, CallError, DisconnectReason, HandshakeError, PendingAgent,
    ServerSession, SessionEvent, SessionOptions,
};
