//! Affinity groups: the host (anti-)affinity rules VMs are placed by.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::ssh_keys::OWNER;
use super::{OWNER_SCOPE, PAGING};

const GROUP_FIELDS: &[FieldSpec] = &[
    field("id", "string", "affinity group id"),
    field("name", "string", "affinity group name"),
    field("description", "string", "description"),
    field(
        "type",
        "string",
        "host affinity, host anti-affinity or their non-strict variants",
    ),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
];

pub const CREATE_AFFINITY_GROUP: CommandSpec = command(
    "createAffinityGroup",
    "Creates an affinity or anti-affinity group",
    Roles::ALL,
    &[
        &[
            ParamSpec::new("name", String, "Group name, unique in the account").required(),
            ParamSpec::new(
                "type",
                String,
                "One of the types listAffinityGroupTypes lists",
            )
            .required(),
            ParamSpec::new("description", String, "Description").length(4096),
        ],
        OWNER,
    ],
    object("affinitygroup", GROUP_FIELDS),
)
.asynchronous("AffinityGroup")
.event("AG.CREATE");

pub const LIST_AFFINITY_GROUPS: CommandSpec = command(
    "listAffinityGroups",
    "Lists affinity groups",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this group"),
            ParamSpec::new("name", String, "Only the group with this name"),
            ParamSpec::new("type", String, "Only groups of this type"),
        ],
    ],
    list("affinitygroup", GROUP_FIELDS),
);

pub const DELETE_AFFINITY_GROUP: CommandSpec = command(
    "deleteAffinityGroup",
    "Deletes an affinity group that no VM is in, named by id or by name",
    Roles::ALL,
    &[
        &[
            ParamSpec::new("id", Uuid, "Group id").related("listAffinityGroups"),
            ParamSpec::new("name", String, "Group name (of the caller or of account)"),
        ],
        OWNER,
    ],
    SUCCESS,
)
.asynchronous("AffinityGroup")
.event("AG.DELETE");

pub const LIST_AFFINITY_GROUP_TYPES: CommandSpec = command(
    "listAffinityGroupTypes",
    "Lists the affinity group types users may create",
    Roles::ALL,
    &[PAGING],
    list(
        "affinityGroupType",
        &[field("type", "string", "the type's name")],
    ),
);

pub const UPDATE_VM_AFFINITY_GROUP: CommandSpec = command(
    "updateVMAffinityGroup",
    "Replaces the affinity groups of a stopped VM (they apply from its next start)",
    Roles::ALL,
    &[&[
        ParamSpec::new("id", Uuid, "VM id")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new(
            "affinitygroupids",
            List,
            "The groups, by id (none: leave every group)",
        )
        .related("listAffinityGroups"),
        ParamSpec::new("affinitygroupnames", List, "The groups, by name")
            .related("listAffinityGroups"),
    ]],
    object("virtualmachine", super::vms::VM_FIELDS),
)
.asynchronous("VirtualMachine")
.legacy_response_name("updatevirtualmachineresponse")
.event("VM.AG.UPDATE");
