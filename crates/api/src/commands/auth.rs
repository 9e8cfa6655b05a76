//! Session log-in and log-out.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

pub const LOGIN_FIELDS: &[FieldSpec] = &[
    field("username", "string", "login name"),
    field("userid", "string", "user id"),
    field("domainid", "string", "domain id"),
    field("timeout", "integer", "session idle timeout in seconds"),
    field("account", "string", "account name"),
    field("firstname", "string", "first name"),
    field("lastname", "string", "last name"),
    field("type", "string", "account type as a number"),
    field("timezone", "string", "the user's time zone"),
    field(
        "timezoneoffset",
        "string",
        "offset of that time zone in hours",
    ),
    field("registered", "string", "false"),
    field(
        "sessionkey",
        "string",
        "session key to send with every call",
    ),
    field(
        "is2faenabled",
        "string",
        "whether two-factor authentication is on",
    ),
    field(
        "is2faverified",
        "string",
        "whether this session passed two-factor authentication",
    ),
    field(
        "issuerfor2fa",
        "string",
        "issuer shown by authenticator apps",
    ),
    field(
        "managementserverid",
        "string",
        "management server id (root admins)",
    ),
];

pub const LOGIN: CommandSpec = command(
    "login",
    "Logs a user in and starts a session (POST only)",
    Roles::ALL,
    &[&[
        ParamSpec::new("username", String, "Login name").required(),
        ParamSpec::new("password", String, "Password in clear text").required(),
        ParamSpec::new(
            "domain",
            String,
            "Domain path, e.g. / or /Sales/; ROOT by default",
        ),
        ParamSpec::new("domainid", Uuid, "Domain id; wins over domain").related("listDomains"),
    ]],
    flat(LOGIN_FIELDS),
);

pub const LOGOUT: CommandSpec = command(
    "logout",
    "Ends the session",
    Roles::ALL,
    &[],
    flat(&[field("description", "string", "success")]),
);
