//! Hypervisor types and their capabilities.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const HYPERVISOR_CAPABILITY_FIELDS: &[FieldSpec] = &[
    field("id", "string", "capability row id"),
    field("hypervisor", "string", "hypervisor type"),
    field(
        "hypervisorversion",
        "string",
        "hypervisor version, or default",
    ),
    field("maxguestslimit", "long", "guest VMs recommended per host"),
    field(
        "maxdatavolumeslimit",
        "integer",
        "data volumes a VM may have attached",
    ),
    field("maxhostspercluster", "integer", "hosts a cluster may have"),
    field(
        "securitygroupenabled",
        "boolean",
        "true if security groups work on this hypervisor",
    ),
    field(
        "storagemotionenabled",
        "boolean",
        "true if volumes can move between pools while the VM runs",
    ),
    field(
        "vmsnapshotenabled",
        "boolean",
        "true if VM snapshots are supported",
    ),
];

pub const LIST_HYPERVISORS: CommandSpec = command(
    "listHypervisors",
    "Lists the hypervisor types this cloud supports, or those used in a zone",
    Roles::ALL,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Only hypervisors of this zone's clusters")
            .related("listZones"),
    ]],
    list("hypervisor", &[field("name", "string", "hypervisor type")]),
);

pub const LIST_HYPERVISOR_CAPABILITIES: CommandSpec = command(
    "listHypervisorCapabilities",
    "Lists what each hypervisor type and version supports",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this row").related("listHypervisorCapabilities"),
            ParamSpec::new("hypervisor", String, "Only rows of this hypervisor"),
        ],
    ],
    list("hypervisorCapabilities", HYPERVISOR_CAPABILITY_FIELDS),
);

pub const UPDATE_HYPERVISOR_CAPABILITIES: CommandSpec = command(
    "updateHypervisorCapabilities",
    "Changes the limits and features recorded for a hypervisor type and version",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("id", Uuid, "Row to change").related("listHypervisorCapabilities"),
        ParamSpec::new(
            "hypervisor",
            String,
            "Hypervisor type (with hypervisorversion)",
        ),
        ParamSpec::new(
            "hypervisorversion",
            String,
            "Hypervisor version (with hypervisor)",
        ),
        ParamSpec::new("maxguestslimit", Long, "Guest VMs per host"),
        ParamSpec::new("maxdatavolumeslimit", Integer, "Data volumes per VM"),
        ParamSpec::new("maxhostspercluster", Integer, "Hosts per cluster"),
        ParamSpec::new("securitygroupenabled", Boolean, "Security groups supported"),
        ParamSpec::new(
            "storagemotionenabled",
            Boolean,
            "Live storage migration supported",
        ),
        ParamSpec::new("vmsnapshotenabled", Boolean, "VM snapshots supported"),
    ]],
    object("hypervisorcapabilities", HYPERVISOR_CAPABILITY_FIELDS),
);
