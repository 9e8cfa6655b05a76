//! Domains: the tree accounts live in.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;
use super::resource_limits::with_usage_fields;

pub const DOMAIN_FIELDS: &[FieldSpec] = with_usage_fields![
    field("id", "string", "domain id"),
    field("name", "string", "domain name"),
    field("level", "integer", "depth in the tree; ROOT is 0"),
    field("parentdomainid", "string", "parent domain id"),
    field("parentdomainname", "string", "parent domain name"),
    field("haschild", "boolean", "true if the domain has sub-domains"),
    field(
        "networkdomain",
        "string",
        "network domain given to guest networks",
    ),
    field("path", "string", "full path, e.g. ROOT/Sales"),
    field("state", "string", "Active or Inactive"),
    field("created", "date", "when the domain was created"),
];

pub const CREATE_DOMAIN: CommandSpec = command(
    "createDomain",
    "Creates a domain under a parent domain",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        ParamSpec::new("name", String, "Name of the new domain").required(),
        ParamSpec::new("parentdomainid", Uuid, "Parent domain; ROOT by default")
            .related("listDomains"),
        ParamSpec::new("networkdomain", String, "Network domain for guest networks"),
        ParamSpec::new("domainid", Uuid, "Use this UUID for the new domain"),
    ]],
    object("domain", DOMAIN_FIELDS),
)
.event("DOMAIN.CREATE");

pub const LIST_DOMAINS: CommandSpec = command(
    "listDomains",
    "Lists domains the caller can see",
    Roles::ADMINS,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this domain").related("listDomains"),
            ParamSpec::new("name", String, "Only domains with this name"),
            ParamSpec::new("level", Integer, "Only domains at this depth"),
            ParamSpec::new("listall", Boolean, "true: the whole visible subtree"),
            ParamSpec::new(
                "details",
                List,
                "Detail sets to include (all, resource, min)",
            ),
        ],
    ],
    list("domain", DOMAIN_FIELDS),
);

pub const LIST_DOMAIN_CHILDREN: CommandSpec = command(
    "listDomainChildren",
    "Lists the sub-domains of a domain",
    Roles::ADMINS,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Parent domain; the caller's domain by default")
                .related("listDomains"),
            ParamSpec::new("name", String, "Only children with this name"),
            ParamSpec::new(
                "isrecursive",
                Boolean,
                "true: all descendants, not just children",
            ),
            ParamSpec::new(
                "listall",
                Boolean,
                "true: all descendants, not just children",
            ),
        ],
    ],
    list("domain", DOMAIN_FIELDS),
);

pub const UPDATE_DOMAIN: CommandSpec = command(
    "updateDomain",
    "Renames a domain or changes its network domain",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        ParamSpec::new("id", Uuid, "Domain to update")
            .required()
            .related("listDomains"),
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("networkdomain", String, "New network domain"),
    ]],
    object("domain", DOMAIN_FIELDS),
)
.event("DOMAIN.UPDATE");

pub const DELETE_DOMAIN: CommandSpec = command(
    "deleteDomain",
    "Deletes a domain; with cleanup=true also its sub-domains and accounts",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        ParamSpec::new("id", Uuid, "Domain to delete")
            .required()
            .related("listDomains"),
        ParamSpec::new(
            "cleanup",
            Boolean,
            "true: delete sub-domains and accounts too; false: refuse if any exist",
        ),
    ]],
    SUCCESS,
)
.asynchronous("Domain")
.event("DOMAIN.DELETE");
