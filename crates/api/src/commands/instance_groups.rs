//! Instance groups: named sets of an account's VMs.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::ssh_keys::OWNER;
use super::{OWNER_SCOPE, PAGING};

const GROUP_FIELDS: &[FieldSpec] = &[
    field("id", "string", "instance group id"),
    field("name", "string", "instance group name"),
    field("created", "date", "when it was created"),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const GROUP_ID: ParamSpec = ParamSpec::new("id", Uuid, "Instance group id")
    .required()
    .related("listInstanceGroups");

pub const CREATE_INSTANCE_GROUP: CommandSpec = command(
    "createInstanceGroup",
    "Creates an instance group",
    Roles::ALL,
    &[
        &[ParamSpec::new("name", String, "Group name, unique in the account").required()],
        OWNER,
    ],
    object("instancegroup", GROUP_FIELDS),
);

pub const LIST_INSTANCE_GROUPS: CommandSpec = command(
    "listInstanceGroups",
    "Lists instance groups",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this group"),
            ParamSpec::new("name", String, "Only the group with this name"),
        ],
    ],
    list("instancegroup", GROUP_FIELDS),
);

pub const UPDATE_INSTANCE_GROUP: CommandSpec = command(
    "updateInstanceGroup",
    "Renames an instance group",
    Roles::ALL,
    &[&[GROUP_ID, ParamSpec::new("name", String, "New name")]],
    object("instancegroup", GROUP_FIELDS),
);

pub const DELETE_INSTANCE_GROUP: CommandSpec = command(
    "deleteInstanceGroup",
    "Deletes an instance group; its VMs stay, in no group",
    Roles::ALL,
    &[&[GROUP_ID]],
    SUCCESS,
);
