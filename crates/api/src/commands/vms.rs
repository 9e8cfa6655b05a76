//! Virtual machines: deploy, list, start, stop, reboot, destroy, recover, expunge,
//! update.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

pub const VM_FIELDS: &[FieldSpec] = &[
    field("id", "string", "VM id"),
    field("name", "string", "host name of the VM"),
    field("displayname", "string", "name shown to users"),
    field("account", "string", "owner account"),
    field("userid", "string", "user that deployed it"),
    field("username", "string", "that user's name"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("created", "date", "when it was deployed"),
    field(
        "state",
        "string",
        "Running, Stopped, Starting, Stopping, Destroyed, Error, ...",
    ),
    field("haenable", "boolean", "true if HA restarts it"),
    field("group", "string", "instance group"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("hostid", "string", "host it runs on (admins)"),
    field("hostname", "string", "that host's name (admins)"),
    field("templateid", "string", "template it was deployed from"),
    field("templatename", "string", "that template's name"),
    field(
        "templatedisplaytext",
        "string",
        "that template's description",
    ),
    field(
        "passwordenabled",
        "boolean",
        "true if its password can be reset",
    ),
    field("serviceofferingid", "string", "compute offering id"),
    field("serviceofferingname", "string", "compute offering name"),
    field("cpunumber", "integer", "vCPUs"),
    field("cpuspeed", "integer", "MHz per vCPU"),
    field("memory", "integer", "MiB of RAM"),
    field("guestosid", "string", "guest OS type id"),
    field("ostypeid", "string", "guest OS type id"),
    field("rootdeviceid", "long", "device id of the root volume"),
    field("rootdevicetype", "string", "ROOT"),
    field("nic", "list", "its NICs"),
    field("hypervisor", "string", "hypervisor type"),
    field("instancename", "string", "name on the hypervisor (admins)"),
    field("details", "map", "VM details"),
    field("affinitygroup", "list", "affinity groups"),
    field("securitygroup", "list", "security groups"),
    field("displayvm", "boolean", "true if shown to its owner"),
    field(
        "isdynamicallyscalable",
        "boolean",
        "true if it can be scaled while running",
    ),
    field("ipaddress", "string", "IP address of the default NIC"),
    field("keypairs", "string", "SSH key pairs"),
    field("tags", "list", "resource tags"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const VM_ID: ParamSpec = ParamSpec::new("id", Uuid, "VM id")
    .required()
    .related("listVirtualMachines");

pub const DEPLOY_VIRTUAL_MACHINE: CommandSpec = command(
    "deployVirtualMachine",
    "Creates a VM from a template on a host the planner picks, and starts it",
    Roles::ALL,
    &[&[
        ParamSpec::new("serviceofferingid", Uuid, "Compute offering")
            .required()
            .related("listServiceOfferings"),
        ParamSpec::new("zoneid", Uuid, "Zone")
            .required()
            .related("listZones"),
        ParamSpec::new("templateid", Uuid, "Template to boot from").related("listTemplates"),
        ParamSpec::new("name", String, "Host name (default: from the VM id)"),
        ParamSpec::new(
            "displayname",
            String,
            "Name shown to users (default: the name)",
        ),
        ParamSpec::new("group", String, "Instance group name"),
        ParamSpec::new(
            "networkids",
            List,
            "Networks for the NICs; first is the default",
        )
        .related("listNetworks"),
        ParamSpec::new("ipaddress", String, "IPv4 address on the default network"),
        ParamSpec::new(
            "iptonetworklist",
            Map,
            "NICs as iptonetworklist[i].networkid and optional iptonetworklist[i].ip (not \
             with networkids or ipaddress)",
        ),
        ParamSpec::new("userdata", String, "Base64 user data").length(1_048_576),
        ParamSpec::new(
            "startvm",
            Boolean,
            "false: create it stopped (default true)",
        ),
        ParamSpec::new("hypervisor", String, "Hypervisor to deploy on"),
        ParamSpec::new(
            "rootdisksize",
            Long,
            "Root disk size in GB (at least the template's)",
        ),
        ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
        ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
        ParamSpec::new("podid", Uuid, "Pod to deploy in (admins)").related("listPods"),
        ParamSpec::new("clusterid", Uuid, "Cluster to deploy in (admins)").related("listClusters"),
        ParamSpec::new("hostid", Uuid, "Host to deploy on (admins)").related("listHosts"),
        ParamSpec::new(
            "affinitygroupids",
            List,
            "Affinity groups of the owner to join (not with affinitygroupnames)",
        )
        .related("listAffinityGroups"),
        ParamSpec::new(
            "affinitygroupnames",
            List,
            "Affinity groups of the owner to join, by name (not with affinitygroupids)",
        )
        .related("listAffinityGroups"),
        ParamSpec::new("keypair", String, "SSH key pair of the owner").related("listSSHKeyPairs"),
        ParamSpec::new("keypairs", List, "SSH key pairs of the owner").related("listSSHKeyPairs"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.CREATE");

pub const LIST_VIRTUAL_MACHINES: CommandSpec = command(
    "listVirtualMachines",
    "Lists VMs",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this VM"),
            ParamSpec::new("ids", List, "Only these VMs"),
            ParamSpec::new("name", String, "Only VMs with this name"),
            ParamSpec::new("state", String, "Only VMs in this state"),
            ParamSpec::new("zoneid", Uuid, "Only VMs in this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only VMs in this pod (admins)").related("listPods"),
            ParamSpec::new("clusterid", Uuid, "Only VMs in this cluster (admins)")
                .related("listClusters"),
            ParamSpec::new("hostid", Uuid, "Only VMs on this host (admins)").related("listHosts"),
            ParamSpec::new("templateid", Uuid, "Only VMs of this template")
                .related("listTemplates"),
            ParamSpec::new("serviceofferingid", Uuid, "Only VMs of this offering")
                .related("listServiceOfferings"),
            ParamSpec::new("hypervisor", String, "Only VMs of this hypervisor"),
            ParamSpec::new("networkid", Uuid, "Only VMs with a NIC on this network")
                .related("listNetworks"),
        ],
    ],
    list("virtualmachine", VM_FIELDS),
);

pub const START_VIRTUAL_MACHINE: CommandSpec = command(
    "startVirtualMachine",
    "Starts a stopped VM",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new("hostid", Uuid, "Host to start it on (admins)").related("listHosts"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.START");

pub const STOP_VIRTUAL_MACHINE: CommandSpec = command(
    "stopVirtualMachine",
    "Stops a running VM",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new(
            "forced",
            Boolean,
            "true: power it off instead of shutting it down",
        ),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.STOP");

pub const REBOOT_VIRTUAL_MACHINE: CommandSpec = command(
    "rebootVirtualMachine",
    "Reboots a running VM",
    Roles::ALL,
    &[&[VM_ID]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.REBOOT");

pub const DESTROY_VIRTUAL_MACHINE: CommandSpec = command(
    "destroyVirtualMachine",
    "Stops and destroys a VM; it can be recovered until it is expunged",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new(
            "expunge",
            Boolean,
            "true: expunge at once (admins or allowed users)",
        ),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.DESTROY");

pub const RECOVER_VIRTUAL_MACHINE: CommandSpec = command(
    "recoverVirtualMachine",
    "Brings a destroyed VM back, stopped",
    Roles::ALL,
    &[&[VM_ID]],
    object("virtualmachine", VM_FIELDS),
)
.event("VM.RECOVER");

pub const EXPUNGE_VIRTUAL_MACHINE: CommandSpec = command(
    "expungeVirtualMachine",
    "Removes a destroyed VM and its volumes for good",
    Roles::ALL,
    &[&[VM_ID]],
    SUCCESS,
)
.asynchronous("VirtualMachine")
.event("VM.EXPUNGE");

pub const UPDATE_VIRTUAL_MACHINE: CommandSpec = command(
    "updateVirtualMachine",
    "Changes a VM's names, group, HA flag or user data",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new("name", String, "New host name (VM must be stopped)"),
        ParamSpec::new("displayname", String, "New display name"),
        ParamSpec::new("group", String, "New instance group"),
        ParamSpec::new("haenable", Boolean, "Restart it by HA"),
        ParamSpec::new("userdata", String, "New base64 user data").length(1_048_576),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.event("VM.UPDATE");

pub const MIGRATE_VIRTUAL_MACHINE: CommandSpec = command(
    "migrateVirtualMachine",
    "Live-migrates a running VM to another host that reaches its storage",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("virtualmachineid", Uuid, "VM to move")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new(
            "hostid",
            Uuid,
            "Target host (default: the planner's choice)",
        )
        .related("findHostsForMigration"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.MIGRATE");

pub const MIGRATE_VIRTUAL_MACHINE_WITH_VOLUME: CommandSpec = command(
    "migrateVirtualMachineWithVolume",
    "Moves a running VM to another host with some of its volumes to other pools, or a \
     stopped VM's volumes to other pools",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("virtualmachineid", Uuid, "VM to move")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new(
            "hostid",
            Uuid,
            "Target host of a running VM (not for a stopped one)",
        )
        .related("findHostsForMigration"),
        ParamSpec::new(
            "migrateto",
            Map,
            "Volumes to move: migrateto[i].volume=<volume id>, migrateto[i].pool=<pool id>",
        ),
        ParamSpec::new(
            "autoselect",
            Boolean,
            "Let the planner choose the host of a running VM when hostid is not given",
        ),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.MIGRATE");

pub const FIND_HOSTS_FOR_MIGRATION: CommandSpec = command(
    "findHostsForMigration",
    "Lists the hosts a running VM could be migrated to",
    Roles::ADMIN,
    &[
        PAGING,
        &[ParamSpec::new("virtualmachineid", Uuid, "The VM")
            .required()
            .related("listVirtualMachines")],
    ],
    list("host", MIGRATION_HOST_FIELDS),
);

const MIGRATION_HOST_FIELDS: &[FieldSpec] = &[
    field("id", "string", "host id"),
    field("name", "string", "host name"),
    field("state", "string", "host status"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("podid", "string", "pod id"),
    field("clusterid", "string", "cluster id"),
    field("clustername", "string", "cluster name"),
    field("hypervisor", "string", "hypervisor"),
    field("cpunumber", "integer", "CPU cores"),
    field("cpuspeed", "long", "MHz per core"),
    field("cpuallocated", "string", "share of CPU allocated to VMs"),
    field("memorytotal", "long", "memory in bytes"),
    field(
        "memoryallocated",
        "long",
        "memory allocated to VMs in bytes",
    ),
    field(
        "suitableformigration",
        "boolean",
        "true if the VM fits there",
    ),
    field(
        "requiresStorageMotion",
        "boolean",
        "true if its volumes would have to move",
    ),
    field(
        "hasenoughcapacity",
        "boolean",
        "true if the host has room for the VM",
    ),
];

pub const CHANGE_SERVICE_FOR_VIRTUAL_MACHINE: CommandSpec = command(
    "changeServiceForVirtualMachine",
    "Gives a stopped VM another compute offering",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new("serviceofferingid", Uuid, "The new compute offering")
            .required()
            .related("listServiceOfferings"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.event("VM.UPGRADE");
