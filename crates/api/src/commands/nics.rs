//! NICs of virtual machines.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const NIC_FIELDS: &[FieldSpec] = &[
    field("id", "string", "NIC id"),
    field("virtualmachineid", "string", "VM it belongs to"),
    field("networkid", "string", "network it is on"),
    field("networkname", "string", "that network's name"),
    field("netmask", "string", "netmask of its address"),
    field("gateway", "string", "gateway of its network"),
    field(
        "ipaddress",
        "string",
        "its IPv4 address (none on L2 networks)",
    ),
    field("isolationuri", "string", "isolation URI of its network"),
    field("broadcasturi", "string", "broadcast URI of its network"),
    field("traffictype", "string", "traffic type of its network"),
    field("type", "string", "guest type of its network"),
    field(
        "isdefault",
        "boolean",
        "true for the NIC carrying the default route",
    ),
    field("macaddress", "string", "its MAC address"),
    field("deviceid", "string", "its device slot"),
    field("secondaryip", "list", "secondary addresses"),
    field("extradhcpoption", "list", "extra DHCP options"),
];

pub const LIST_NICS: CommandSpec = command(
    "listNics",
    "Lists the NICs of a VM",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("virtualmachineid", Uuid, "The VM")
                .required()
                .related("listVirtualMachines"),
            ParamSpec::new("nicid", Uuid, "Only this NIC"),
            ParamSpec::new("networkid", Uuid, "Only the NIC on this network")
                .related("listNetworks"),
            ParamSpec::new(
                "fordisplay",
                Boolean,
                "false: only NICs hidden from the end user (there are none)",
            ),
        ],
    ],
    list("nic", NIC_FIELDS),
);
