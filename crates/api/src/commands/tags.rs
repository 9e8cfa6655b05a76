//! Resource tags: key/value pairs on templates, ISOs, VMs, volumes and more.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

const TAG_FIELDS: &[FieldSpec] = &[
    field("key", "string", "tag key"),
    field("value", "string", "tag value"),
    field("resourcetype", "string", "type of the tagged resource"),
    field("resourceid", "string", "id of the tagged resource"),
    field("account", "string", "owner of the tagged resource"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("customer", "string", "customer the tag was made for"),
];

const RESOURCES: &[ParamSpec] = &[
    ParamSpec::new("resourceids", List, "Ids of the resources").required(),
    ParamSpec::new(
        "resourcetype",
        String,
        "Type of the resources: Template, ISO, UserVm, Volume, ...",
    )
    .required(),
];

pub const CREATE_TAGS: CommandSpec = CommandSpec {
    is_async: true,
    ..command(
        "createTags",
        "Tags resources with key/value pairs",
        Roles::ALL,
        &[
            RESOURCES,
            &[
                ParamSpec::new("tags", Map, "Tags: tags[0].key=k&tags[0].value=v").required(),
                ParamSpec::new("customer", String, "Customer the tags are made for"),
            ],
        ],
        SUCCESS,
    )
}
.event("CREATE_TAGS");

pub const DELETE_TAGS: CommandSpec = CommandSpec {
    is_async: true,
    ..command(
        "deleteTags",
        "Removes tags from resources: all, those with the given keys, or key/value pairs",
        Roles::ALL,
        &[
            RESOURCES,
            &[ParamSpec::new(
                "tags",
                Map,
                "Tags to remove: tags[0].key=k (any value) or with tags[0].value=v",
            )],
        ],
        SUCCESS,
    )
}
.event("DELETE_TAGS");

pub const LIST_TAGS: CommandSpec = command(
    "listTags",
    "Lists resource tags",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("resourcetype", String, "Only tags of this resource type"),
            ParamSpec::new("resourceid", String, "Only tags of this resource"),
            ParamSpec::new("key", String, "Only tags with this key"),
            ParamSpec::new("value", String, "Only tags with this value"),
            ParamSpec::new("customer", String, "Only tags made for this customer"),
        ],
    ],
    list("tag", TAG_FIELDS),
);
