//! Alerts: infrastructure problems for administrators (hosts that lost their agent, ...).

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const ALERT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "alert id"),
    field(
        "type",
        "integer",
        "alert type (CloudStack's AlertType), e.g. 7 for hosts",
    ),
    field("name", "string", "alert type name, e.g. ALERT.COMPUTE.HOST"),
    field("description", "string", "what happened"),
    field("sent", "date", "when the alert was raised"),
];

const SELECTION: &[ParamSpec] = &[
    ParamSpec::new("ids", List, "Alert ids").related("listAlerts"),
    ParamSpec::new("type", String, "Only alerts of this type (a number)"),
    ParamSpec::new(
        "startdate",
        Date,
        "Only alerts raised at or after this time; needs enddate",
    ),
    ParamSpec::new("enddate", Date, "Only alerts raised at or before this time"),
];

pub const LIST_ALERTS: CommandSpec = command(
    "listAlerts",
    "Lists alerts that are not archived, most recent first",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this alert").related("listAlerts"),
            ParamSpec::new("type", String, "Only alerts of this type (a number)"),
            ParamSpec::new(
                "name",
                String,
                "Only alerts with this name, e.g. ALERT.COMPUTE.HOST",
            ),
        ],
    ],
    list("alert", ALERT_FIELDS),
);

pub const ARCHIVE_ALERTS: CommandSpec = command(
    "archiveAlerts",
    "Archives alerts: they leave listAlerts but are kept",
    Roles::ADMIN,
    &[SELECTION],
    SUCCESS,
);

pub const DELETE_ALERTS: CommandSpec = command(
    "deleteAlerts",
    "Deletes alerts",
    Roles::ADMIN,
    &[SELECTION],
    SUCCESS,
);
