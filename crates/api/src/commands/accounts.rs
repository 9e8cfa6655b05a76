//! Accounts: the owners of resources, each of one type and role, in one domain.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;
use super::resource_limits::with_usage_fields;

pub const ACCOUNT_FIELDS: &[FieldSpec] = with_usage_fields![
    field("id", "string", "account id"),
    field("name", "string", "account name"),
    field(
        "accounttype",
        "integer",
        "0 user, 1 root admin, 2 domain admin, 3 resource admin",
    ),
    field("roleid", "string", "role id"),
    field("rolename", "string", "role name"),
    field(
        "roletype",
        "string",
        "role type: Admin, ResourceAdmin, DomainAdmin or User",
    ),
    field("domainid", "string", "domain id"),
    field("domain", "string", "domain name"),
    field("domainpath", "string", "domain path"),
    field("state", "string", "enabled, disabled or locked"),
    field(
        "networkdomain",
        "string",
        "network domain for the account's guest networks",
    ),
    field("accountdetails", "map", "account details"),
    field(
        "isdefault",
        "boolean",
        "true for the accounts created at installation",
    ),
    field("apikeyaccess", "string", "Enabled, Disabled or Inherit"),
    field("created", "date", "when the account was created"),
    field("groups", "list", "names of the account's groups"),
    field("user", "list", "the account's users"),
];

const ACCOUNT_BY_ID_OR_NAME: &[ParamSpec] = &[
    ParamSpec::new("id", Uuid, "Account id").related("listAccounts"),
    ParamSpec::new(
        "account",
        String,
        "Account name; use together with domainid",
    ),
    ParamSpec::new("domainid", Uuid, "Domain of the named account").related("listDomains"),
];

pub const CREATE_ACCOUNT: CommandSpec = command(
    "createAccount",
    "Creates an account and its first user",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        ParamSpec::new("account", String, "Account name; the user name by default"),
        ParamSpec::new(
            "accounttype",
            Integer,
            "0 user, 1 root admin, 2 domain admin (roleid is preferred)",
        ),
        ParamSpec::new("roleid", Uuid, "Role of the account").related("listRoles"),
        ParamSpec::new("domainid", Uuid, "Domain; the caller's by default").related("listDomains"),
        ParamSpec::new("username", String, "Login name of the first user").required(),
        ParamSpec::new(
            "password",
            String,
            "Password of the first user in clear text",
        )
        .required(),
        ParamSpec::new("email", String, "E-mail address of the first user").required(),
        ParamSpec::new("firstname", String, "First name of the first user").required(),
        ParamSpec::new("lastname", String, "Last name of the first user").required(),
        ParamSpec::new("timezone", String, "Time zone of the first user"),
        ParamSpec::new("networkdomain", String, "Network domain for guest networks"),
        ParamSpec::new("accountdetails", Map, "Details of the account (key/value)"),
        ParamSpec::new("accountid", Uuid, "Use this UUID for the new account"),
        ParamSpec::new("userid", Uuid, "Use this UUID for the first user"),
    ]],
    object("account", ACCOUNT_FIELDS),
)
.event("ACCOUNT.CREATE");

/// [`super::OWNER_SCOPE`] without `account`: CloudStack's listAccounts has no such parameter.
const LIST_ACCOUNTS_SCOPE: &[ParamSpec] = &[
    ParamSpec::new("domainid", Uuid, "Only entries of this domain").related("listDomains"),
    ParamSpec::new(
        "isrecursive",
        Boolean,
        "With domainid: include the domain's sub-domains",
    ),
    ParamSpec::new(
        "listall",
        Boolean,
        "false (default): only the caller's own entries; true: everything the caller may see",
    ),
];

pub const LIST_ACCOUNTS: CommandSpec = command(
    "listAccounts",
    "Lists accounts the caller can see, with their users",
    Roles::ALL,
    &[
        PAGING,
        LIST_ACCOUNTS_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this account").related("listAccounts"),
            ParamSpec::new("name", String, "Only accounts with this name"),
            ParamSpec::new("accounttype", Integer, "Only accounts of this type"),
            ParamSpec::new("state", String, "Only accounts in this state"),
            ParamSpec::new(
                "iscleanuprequired",
                Boolean,
                "Only accounts pending clean-up",
            ),
            ParamSpec::new(
                "apikeyaccess",
                String,
                "Only accounts with this API key access",
            ),
            ParamSpec::new("details", List, "Detail sets to include (all, min)"),
            ParamSpec::new("showicon", Boolean, "Include the resource icon"),
        ],
    ],
    list("account", ACCOUNT_FIELDS),
);

pub const UPDATE_ACCOUNT: CommandSpec = command(
    "updateAccount",
    "Renames an account or changes its role, network domain, details or key access",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        ACCOUNT_BY_ID_OR_NAME,
        &[
            ParamSpec::new("newname", String, "New account name"),
            ParamSpec::new("roleid", Uuid, "New role, of the same role type").related("listRoles"),
            ParamSpec::new("networkdomain", String, "New network domain"),
            ParamSpec::new("accountdetails", Map, "Details to set (key/value)"),
            ParamSpec::new("apikeyaccess", String, "Enabled, Disabled or Inherit"),
        ],
    ],
    object("account", ACCOUNT_FIELDS),
)
.event("ACCOUNT.UPDATE");

pub const ENABLE_ACCOUNT: CommandSpec = command(
    "enableAccount",
    "Enables a disabled or locked account",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[ACCOUNT_BY_ID_OR_NAME],
    object("account", ACCOUNT_FIELDS),
)
.event("ACCOUNT.ENABLE");

pub const DISABLE_ACCOUNT: CommandSpec = command(
    "disableAccount",
    "Disables an account (its users can no longer log in), or locks it with lock=true",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        ACCOUNT_BY_ID_OR_NAME,
        &[ParamSpec::new(
            "lock",
            Boolean,
            "true: lock the account instead of disabling it",
        )
        .required()],
    ],
    object("account", ACCOUNT_FIELDS),
)
.asynchronous("Account")
.event("ACCOUNT.DISABLE");

pub const LOCK_ACCOUNT: CommandSpec = command(
    "lockAccount",
    "Locks an account: its users can no longer log in",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        ParamSpec::new("account", String, "Account name").required(),
        ParamSpec::new("domainid", Uuid, "Domain of the account")
            .required()
            .related("listDomains"),
    ]],
    object("account", ACCOUNT_FIELDS),
)
.event("ACCOUNT.DISABLE");

pub const DELETE_ACCOUNT: CommandSpec = command(
    "deleteAccount",
    "Deletes an account and its users",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[ParamSpec::new("id", Uuid, "Account to delete")
        .required()
        .related("listAccounts")]],
    SUCCESS,
)
.asynchronous("Account")
.event("ACCOUNT.DELETE");
