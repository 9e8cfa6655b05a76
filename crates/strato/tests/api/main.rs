//! API tests: every test starts a management server in-process on a fresh database and
//! talks to it over HTTP, as a client would.

mod common;

mod access;
mod agent_tls;
mod auth;
mod bad_input;
mod cli;
mod compat;
mod conformance;
mod console;
mod crash;
mod envelopes;
mod events;
mod host_maintenance;
mod hosts;
mod identity;
mod integration_port;
mod inventory;
mod jobs;
mod keys_tags_groups;
mod limits;
mod migrate_with_volume;
mod networks;
mod networks_guest;
mod offerings;
mod prepare_template;
mod quickstart;
mod simulator;
mod snapshots;
mod storage;
mod templates;
mod vm_affinity;
mod vm_basic_zone;
mod vm_credentials;
mod vm_isolation;
mod vm_isos;
mod vm_lifecycle;
mod vm_lifecycle_sagas;
mod vm_nics;
mod vm_sagas;
mod vms;
mod volume_sagas;
mod volume_transfer;
mod volumes;
