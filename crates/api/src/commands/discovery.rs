//! API discovery: what this server implements.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

pub const LIST_APIS: CommandSpec = command(
    "listApis",
    "Lists the commands the caller may call, with their parameters and responses",
    Roles::ALL,
    &[&[ParamSpec::new("name", String, "Only this command")]],
    list(
        "api",
        &[
            field("name", "string", "command name"),
            field("description", "string", "what the command does"),
            field("isasync", "boolean", "true if the command returns a job id"),
            field(
                "since",
                "string",
                "CloudStack version that added the command",
            ),
            field("related", "string", "related commands"),
            field("type", "string", "response object type"),
            field(
                "params",
                "list",
                "parameters: name, description, type, length, required, related",
            ),
            field(
                "response",
                "list",
                "response fields: name, description, type",
            ),
        ],
    ),
);
