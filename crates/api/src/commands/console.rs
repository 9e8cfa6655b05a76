//! The VM console: createConsoleEndpoint hands out a short-lived signed URL the server's
//! console proxy accepts.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

pub const CONSOLE_ENDPOINT_FIELDS: &[FieldSpec] = &[
    field("success", "boolean", "true if a console can be opened"),
    field("details", "string", "why not, when success is false"),
    field(
        "url",
        "string",
        "the console URL (also a websocket endpoint speaking RFB)",
    ),
    field(
        "websocket",
        "object",
        "token, host, port, path and extra of the websocket",
    ),
];

pub const CREATE_CONSOLE_ENDPOINT: CommandSpec = command(
    "createConsoleEndpoint",
    "Creates a short-lived URL to the console of a running instance",
    Roles::ALL,
    &[&[
        ParamSpec::new("virtualmachineid", Uuid, "The instance")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new(
            "token",
            String,
            "Extra token the client must present again when it connects \
             (consoleproxy.extra.security.validation.enabled)",
        ),
    ]],
    object("consoleendpoint", CONSOLE_ENDPOINT_FIELDS),
);
