//! Hosts.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const HOST_FIELDS: &[FieldSpec] = &[
    field("id", "string", "host id"),
    field("name", "string", "host name"),
    field(
        "state",
        "string",
        "connection status: Connecting, Up, Alert, Disconnected, Down",
    ),
    field(
        "resourcestate",
        "string",
        "Enabled, Disabled, PrepareForMaintenance, Maintenance, ErrorInMaintenance",
    ),
    field("type", "string", "host type: Routing for hypervisor hosts"),
    field("hypervisor", "string", "hypervisor type"),
    field("hypervisorversion", "string", "hypervisor version"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("podid", "string", "pod id"),
    field("podname", "string", "pod name"),
    field("clusterid", "string", "cluster id"),
    field("clustername", "string", "cluster name"),
    field("clustertype", "string", "cluster type"),
    field("cpusockets", "integer", "CPU sockets"),
    field("cpunumber", "integer", "CPU cores"),
    field("cpuspeed", "long", "CPU speed in MHz"),
    field("cpuallocated", "string", "share of CPU allocated to VMs"),
    field("cpuused", "string", "share of CPU in use"),
    field("memorytotal", "long", "memory in bytes"),
    field(
        "memoryallocated",
        "long",
        "memory allocated to VMs in bytes",
    ),
    field("memoryused", "long", "memory in use in bytes"),
    field("disksizetotal", "long", "local storage in bytes"),
    field("ipaddress", "string", "management IP address"),
    field("version", "string", "agent version"),
    field("arch", "string", "CPU architecture"),
    field("hosttags", "string", "host tags, comma-separated"),
    field("created", "date", "when the host was added"),
    field("lastpinged", "date", "last time the agent was heard from"),
    field("disconnected", "date", "when the agent connection was lost"),
    field(
        "managementserverid",
        "string",
        "management server holding the agent connection",
    ),
    field(
        "islocalstorageactive",
        "boolean",
        "true if local storage is in use",
    ),
    field("hahost", "boolean", "true if the host is reserved for HA"),
    field("capabilities", "string", "hypervisor capabilities"),
    field("events", "string", "events that may happen to the host"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Host id")
    .required()
    .related("listHosts");

pub const ADD_HOST: CommandSpec = command(
    "addHost",
    "Adds a host to a cluster; for Simulator clusters the URL is http://sim/<anything> with optional capacity overrides",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Zone")
            .required()
            .related("listZones"),
        ParamSpec::new("podid", Uuid, "Pod")
            .required()
            .related("listPods"),
        ParamSpec::new("clusterid", Uuid, "Cluster").related("listClusters"),
        ParamSpec::new("clustername", String, "Cluster, by name"),
        ParamSpec::new("hypervisor", String, "Hypervisor of the host").required(),
        ParamSpec::new("url", String, "Host URL").required(),
        ParamSpec::new("username", String, "User name on the host"),
        ParamSpec::new("password", String, "Password on the host"),
        ParamSpec::new("hosttags", List, "Host tags"),
        ParamSpec::new("allocationstate", String, "Enabled (default) or Disabled"),
    ]],
    list("host", HOST_FIELDS),
);

pub const LIST_HOSTS: CommandSpec = command(
    "listHosts",
    "Lists hosts",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this host").related("listHosts"),
            ParamSpec::new("name", String, "Only hosts with this name"),
            ParamSpec::new("zoneid", Uuid, "Only hosts of this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only hosts of this pod").related("listPods"),
            ParamSpec::new("clusterid", Uuid, "Only hosts of this cluster").related("listClusters"),
            ParamSpec::new("type", String, "Only hosts of this type, e.g. Routing"),
            ParamSpec::new("state", String, "Only hosts in this connection status"),
            ParamSpec::new("resourcestate", String, "Only hosts in this resource state"),
            ParamSpec::new("hypervisor", String, "Only hosts of this hypervisor"),
            ParamSpec::new(
                "managementserverid",
                Uuid,
                "Only hosts connected to this management server",
            ),
            ParamSpec::new(
                "details",
                List,
                "Detail sets (all, min, capacity, stats, events)",
            ),
        ],
    ],
    list("host", HOST_FIELDS),
);

pub const UPDATE_HOST: CommandSpec = command(
    "updateHost",
    "Enables or disables a host, or changes its name or tags",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new("allocationstate", String, "Enable or Disable"),
        ParamSpec::new("hosttags", List, "New host tags (replacing the old ones)"),
        ParamSpec::new("name", String, "New name"),
    ]],
    object("host", HOST_FIELDS),
);

pub const DELETE_HOST: CommandSpec = command(
    "deleteHost",
    "Removes a host that is in maintenance or disconnected (or any host with forced=true)",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new(
            "forced",
            Boolean,
            "Remove even when the host is connected and enabled",
        ),
        ParamSpec::new(
            "forcedestroylocalstorage",
            Boolean,
            "Also drop local storage pools of the host",
        ),
    ]],
    SUCCESS,
);

pub const PREPARE_HOST_FOR_MAINTENANCE: CommandSpec = command(
    "prepareHostForMaintenance",
    "Puts a host into maintenance: no new VMs, running VMs moved away",
    Roles::ADMIN,
    &[&[ID]],
    object("host", HOST_FIELDS),
)
.asynchronous("Host")
.event("MAINT.PREPARE");

pub const CANCEL_HOST_MAINTENANCE: CommandSpec = command(
    "cancelHostMaintenance",
    "Takes a host out of maintenance",
    Roles::ADMIN,
    &[&[ID]],
    object("host", HOST_FIELDS),
)
.asynchronous("Host")
.event("MAINT.CANCEL");

pub const RECONNECT_HOST: CommandSpec = command(
    "reconnectHost",
    "Drops the host's agent connection so that the agent connects again",
    Roles::ADMIN,
    &[&[ID]],
    object("host", HOST_FIELDS),
)
.asynchronous("Host")
.event("HOST.RECONNECT");

pub const UPDATE_HOST_PASSWORD: CommandSpec = command(
    "updateHostPassword",
    "Updates the credentials stored for a host, or for every host of a cluster",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("hostid", Uuid, "The host").related("listHosts"),
        ParamSpec::new("clusterid", Uuid, "Every host of this cluster").related("listClusters"),
        ParamSpec::new("username", String, "User name on the host").required(),
        ParamSpec::new("password", String, "New password").required(),
        ParamSpec::new(
            "update_passwd_on_host",
            Boolean,
            "Also change the password on the host itself (not supported: Strato does not log in to hosts)",
        ),
    ]],
    SUCCESS,
);

pub const LIST_HOST_TAGS: CommandSpec = command(
    "listHostTags",
    "Lists the tags hosts carry",
    Roles::ADMIN,
    &[PAGING],
    list(
        "hosttag",
        &[
            field("name", "string", "tag"),
            field(
                "isimplicit",
                "boolean",
                "true for tags the host reports itself",
            ),
        ],
    ),
);
