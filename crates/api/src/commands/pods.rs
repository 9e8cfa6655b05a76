//! Pods and their reserved system IP ranges.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const POD_FIELDS: &[FieldSpec] = &[
    field("id", "string", "pod id"),
    field("name", "string", "pod name"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field(
        "gateway",
        "string",
        "gateway of the pod's management network",
    ),
    field(
        "netmask",
        "string",
        "netmask of the pod's management network",
    ),
    field("startip", "list", "first addresses of the reserved ranges"),
    field("endip", "list", "last addresses of the reserved ranges"),
    field(
        "forsystemvms",
        "list",
        "whether each range is for system VMs",
    ),
    field("vlanid", "list", "VLAN of each range"),
    field(
        "ipranges",
        "list",
        "reserved ranges: startip, endip, gateway, cidr, forsystemvms, vlanid",
    ),
    field("allocationstate", "string", "Enabled or Disabled"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Pod id")
    .required()
    .related("listPods");

pub const CREATE_POD: CommandSpec = command(
    "createPod",
    "Creates a pod in a zone, with a reserved IP range for system use",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Zone")
            .required()
            .related("listZones"),
        ParamSpec::new("name", String, "Pod name").required(),
        ParamSpec::new("gateway", String, "Gateway of the management network"),
        ParamSpec::new("netmask", String, "Netmask of the management network"),
        ParamSpec::new("startip", String, "First reserved address"),
        ParamSpec::new(
            "endip",
            String,
            "Last reserved address (end of the subnet by default)",
        ),
        ParamSpec::new("allocationstate", String, "Enabled (default) or Disabled"),
    ]],
    object("pod", POD_FIELDS),
)
.event("POD.CREATE");

pub const LIST_PODS: CommandSpec = command(
    "listPods",
    "Lists pods",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this pod").related("listPods"),
            ParamSpec::new("zoneid", Uuid, "Only pods of this zone").related("listZones"),
            ParamSpec::new("name", String, "Only pods with this name"),
            ParamSpec::new("allocationstate", String, "Only Enabled or Disabled pods"),
            ParamSpec::new(
                "showcapacities",
                Boolean,
                "Include capacities (not supported yet)",
            ),
        ],
    ],
    list("pod", POD_FIELDS),
);

pub const UPDATE_POD: CommandSpec = command(
    "updatePod",
    "Changes a pod's name, network or allocation state",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("gateway", String, "New gateway"),
        ParamSpec::new("netmask", String, "New netmask"),
        ParamSpec::new("startip", String, "New first reserved address"),
        ParamSpec::new("endip", String, "New last reserved address"),
        ParamSpec::new("allocationstate", String, "Enabled or Disabled"),
    ]],
    object("pod", POD_FIELDS),
)
.event("POD.EDIT");

pub const DELETE_POD: CommandSpec = command(
    "deletePod",
    "Deletes a pod that holds no clusters",
    Roles::ADMIN,
    &[&[ID]],
    SUCCESS,
)
.event("POD.DELETE");
