//! Users: the logins of an account, and their API keys.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const USER_FIELDS: &[FieldSpec] = &[
    field("id", "string", "user id"),
    field("username", "string", "login name"),
    field("firstname", "string", "first name"),
    field("lastname", "string", "last name"),
    field("email", "string", "e-mail address"),
    field("state", "string", "enabled, disabled or locked"),
    field("account", "string", "account name"),
    field("accountid", "string", "account id"),
    field(
        "accounttype",
        "integer",
        "0 user, 1 root admin, 2 domain admin, 3 resource admin",
    ),
    field("roleid", "string", "role id of the account"),
    field("rolename", "string", "role name of the account"),
    field("roletype", "string", "role type of the account"),
    field("domain", "string", "domain name"),
    field("domainid", "string", "domain id"),
    field("created", "date", "when the user was created"),
    field("timezone", "string", "the user's time zone"),
    field("apikey", "string", "API key, when one was registered"),
    field("apikeyaccess", "string", "Enabled, Disabled or Inherit"),
    field(
        "isdefault",
        "boolean",
        "true for the users created at installation",
    ),
    field(
        "iscallerchilddomain",
        "boolean",
        "true if the user is in a sub-domain of the caller's domain",
    ),
    field(
        "usersource",
        "string",
        "where the user authenticates: native",
    ),
    field(
        "is2faenabled",
        "boolean",
        "true if two-factor authentication is on",
    ),
    field(
        "is2famandated",
        "boolean",
        "true if two-factor authentication is required",
    ),
];

pub const USER_KEYS_FIELDS: &[FieldSpec] = &[
    field("apikey", "string", "API key"),
    field(
        "secretkey",
        "string",
        "secret key, shown only to those allowed to see it",
    ),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "User id")
    .required()
    .related("listUsers");

const PASSWORD: ParamSpec = ParamSpec::new("password", String, "Password in clear text");

pub const CREATE_USER: CommandSpec = command(
    "createUser",
    "Creates a user in an existing account",
    Roles::ADMINS,
    &[&[
        ParamSpec::new("account", String, "Account to add the user to").required(),
        ParamSpec::new(
            "domainid",
            Uuid,
            "Domain of the account; the caller's by default",
        )
        .related("listDomains"),
        ParamSpec::new("username", String, "Login name, unique in the domain").required(),
        PASSWORD.required(),
        ParamSpec::new("email", String, "E-mail address").required(),
        ParamSpec::new("firstname", String, "First name").required(),
        ParamSpec::new("lastname", String, "Last name").required(),
        ParamSpec::new("timezone", String, "Time zone, e.g. Europe/Paris"),
        ParamSpec::new("userid", Uuid, "Use this UUID for the new user"),
    ]],
    object("user", USER_FIELDS),
)
.event("USER.CREATE");

pub const LIST_USERS: CommandSpec = command(
    "listUsers",
    "Lists users the caller can see",
    Roles::ALL,
    &[
        PAGING,
        super::OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this user").related("listUsers"),
            ParamSpec::new("username", String, "Only users with this login name"),
            ParamSpec::new(
                "accounttype",
                Integer,
                "Only users of accounts of this type",
            ),
            ParamSpec::new("state", String, "Only users in this state"),
            ParamSpec::new(
                "apikeyaccess",
                String,
                "Only users with this API key access",
            ),
            ParamSpec::new("usersource", String, "Only users from this source"),
            ParamSpec::new("showicon", Boolean, "Include the resource icon"),
        ],
    ],
    list("user", USER_FIELDS),
);

pub const UPDATE_USER: CommandSpec = command(
    "updateUser",
    "Changes a user's names, e-mail, time zone, password or keys",
    Roles::ALL,
    &[&[
        ID,
        ParamSpec::new("username", String, "New login name"),
        ParamSpec::new("firstname", String, "New first name"),
        ParamSpec::new("lastname", String, "New last name"),
        ParamSpec::new("email", String, "New e-mail address"),
        ParamSpec::new("timezone", String, "New time zone"),
        PASSWORD,
        ParamSpec::new(
            "currentpassword",
            String,
            "The current password; required when users change their own password",
        ),
        ParamSpec::new("userapikey", String, "New API key (admins only)"),
        ParamSpec::new("usersecretkey", String, "New secret key (admins only)"),
        ParamSpec::new("apikeyaccess", String, "Enabled, Disabled or Inherit"),
    ]],
    object("user", USER_FIELDS),
)
.event("USER.UPDATE");

pub const DELETE_USER: CommandSpec = command(
    "deleteUser",
    "Deletes a user",
    Roles::ADMINS,
    &[&[ID]],
    SUCCESS,
)
.event("USER.DELETE");

pub const ENABLE_USER: CommandSpec = command(
    "enableUser",
    "Enables a disabled or locked user",
    Roles::ADMINS,
    &[&[ID]],
    object("user", USER_FIELDS),
)
.event("USER.ENABLE");

pub const DISABLE_USER: CommandSpec = command(
    "disableUser",
    "Disables a user: it can no longer log in or use its keys",
    Roles::ADMINS,
    &[&[ID]],
    object("user", USER_FIELDS),
)
.asynchronous("User")
.event("USER.DISABLE");

pub const LOCK_USER: CommandSpec = command(
    "lockUser",
    "Locks a user: it can no longer log in until enabled again",
    Roles::ADMINS,
    &[&[ID]],
    object("user", USER_FIELDS),
)
.event("USER.LOCK");

pub const REGISTER_USER_KEYS: CommandSpec = command(
    "registerUserKeys",
    "Generates a new API key and secret key for a user, replacing the old pair",
    Roles::ALL,
    &[&[ID]],
    object("userkeys", USER_KEYS_FIELDS),
)
.event("REGISTER.USER.KEY");

pub const GET_USER_KEYS: CommandSpec = command(
    "getUserKeys",
    "Returns a user's API key and secret key",
    Roles::ALL,
    &[&[ID]],
    object("userkeys", USER_KEYS_FIELDS),
);

pub const GET_USER: CommandSpec = command(
    "getUser",
    "Finds the user that owns an API key",
    Roles::ADMINS,
    &[&[ParamSpec::new("userapikey", String, "API key of the user").required()]],
    object("user", USER_FIELDS),
);
