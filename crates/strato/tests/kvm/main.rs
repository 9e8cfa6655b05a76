//! The management server driving real guests: `strato quickstart --kvm` builds a zone
//! around this machine with a child `strato agent --driver kvm`, and the tests use the
//! API as a client would, checking what happened in libvirt, on the guests' serial
//! consoles and in the storage pool.
//!
//! Needs root, libvirtd, QEMU and qemu-img (scripts/setup-kvm-host.sh). Without them the
//! tests skip, or fail with STRATO_REQUIRE_KVM=1. Guests are TCG guests; tests run one at
//! a time (instance names are per server, and every server here names its first VM the
//! same way).
#![cfg(feature = "kvm")]

#[path = "../api/common.rs"]
mod common;
#[path = "../../../hypervisor-kvm/tests/common/mod.rs"]
mod host;

mod harness;

mod agent_restart;
mod console;
mod errors;
mod lifecycle;
mod prepare;
