//! Events: the audit trail every state-changing command writes.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

pub const EVENT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "event id"),
    field("type", "string", "event type, e.g. USER.LOGIN"),
    field("level", "string", "INFO, WARN or ERROR"),
    field(
        "state",
        "string",
        "Created, Scheduled, Started or Completed",
    ),
    field("description", "string", "what happened"),
    field("username", "string", "user who caused the event"),
    field("account", "string", "account the event belongs to"),
    field("domainid", "string", "domain id of the account"),
    field("domain", "string", "domain name of the account"),
    field("domainpath", "string", "domain path of the account"),
    field("resourceid", "string", "id of the resource concerned"),
    field("resourcetype", "string", "type of the resource concerned"),
    field("resourcename", "string", "name of the resource concerned"),
    field("parentid", "string", "the event this one completes"),
    field("archived", "boolean", "true once archived"),
    field("created", "date", "when the event happened"),
];

const SELECTION: &[ParamSpec] = &[
    ParamSpec::new("ids", List, "Event ids"),
    ParamSpec::new("type", String, "Only events of this type"),
    ParamSpec::new("startdate", Date, "Only events at or after this time"),
    ParamSpec::new("enddate", Date, "Only events at or before this time"),
];

pub const LIST_EVENTS: CommandSpec = command(
    "listEvents",
    "Lists events the caller can see, newest first",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this event").related("listEvents"),
            ParamSpec::new("type", String, "Only events of this type"),
            ParamSpec::new("level", String, "Only events of this level"),
            ParamSpec::new("state", String, "Only events in this state"),
            ParamSpec::new("startdate", Date, "Only events at or after this time"),
            ParamSpec::new("enddate", Date, "Only events at or before this time"),
            ParamSpec::new("startid", Uuid, "Only events that follow this event"),
            ParamSpec::new("resourceid", String, "Only events about this resource"),
            ParamSpec::new(
                "resourcetype",
                String,
                "Only events about this resource type",
            ),
            ParamSpec::new("archived", Boolean, "true: list archived events instead"),
            ParamSpec::new(
                "duration",
                Integer,
                "Only Started events older than this (seconds)",
            ),
            ParamSpec::new(
                "entrytime",
                Integer,
                "With duration: events entered this long ago",
            ),
            ParamSpec::new("projectid", Uuid, "Only events of this project"),
        ],
    ],
    list("event", EVENT_FIELDS),
);

pub const LIST_EVENT_TYPES: CommandSpec = command(
    "listEventTypes",
    "Lists every event type",
    Roles::ALL,
    &[],
    list("eventtype", &[field("name", "string", "event type")]),
);

pub const ARCHIVE_EVENTS: CommandSpec = command(
    "archiveEvents",
    "Archives events: they leave listEvents but are kept",
    Roles::ALL,
    &[SELECTION],
    SUCCESS,
);

pub const DELETE_EVENTS: CommandSpec = command(
    "deleteEvents",
    "Deletes events",
    Roles::ALL,
    &[SELECTION],
    SUCCESS,
);
