//! Roles and role permissions: which commands an account may call.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const ROLE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "role id"),
    field("name", "string", "role name"),
    field(
        "type",
        "string",
        "role type: Admin, ResourceAdmin, DomainAdmin or User",
    ),
    field("description", "string", "description of the role"),
    field(
        "isdefault",
        "boolean",
        "true for the roles created at installation",
    ),
    field(
        "ispublic",
        "boolean",
        "true if domain admins may see and use the role",
    ),
    field("state", "string", "Enabled or Disabled"),
];

pub const PERMISSION_FIELDS: &[FieldSpec] = &[
    field("id", "string", "rule id"),
    field("roleid", "string", "role id"),
    field("rolename", "string", "role name"),
    field("rule", "string", "command name, possibly with * wildcards"),
    field("permission", "string", "allow or deny"),
    field("description", "string", "description of the rule"),
];

const ROLE_ID: ParamSpec = ParamSpec::new("id", Uuid, "Role id")
    .required()
    .related("listRoles");

pub const LIST_ROLES: CommandSpec = command(
    "listRoles",
    "Lists roles",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this role").related("listRoles"),
            ParamSpec::new("name", String, "Only roles with this name"),
            ParamSpec::new("type", String, "Only roles of this type"),
            ParamSpec::new("state", String, "Only roles in this state"),
        ],
    ],
    list("role", ROLE_FIELDS),
);

pub const CREATE_ROLE: CommandSpec = command(
    "createRole",
    "Creates a role, empty or as a copy of another role's rules",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("name", String, "Role name").required(),
        ParamSpec::new("type", String, "Admin, ResourceAdmin, DomainAdmin or User"),
        ParamSpec::new("roleid", Uuid, "Copy the type and rules of this role").related("listRoles"),
        ParamSpec::new("description", String, "Description"),
        ParamSpec::new(
            "ispublic",
            Boolean,
            "Visible to domain admins; true by default",
        ),
    ]],
    object("role", ROLE_FIELDS),
)
.event("ROLE.CREATE");

pub const UPDATE_ROLE: CommandSpec = command(
    "updateRole",
    "Changes a role's name, type, description or visibility",
    Roles::ADMIN,
    &[&[
        ROLE_ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new(
            "type",
            String,
            "New type (only while no account uses the role)",
        ),
        ParamSpec::new("description", String, "New description"),
        ParamSpec::new("ispublic", Boolean, "New visibility"),
    ]],
    object("role", ROLE_FIELDS),
)
.event("ROLE.UPDATE");

pub const DELETE_ROLE: CommandSpec = command(
    "deleteRole",
    "Deletes a role no account uses",
    Roles::ADMIN,
    &[&[ROLE_ID]],
    SUCCESS,
)
.event("ROLE.DELETE");

pub const ENABLE_ROLE: CommandSpec = command(
    "enableRole",
    "Enables a role",
    Roles::ADMIN,
    &[&[ROLE_ID]],
    SUCCESS,
)
.event("ROLE.ENABLE");

pub const DISABLE_ROLE: CommandSpec = command(
    "disableRole",
    "Disables a role: new accounts cannot be given it",
    Roles::ADMIN,
    &[&[ROLE_ID]],
    SUCCESS,
)
.event("ROLE.DISABLE");

pub const LIST_ROLE_PERMISSIONS: CommandSpec = command(
    "listRolePermissions",
    "Lists the rules of a role in the order they are tried",
    Roles::ADMIN,
    &[&[ParamSpec::new("roleid", Uuid, "Only rules of this role").related("listRoles")]],
    list("rolepermission", PERMISSION_FIELDS),
);

pub const CREATE_ROLE_PERMISSION: CommandSpec = command(
    "createRolePermission",
    "Adds a rule at the end of a role's rules",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("roleid", Uuid, "Role")
            .required()
            .related("listRoles"),
        ParamSpec::new("rule", String, "Command name, * wildcards allowed").required(),
        ParamSpec::new("permission", String, "allow or deny").required(),
        ParamSpec::new("description", String, "Description"),
    ]],
    object("rolepermission", PERMISSION_FIELDS),
)
.event("ROLE.PERMISSION.CREATE");

pub const UPDATE_ROLE_PERMISSION: CommandSpec = command(
    "updateRolePermission",
    "Changes one rule's permission, or reorders all rules of a role",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("roleid", Uuid, "Role")
            .required()
            .related("listRoles"),
        ParamSpec::new("ruleid", Uuid, "Rule whose permission changes")
            .related("listRolePermissions"),
        ParamSpec::new("permission", String, "allow or deny (with ruleid)"),
        ParamSpec::new(
            "ruleorder",
            List,
            "Every rule id of the role, in the new order",
        ),
    ]],
    SUCCESS,
)
.event("ROLE.PERMISSION.UPDATE");

pub const DELETE_ROLE_PERMISSION: CommandSpec = command(
    "deleteRolePermission",
    "Deletes a rule",
    Roles::ADMIN,
    &[&[ParamSpec::new("id", Uuid, "Rule id")
        .required()
        .related("listRolePermissions")]],
    SUCCESS,
)
.event("ROLE.PERMISSION.DELETE");
