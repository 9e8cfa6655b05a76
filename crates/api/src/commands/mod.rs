//! Declarations of the commands Strato implements, one module per resource.
//!
//! A declaration is the only place a command's parameters, roles and response are
//! written down; handlers live in `strato-engine` and are paired with these by the
//! registry there.

pub mod accounts;
pub mod affinity_groups;
pub mod alerts;
pub mod auth;
pub mod capacity;
pub mod clusters;
pub mod config;
pub mod console;
pub mod discovery;
pub mod disk_offerings;
pub mod domains;
pub mod events;
pub mod guest_os;
pub mod hosts;
pub mod hypervisors;
pub mod image_stores;
pub mod instance_groups;
pub mod jobs;
pub mod network_offerings;
pub mod networks;
pub mod nics;
pub mod physical_networks;
pub mod pods;
pub mod resource_limits;
pub mod roles;
pub mod service_offerings;
pub mod simulator;
pub mod snapshots;
pub mod ssh_keys;
pub mod storage_pools;
pub mod tags;
pub mod templates;
pub mod users;
pub mod vlan_ranges;
pub mod vm_ops;
pub mod vms;
pub mod volumes;
pub mod zones;

use crate::spec::{ParamSpec, ParamType::*};

/// `keyword`, `page`, `pagesize`: every list command has them.
pub const PAGING: &[ParamSpec] = &[
    ParamSpec::new(
        "keyword",
        String,
        "Only entries whose name contains this text",
    ),
    ParamSpec::new(
        "page",
        Integer,
        "Page number, starting at 1; needs pagesize",
    ),
    ParamSpec::new(
        "pagesize",
        Integer,
        "Entries per page (at most default.page.size; -1 for all)",
    ),
];

/// Owner scoping of list commands over account-owned resources.
pub const OWNER_SCOPE: &[ParamSpec] = &[
    ParamSpec::new(
        "account",
        String,
        "Owner account name; use together with domainid",
    ),
    ParamSpec::new("domainid", Uuid, "Only entries of this domain").related("listDomains"),
    ParamSpec::new(
        "isrecursive",
        Boolean,
        "With domainid: include the domain's sub-domains",
    ),
    ParamSpec::new(
        "listall",
        Boolean,
        "false (default): only the caller's own entries; true: everything the caller may see",
    ),
];
