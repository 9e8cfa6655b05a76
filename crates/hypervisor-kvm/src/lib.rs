//! The KVM hypervisor driver: real guests under QEMU through libvirt.
//!
//! Always built (pure, no C library):
//! - [`host`]: CPU, memory, storage and address facts of the machine;
//! - [`accel`]: KVM or TCG, decided by pre-checks and a trial boot;
//! - [`qcow2`] and [`image`]: header parsing and the checks every image passes;
//! - [`qemu_img`]: `qemu-img` argument lists and runner;
//! - [`storage`]: primary storage pools (local and shared mount point directories),
//!   qcow2 volumes, linked clones and external snapshots;
//! - [`xml`]: libvirt domain and device XML, built from a `VmSpec`, and read back;
//! - [`network`]: bridge names and the `ip` commands that create them;
//! - [`router`]: each guest network's router (namespace, dnsmasq DHCP/DNS, source NAT).
//!
//! With the `kvm` feature (links libvirt): [`KvmDriver`], the
//! [`HypervisorDriver`](strato_agent_proto::HypervisorDriver) for one host (`driver`:
//! set-up, host description, state poller; `handlers`: one handler per command;
//! `vm`: the libvirt calls; `libvirt`: the connection; `migration`: live migration).

pub mod accel;
pub mod host;
pub mod image;
pub mod network;
pub mod qcow2;
pub mod qemu_img;
pub mod router;
pub mod storage;
pub mod xml;

#[cfg(feature = "kvm")]
mod driver;
#[cfg(feature = "kvm")]
mod handlers;
#[cfg(feature = "kvm")]
mod libvirt;
#[cfg(feature = "kvm")]
mod migration;
#[cfg(feature = "kvm")]
mod vm;

#[cfg(feature = "kvm")]
pub use driver::{KvmConfig, KvmDriver};

/// True when this build links libvirt (the `kvm` feature).
pub const BUILT_WITH_KVM: bool = cfg!(feature = "kvm");
