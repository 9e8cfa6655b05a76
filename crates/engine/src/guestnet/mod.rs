//! Guest networks: creating them, implementing them (guest VLAN/VNI and source NAT
//! address) and shutting them down, the default network of a deploy, and the NICs that
//! attach instances to them with their addresses (IPAM).
//!
//! States follow CloudStack: a network is `Allocated` when created (nothing reserved),
//! `Implemented` once its VLAN/VNI (and, for Isolated networks with source NAT, a public
//! address) is reserved — on its first VM's deploy, or at once for Shared networks — and
//! `Destroy` when deleted. `shutdown_network` takes an Implemented network back to
//! Allocated (the undo of `implement_network`).
//!
//! Every function takes a `Conn`: run them inside a transaction (`store.begin()`) so that
//! what they reserve commits together. They never leave a transaction unusable: conflicts
//! with concurrent writers are retried, not raised as database errors.

mod addressing;
mod checks;
mod create;
mod deploy;
mod ipam;
mod lifecycle;
mod permissions;
mod source_nat;
mod view;
mod vnet;

use strato_common::{ApiError, ErrorCode};

pub use addressing::{IpInput, IpPlan, check_network_domain};
pub use create::{NetworkOwner, NewGuestNetwork, check_untagged_subnet, create_network};
pub use deploy::{DefaultNetwork, default_network_for_deploy, find_default_network, planned_range};
pub use ipam::{
    addresses_in_use, allocate_nic, check_address, check_planned_address, nics_of, release_nics,
    reserve_nics,
};
pub use lifecycle::{destroy_network, implement_network, shutdown_network};
pub use permissions::{check_network_admin, check_network_use};
pub use view::{network_obj, nic_obj};

pub const ALLOCATED: &str = "Allocated";
pub const IMPLEMENTED: &str = "Implemented";
/// CloudStack's state for networks set up outside its control; treated as live.
pub const SETUP: &str = "Setup";
pub const DESTROY: &str = "Destroy";

pub const ISOLATED: &str = "Isolated";
pub const SHARED: &str = "Shared";
pub const L2: &str = "L2";

/// States in which a network can carry VMs.
pub const LIVE_STATES: &[&str] = &[ALLOCATED, IMPLEMENTED, SETUP];

/// cserrorcode of CloudStack's `InsufficientAddressCapacityException`.
const CS_INSUFFICIENT_ADDRESS_CAPACITY: i32 = 4320;
/// cserrorcode of CloudStack's `InsufficientVirtualNetworkCapacityException`.
const CS_INSUFFICIENT_VNET_CAPACITY: i32 = 4331;

/// 533: no address left (guest or public).
fn insufficient_address_capacity(text: impl Into<String>) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientCapacity,
        Some(CS_INSUFFICIENT_ADDRESS_CAPACITY),
        text,
    )
}

/// 533: no guest VLAN/VNI left on the physical network.
fn insufficient_vnet_capacity(text: impl Into<String>) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientCapacity,
        Some(CS_INSUFFICIENT_VNET_CAPACITY),
        text,
    )
}

/// How many times a conflict with concurrent writers is retried before giving up.
const MAX_ATTEMPTS: usize = 1000;
