//! The command registry: every implemented command, its declaration and its handler.
//! A command is implemented exactly when it is listed here; nothing else is exposed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use strato_api::commands as api;
use strato_api::params::Args;
use strato_api::response::Reply;
use strato_api::spec::CommandSpec;
use strato_common::ApiError;

use crate::Ctx;
use crate::handlers as h;

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send>>;

#[derive(Clone, Copy)]
pub enum Handler {
    Run(fn(Ctx, Args) -> HandlerFuture),
    /// login/logout: session handling belongs to the HTTP layer.
    Authenticator,
}

#[derive(Clone, Copy)]
pub struct Command {
    pub spec: &'static CommandSpec,
    pub handler: Handler,
}

/// Pairs a declaration with an `async fn(Ctx, Args) -> Result<Reply, ApiError>`.
macro_rules! cmd {
    ($spec:path, $f:path) => {
        Command {
            spec: &$spec,
            handler: Handler::Run(|ctx, args| Box::pin($f(ctx, args))),
        }
    };
}

fn all() -> Vec<Command> {
    vec![
        Command {
            spec: &api::auth::LOGIN,
            handler: Handler::Authenticator,
        },
        Command {
            spec: &api::auth::LOGOUT,
            handler: Handler::Authenticator,
        },
        cmd!(api::discovery::LIST_APIS, h::discovery::list_apis),
        cmd!(
            api::console::CREATE_CONSOLE_ENDPOINT,
            crate::console::create_console_endpoint
        ),
        cmd!(
            api::vms::DEPLOY_VIRTUAL_MACHINE,
            crate::vms::deploy::deploy_virtual_machine
        ),
        cmd!(
            api::vms::LIST_VIRTUAL_MACHINES,
            crate::vms::view::list_virtual_machines
        ),
        cmd!(api::nics::LIST_NICS, crate::vms::nic_view::list_nics),
        cmd!(
            api::vms::START_VIRTUAL_MACHINE,
            crate::vms::power::start_virtual_machine
        ),
        cmd!(
            api::vms::STOP_VIRTUAL_MACHINE,
            crate::vms::power::stop_virtual_machine
        ),
        cmd!(
            api::vms::REBOOT_VIRTUAL_MACHINE,
            crate::vms::power::reboot_virtual_machine
        ),
        cmd!(
            api::vms::DESTROY_VIRTUAL_MACHINE,
            crate::vms::destroy::destroy_virtual_machine
        ),
        cmd!(
            api::vms::RECOVER_VIRTUAL_MACHINE,
            crate::vms::destroy::recover_virtual_machine
        ),
        cmd!(
            api::vms::EXPUNGE_VIRTUAL_MACHINE,
            crate::vms::destroy::expunge_virtual_machine
        ),
        cmd!(
            api::vms::MIGRATE_VIRTUAL_MACHINE,
            crate::vms::migrate::migrate_virtual_machine
        ),
        cmd!(
            api::vms::MIGRATE_VIRTUAL_MACHINE_WITH_VOLUME,
            crate::vms::migrate_with_volume::migrate_virtual_machine_with_volume
        ),
        cmd!(
            api::vms::FIND_HOSTS_FOR_MIGRATION,
            crate::vms::migrate::find_hosts_for_migration
        ),
        cmd!(
            api::vms::CHANGE_SERVICE_FOR_VIRTUAL_MACHINE,
            crate::vms::offering::change_service_for_virtual_machine
        ),
        cmd!(
            api::vms::UPDATE_VIRTUAL_MACHINE,
            crate::vms::view::update_virtual_machine
        ),
        cmd!(
            api::volumes::CREATE_VOLUME,
            crate::volumes::create::create_volume
        ),
        cmd!(
            api::volumes::ATTACH_VOLUME,
            crate::volumes::attach::attach_volume
        ),
        cmd!(
            api::volumes::DETACH_VOLUME,
            crate::volumes::detach::detach_volume
        ),
        cmd!(
            api::volumes::RESIZE_VOLUME,
            crate::volumes::resize::resize_volume
        ),
        cmd!(
            api::volumes::MIGRATE_VOLUME,
            crate::volumes::migrate::migrate_volume
        ),
        cmd!(
            api::volumes::DELETE_VOLUME,
            crate::volumes::delete::delete_volume
        ),
        cmd!(
            api::volumes::DESTROY_VOLUME,
            crate::volumes::delete::destroy_volume
        ),
        cmd!(
            api::volumes::RECOVER_VOLUME,
            crate::volumes::delete::recover_volume
        ),
        cmd!(
            api::volumes::LIST_VOLUMES,
            crate::volumes::view::list_volumes
        ),
        cmd!(
            api::volumes::UPLOAD_VOLUME,
            crate::volumes::upload::upload_volume
        ),
        cmd!(
            api::volumes::GET_UPLOAD_PARAMS_FOR_VOLUME,
            crate::volumes::upload::get_upload_params_for_volume
        ),
        cmd!(
            api::volumes::EXTRACT_VOLUME,
            crate::volumes::extract::extract_volume
        ),
        cmd!(
            api::snapshots::CREATE_SNAPSHOT,
            crate::snapshots::create::create_snapshot
        ),
        cmd!(
            api::snapshots::LIST_SNAPSHOTS,
            crate::snapshots::view::list_snapshots
        ),
        cmd!(
            api::snapshots::DELETE_SNAPSHOT,
            crate::snapshots::manage::delete_snapshot
        ),
        cmd!(
            api::snapshots::REVERT_SNAPSHOT,
            crate::snapshots::manage::revert_snapshot
        ),
        cmd!(
            api::snapshots::CREATE_TEMPLATE,
            crate::snapshots::template::create_template
        ),
        cmd!(
            api::snapshots::CREATE_SNAPSHOT_POLICY,
            crate::snapshots::policy::create_snapshot_policy
        ),
        cmd!(
            api::snapshots::LIST_SNAPSHOT_POLICIES,
            crate::snapshots::policy::list_snapshot_policies
        ),
        cmd!(
            api::snapshots::UPDATE_SNAPSHOT_POLICY,
            crate::snapshots::policy::update_snapshot_policy
        ),
        cmd!(
            api::snapshots::DELETE_SNAPSHOT_POLICIES,
            crate::snapshots::policy::delete_snapshot_policies
        ),
        cmd!(
            api::snapshots::CREATE_VM_SNAPSHOT,
            crate::snapshots::vm_snapshots::create_vm_snapshot
        ),
        cmd!(
            api::snapshots::LIST_VM_SNAPSHOT,
            crate::snapshots::vm_snapshots::list_vm_snapshot
        ),
        cmd!(
            api::snapshots::REVERT_TO_VM_SNAPSHOT,
            crate::snapshots::vm_snapshots::revert_to_vm_snapshot
        ),
        cmd!(
            api::snapshots::DELETE_VM_SNAPSHOT,
            crate::snapshots::vm_snapshots::delete_vm_snapshot
        ),
        cmd!(
            api::templates::REGISTER_TEMPLATE,
            h::templates::register_template
        ),
        cmd!(api::templates::REGISTER_ISO, h::templates::register_iso),
        cmd!(
            api::templates::GET_UPLOAD_PARAMS_FOR_TEMPLATE,
            h::template_upload::get_upload_params_for_template
        ),
        cmd!(
            api::templates::GET_UPLOAD_PARAMS_FOR_ISO,
            h::template_upload::get_upload_params_for_iso
        ),
        cmd!(
            api::templates::LIST_TEMPLATES,
            h::template_view::list_templates
        ),
        cmd!(api::templates::LIST_ISOS, h::template_view::list_isos),
        cmd!(
            api::templates::UPDATE_TEMPLATE,
            h::templates::update_template
        ),
        cmd!(api::templates::UPDATE_ISO, h::templates::update_iso),
        cmd!(
            api::templates::DELETE_TEMPLATE,
            h::templates::delete_template
        ),
        cmd!(api::templates::DELETE_ISO, h::templates::delete_iso),
        cmd!(
            api::templates::PREPARE_TEMPLATE,
            crate::images::prepare::prepare_template
        ),
        cmd!(api::templates::COPY_TEMPLATE, h::templates::copy_template),
        cmd!(api::templates::COPY_ISO, h::templates::copy_iso),
        cmd!(
            api::templates::EXTRACT_TEMPLATE,
            h::template_access::extract_template
        ),
        cmd!(api::templates::EXTRACT_ISO, h::template_access::extract_iso),
        cmd!(
            api::templates::UPDATE_TEMPLATE_PERMISSIONS,
            h::template_access::update_template_permissions
        ),
        cmd!(
            api::templates::UPDATE_ISO_PERMISSIONS,
            h::template_access::update_iso_permissions
        ),
        cmd!(
            api::templates::LIST_TEMPLATE_PERMISSIONS,
            h::template_access::list_template_permissions
        ),
        cmd!(
            api::templates::LIST_ISO_PERMISSIONS,
            h::template_access::list_iso_permissions
        ),
        cmd!(
            api::jobs::QUERY_ASYNC_JOB_RESULT,
            h::jobs::query_async_job_result
        ),
        cmd!(api::jobs::LIST_ASYNC_JOBS, h::jobs::list_async_jobs),
        cmd!(api::domains::CREATE_DOMAIN, h::domains::create_domain),
        cmd!(api::domains::LIST_DOMAINS, h::domains::list_domains),
        cmd!(
            api::domains::LIST_DOMAIN_CHILDREN,
            h::domains::list_domain_children
        ),
        cmd!(api::domains::UPDATE_DOMAIN, h::domains::update_domain),
        cmd!(api::domains::DELETE_DOMAIN, h::domains::delete_domain),
        cmd!(api::accounts::CREATE_ACCOUNT, h::accounts::create_account),
        cmd!(api::accounts::LIST_ACCOUNTS, h::accounts::list_accounts),
        cmd!(api::accounts::UPDATE_ACCOUNT, h::accounts::update_account),
        cmd!(api::accounts::ENABLE_ACCOUNT, h::accounts::enable_account),
        cmd!(api::accounts::DISABLE_ACCOUNT, h::accounts::disable_account),
        cmd!(api::accounts::LOCK_ACCOUNT, h::accounts::lock_account),
        cmd!(api::accounts::DELETE_ACCOUNT, h::accounts::delete_account),
        cmd!(
            api::resource_limits::LIST_RESOURCE_LIMITS,
            h::resource_limits::list_resource_limits
        ),
        cmd!(
            api::resource_limits::UPDATE_RESOURCE_LIMIT,
            h::resource_limits::update_resource_limit
        ),
        cmd!(
            api::resource_limits::UPDATE_RESOURCE_COUNT,
            h::resource_limits::update_resource_count
        ),
        cmd!(api::users::CREATE_USER, h::users::create_user),
        cmd!(api::users::LIST_USERS, h::users::list_users),
        cmd!(api::users::UPDATE_USER, h::users::update_user),
        cmd!(api::users::DELETE_USER, h::users::delete_user),
        cmd!(api::users::ENABLE_USER, h::users::enable_user),
        cmd!(api::users::DISABLE_USER, h::users::disable_user),
        cmd!(api::users::LOCK_USER, h::users::lock_user),
        cmd!(api::users::REGISTER_USER_KEYS, h::users::register_user_keys),
        cmd!(api::users::GET_USER_KEYS, h::users::get_user_keys),
        cmd!(api::users::GET_USER, h::users::get_user),
        cmd!(api::roles::LIST_ROLES, h::roles::list_roles),
        cmd!(api::roles::CREATE_ROLE, h::roles::create_role),
        cmd!(api::roles::UPDATE_ROLE, h::roles::update_role),
        cmd!(api::roles::DELETE_ROLE, h::roles::delete_role),
        cmd!(api::roles::ENABLE_ROLE, h::roles::enable_role),
        cmd!(api::roles::DISABLE_ROLE, h::roles::disable_role),
        cmd!(
            api::roles::LIST_ROLE_PERMISSIONS,
            h::roles::list_role_permissions
        ),
        cmd!(
            api::roles::CREATE_ROLE_PERMISSION,
            h::roles::create_role_permission
        ),
        cmd!(
            api::roles::UPDATE_ROLE_PERMISSION,
            h::roles::update_role_permission
        ),
        cmd!(
            api::roles::DELETE_ROLE_PERMISSION,
            h::roles::delete_role_permission
        ),
        cmd!(api::events::LIST_EVENTS, h::events::list_events),
        cmd!(api::events::LIST_EVENT_TYPES, h::events::list_event_types),
        cmd!(api::events::ARCHIVE_EVENTS, h::events::archive_events),
        cmd!(api::events::DELETE_EVENTS, h::events::delete_events),
        cmd!(
            api::config::LIST_CONFIGURATIONS,
            h::config::list_configurations
        ),
        cmd!(
            api::config::UPDATE_CONFIGURATION,
            h::config::update_configuration
        ),
        cmd!(
            api::config::RESET_CONFIGURATION,
            h::config::reset_configuration
        ),
        cmd!(api::config::LIST_CAPABILITIES, h::config::list_capabilities),
        cmd!(api::zones::CREATE_ZONE, h::zones::create_zone),
        cmd!(api::zones::LIST_ZONES, h::zones::list_zones),
        cmd!(api::zones::UPDATE_ZONE, h::zones::update_zone),
        cmd!(api::zones::DELETE_ZONE, h::zones::delete_zone),
        cmd!(api::pods::CREATE_POD, h::pods::create_pod),
        cmd!(api::pods::LIST_PODS, h::pods::list_pods),
        cmd!(api::pods::UPDATE_POD, h::pods::update_pod),
        cmd!(api::pods::DELETE_POD, h::pods::delete_pod),
        cmd!(api::clusters::ADD_CLUSTER, h::clusters::add_cluster),
        cmd!(api::clusters::LIST_CLUSTERS, h::clusters::list_clusters),
        cmd!(api::clusters::UPDATE_CLUSTER, h::clusters::update_cluster),
        cmd!(api::clusters::DELETE_CLUSTER, h::clusters::delete_cluster),
        cmd!(api::hosts::ADD_HOST, h::hosts::add_host),
        cmd!(api::hosts::LIST_HOSTS, h::hosts::list_hosts),
        cmd!(api::hosts::UPDATE_HOST, h::hosts::update_host),
        cmd!(api::hosts::DELETE_HOST, h::hosts::delete_host),
        cmd!(
            api::hosts::PREPARE_HOST_FOR_MAINTENANCE,
            h::hosts::prepare_host_for_maintenance
        ),
        cmd!(
            api::hosts::CANCEL_HOST_MAINTENANCE,
            h::hosts::cancel_host_maintenance
        ),
        cmd!(api::hosts::RECONNECT_HOST, h::hosts::reconnect_host),
        cmd!(api::hosts::LIST_HOST_TAGS, h::hosts::list_host_tags),
        cmd!(
            api::hosts::UPDATE_HOST_PASSWORD,
            h::hosts::update_host_password
        ),
        cmd!(
            api::physical_networks::CREATE_PHYSICAL_NETWORK,
            h::physical_networks::create_physical_network
        ),
        cmd!(
            api::physical_networks::LIST_PHYSICAL_NETWORKS,
            h::physical_networks::list_physical_networks
        ),
        cmd!(
            api::physical_networks::UPDATE_PHYSICAL_NETWORK,
            h::physical_networks::update_physical_network
        ),
        cmd!(
            api::physical_networks::DELETE_PHYSICAL_NETWORK,
            h::physical_networks::delete_physical_network
        ),
        cmd!(
            api::physical_networks::ADD_TRAFFIC_TYPE,
            h::physical_networks::add_traffic_type
        ),
        cmd!(
            api::physical_networks::UPDATE_TRAFFIC_TYPE,
            h::physical_networks::update_traffic_type
        ),
        cmd!(
            api::physical_networks::DELETE_TRAFFIC_TYPE,
            h::physical_networks::delete_traffic_type
        ),
        cmd!(
            api::physical_networks::LIST_TRAFFIC_TYPES,
            h::physical_networks::list_traffic_types
        ),
        cmd!(
            api::physical_networks::LIST_NETWORK_SERVICE_PROVIDERS,
            h::physical_networks::list_network_service_providers
        ),
        cmd!(
            api::physical_networks::ADD_NETWORK_SERVICE_PROVIDER,
            h::physical_networks::add_network_service_provider
        ),
        cmd!(
            api::physical_networks::UPDATE_NETWORK_SERVICE_PROVIDER,
            h::physical_networks::update_network_service_provider
        ),
        cmd!(
            api::physical_networks::DELETE_NETWORK_SERVICE_PROVIDER,
            h::physical_networks::delete_network_service_provider
        ),
        cmd!(
            api::physical_networks::LIST_VIRTUAL_ROUTER_ELEMENTS,
            h::physical_networks::list_virtual_router_elements
        ),
        cmd!(
            api::physical_networks::CONFIGURE_VIRTUAL_ROUTER_ELEMENT,
            h::physical_networks::configure_virtual_router_element
        ),
        cmd!(
            api::physical_networks::LIST_INTERNAL_LOAD_BALANCER_ELEMENTS,
            h::physical_networks::list_internal_load_balancer_elements
        ),
        cmd!(
            api::physical_networks::CONFIGURE_INTERNAL_LOAD_BALANCER_ELEMENT,
            h::physical_networks::configure_internal_load_balancer_element
        ),
        cmd!(
            api::vlan_ranges::CREATE_VLAN_IP_RANGE,
            h::vlan_ranges::create_vlan_ip_range
        ),
        cmd!(
            api::vlan_ranges::LIST_VLAN_IP_RANGES,
            h::vlan_ranges::list_vlan_ip_ranges
        ),
        cmd!(
            api::vlan_ranges::DELETE_VLAN_IP_RANGE,
            h::vlan_ranges::delete_vlan_ip_range
        ),
        cmd!(
            api::networks::CREATE_NETWORK,
            h::guest_networks::create_network
        ),
        cmd!(
            api::networks::LIST_NETWORKS,
            h::guest_networks::list_networks
        ),
        cmd!(
            api::networks::UPDATE_NETWORK,
            h::guest_networks::update_network
        ),
        cmd!(
            api::networks::DELETE_NETWORK,
            h::guest_networks::delete_network
        ),
        cmd!(
            api::networks::RESTART_NETWORK,
            h::guest_networks::restart_network
        ),
        cmd!(
            api::storage_pools::CREATE_STORAGE_POOL,
            h::storage_pools::create_storage_pool
        ),
        cmd!(
            api::storage_pools::LIST_STORAGE_POOLS,
            h::storage_pools::list_storage_pools
        ),
        cmd!(
            api::storage_pools::UPDATE_STORAGE_POOL,
            h::storage_pools::update_storage_pool
        ),
        cmd!(
            api::storage_pools::DELETE_STORAGE_POOL,
            h::storage_pools::delete_storage_pool
        ),
        cmd!(
            api::storage_pools::ENABLE_STORAGE_MAINTENANCE,
            h::storage_pools::enable_storage_maintenance
        ),
        cmd!(
            api::storage_pools::CANCEL_STORAGE_MAINTENANCE,
            h::storage_pools::cancel_storage_maintenance
        ),
        cmd!(
            api::image_stores::ADD_IMAGE_STORE,
            h::image_stores::add_image_store
        ),
        cmd!(
            api::image_stores::ADD_SECONDARY_STORAGE,
            h::image_stores::add_secondary_storage
        ),
        cmd!(
            api::image_stores::LIST_IMAGE_STORES,
            h::image_stores::list_image_stores
        ),
        cmd!(
            api::image_stores::UPDATE_IMAGE_STORE,
            h::image_stores::update_image_store
        ),
        cmd!(
            api::image_stores::DELETE_IMAGE_STORE,
            h::image_stores::delete_image_store
        ),
        cmd!(
            api::guest_os::LIST_OS_CATEGORIES,
            h::guest_os::list_os_categories
        ),
        cmd!(api::guest_os::LIST_OS_TYPES, h::guest_os::list_os_types),
        cmd!(
            api::hypervisors::LIST_HYPERVISORS,
            h::hypervisors::list_hypervisors
        ),
        cmd!(
            api::hypervisors::LIST_HYPERVISOR_CAPABILITIES,
            h::hypervisors::list_hypervisor_capabilities
        ),
        cmd!(
            api::hypervisors::UPDATE_HYPERVISOR_CAPABILITIES,
            h::hypervisors::update_hypervisor_capabilities
        ),
        cmd!(api::capacity::LIST_CAPACITY, h::capacity::list_capacity),
        cmd!(
            api::service_offerings::CREATE_SERVICE_OFFERING,
            h::service_offerings::create_service_offering
        ),
        cmd!(
            api::service_offerings::LIST_SERVICE_OFFERINGS,
            h::service_offerings::list_service_offerings
        ),
        cmd!(
            api::service_offerings::UPDATE_SERVICE_OFFERING,
            h::service_offerings::update_service_offering
        ),
        cmd!(
            api::service_offerings::DELETE_SERVICE_OFFERING,
            h::service_offerings::delete_service_offering
        ),
        cmd!(
            api::disk_offerings::CREATE_DISK_OFFERING,
            h::disk_offerings::create_disk_offering
        ),
        cmd!(
            api::disk_offerings::LIST_DISK_OFFERINGS,
            h::disk_offerings::list_disk_offerings
        ),
        cmd!(
            api::disk_offerings::UPDATE_DISK_OFFERING,
            h::disk_offerings::update_disk_offering
        ),
        cmd!(
            api::disk_offerings::DELETE_DISK_OFFERING,
            h::disk_offerings::delete_disk_offering
        ),
        cmd!(
            api::network_offerings::CREATE_NETWORK_OFFERING,
            h::network_offerings::create_network_offering
        ),
        cmd!(
            api::network_offerings::LIST_NETWORK_OFFERINGS,
            h::network_offerings::list_network_offerings
        ),
        cmd!(
            api::network_offerings::UPDATE_NETWORK_OFFERING,
            h::network_offerings::update_network_offering
        ),
        cmd!(
            api::network_offerings::DELETE_NETWORK_OFFERING,
            h::network_offerings::delete_network_offering
        ),
        cmd!(
            api::network_offerings::CREATE_VPC_OFFERING,
            h::vpc_offerings::create_vpc_offering
        ),
        cmd!(
            api::network_offerings::LIST_VPC_OFFERINGS,
            h::vpc_offerings::list_vpc_offerings
        ),
        cmd!(
            api::network_offerings::UPDATE_VPC_OFFERING,
            h::vpc_offerings::update_vpc_offering
        ),
        cmd!(
            api::network_offerings::DELETE_VPC_OFFERING,
            h::vpc_offerings::delete_vpc_offering
        ),
        cmd!(api::alerts::LIST_ALERTS, h::alerts::list_alerts),
        cmd!(api::alerts::ARCHIVE_ALERTS, h::alerts::archive_alerts),
        cmd!(api::alerts::DELETE_ALERTS, h::alerts::delete_alerts),
        // CloudStack registers the simulator plugin's commands only in simulator builds;
        // every Strato server runs the in-process simulator, so they always exist.
        cmd!(
            api::simulator::CONFIGURE_SIMULATOR,
            h::simulator::configure_simulator
        ),
        cmd!(
            api::simulator::QUERY_SIMULATOR_MOCK,
            h::simulator::query_simulator_mock
        ),
        cmd!(
            api::simulator::CLEANUP_SIMULATOR_MOCK,
            h::simulator::cleanup_simulator_mock
        ),
        cmd!(
            api::ssh_keys::CREATE_SSH_KEY_PAIR,
            h::ssh_keys::create_ssh_key_pair
        ),
        cmd!(
            api::ssh_keys::REGISTER_SSH_KEY_PAIR,
            h::ssh_keys::register_ssh_key_pair
        ),
        cmd!(
            api::ssh_keys::LIST_SSH_KEY_PAIRS,
            h::ssh_keys::list_ssh_key_pairs
        ),
        cmd!(
            api::ssh_keys::DELETE_SSH_KEY_PAIR,
            h::ssh_keys::delete_ssh_key_pair
        ),
        cmd!(
            api::affinity_groups::CREATE_AFFINITY_GROUP,
            h::affinity_groups::create_affinity_group
        ),
        cmd!(
            api::affinity_groups::LIST_AFFINITY_GROUPS,
            h::affinity_groups::list_affinity_groups
        ),
        cmd!(
            api::affinity_groups::DELETE_AFFINITY_GROUP,
            h::affinity_groups::delete_affinity_group
        ),
        cmd!(
            api::affinity_groups::LIST_AFFINITY_GROUP_TYPES,
            h::affinity_groups::list_affinity_group_types
        ),
        cmd!(
            api::affinity_groups::UPDATE_VM_AFFINITY_GROUP,
            crate::vms::affinity::update_vm_affinity_group
        ),
        cmd!(
            api::vm_ops::RESET_PASSWORD_FOR_VIRTUAL_MACHINE,
            crate::vms::passwords::reset_password_for_virtual_machine
        ),
        cmd!(
            api::vm_ops::GET_VM_PASSWORD,
            crate::vms::passwords::get_vm_password
        ),
        cmd!(
            api::vm_ops::RESET_SSH_KEY_FOR_VIRTUAL_MACHINE,
            crate::vms::passwords::reset_ssh_key_for_virtual_machine
        ),
        cmd!(api::vm_ops::ATTACH_ISO, crate::vms::iso::attach_iso),
        cmd!(api::vm_ops::DETACH_ISO, crate::vms::iso::detach_iso),
        cmd!(
            api::vm_ops::SCALE_VIRTUAL_MACHINE,
            crate::vms::scale::scale_virtual_machine
        ),
        cmd!(
            api::vm_ops::RESTORE_VIRTUAL_MACHINE,
            crate::vms::restore::restore_virtual_machine
        ),
        cmd!(
            api::vm_ops::ASSIGN_VIRTUAL_MACHINE,
            crate::vms::assign::assign_virtual_machine
        ),
        cmd!(api::tags::CREATE_TAGS, h::tags::create_tags),
        cmd!(api::tags::DELETE_TAGS, h::tags::delete_tags),
        cmd!(api::tags::LIST_TAGS, h::tags::list_tags),
        cmd!(
            api::instance_groups::CREATE_INSTANCE_GROUP,
            h::instance_groups::create_instance_group
        ),
        cmd!(
            api::instance_groups::LIST_INSTANCE_GROUPS,
            h::instance_groups::list_instance_groups
        ),
        cmd!(
            api::instance_groups::UPDATE_INSTANCE_GROUP,
            h::instance_groups::update_instance_group
        ),
        cmd!(
            api::instance_groups::DELETE_INSTANCE_GROUP,
            h::instance_groups::delete_instance_group
        ),
    ]
}

pub struct Registry {
    commands: Vec<Command>,
    by_name: HashMap<&'static str, usize>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Registry {
        let commands = all();
        let by_name = commands
            .iter()
            .enumerate()
            .map(|(i, c)| (c.spec.name, i))
            .collect();
        Registry { commands, by_name }
    }

    /// Exact, case-sensitive lookup, as CloudStack matches `command`.
    pub fn get(&self, name: &str) -> Option<&Command> {
        self.by_name.get(name).map(|&i| &self.commands[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }
}
