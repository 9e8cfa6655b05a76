//! Resource limits and counts of accounts and domains.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const LIMIT_FIELDS: &[FieldSpec] = &[
    field("account", "string", "account the limit applies to"),
    field(
        "domainid",
        "string",
        "domain (of the account) the limit applies to",
    ),
    field("domain", "string", "domain name"),
    field("domainpath", "string", "domain path"),
    field(
        "resourcetype",
        "string",
        "resource type number: 0 instance, 1 public IP, 2 volume, 3 snapshot, 4 template, \
         5 project, 6 network, 7 VPC, 8 CPU, 9 memory, 10 primary storage, 11 secondary storage",
    ),
    field(
        "resourcetypename",
        "string",
        "resource type name, e.g. user_vm",
    ),
    field(
        "max",
        "long",
        "the limit (-1: unlimited); GiB for storage, MiB for memory",
    ),
];

pub const COUNT_FIELDS: &[FieldSpec] = &[
    field("account", "string", "account counted"),
    field("domainid", "string", "domain counted (or the account's)"),
    field("domain", "string", "domain name"),
    field("domainpath", "string", "domain path"),
    field("resourcetype", "string", "resource type number"),
    field(
        "resourcetypename",
        "string",
        "resource type name, e.g. user_vm",
    ),
    field(
        "resourcecount",
        "long",
        "amount in use; bytes for storage, MiB for memory",
    ),
];

const RESOURCE_TYPE: ParamSpec = ParamSpec::new(
    "resourcetype",
    Integer,
    "Resource type number, 0 (instances) to 11 (secondary storage)",
);

pub const LIST_RESOURCE_LIMITS: CommandSpec = command(
    "listResourceLimits",
    "Lists the resource limits of an account (the caller's by default) or a domain",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new(
                "account",
                String,
                "Account name; use together with domainid",
            ),
            ParamSpec::new(
                "domainid",
                Uuid,
                "The domain's limits, or with account the account's domain",
            )
            .related("listDomains"),
            RESOURCE_TYPE,
            ParamSpec::new(
                "resourcetypename",
                String,
                "Resource type name, e.g. user_vm",
            ),
        ],
    ],
    list("resourcelimit", LIMIT_FIELDS),
);

pub const UPDATE_RESOURCE_LIMIT: CommandSpec = command(
    "updateResourceLimit",
    "Sets the limit of one resource type for an account or a domain",
    Roles::ADMINS,
    &[&[
        ParamSpec::new(
            "account",
            String,
            "Account name; use together with domainid",
        ),
        ParamSpec::new(
            "domainid",
            Uuid,
            "The domain to limit, or with account the account's domain",
        )
        .related("listDomains"),
        RESOURCE_TYPE.required(),
        ParamSpec::new(
            "max",
            Long,
            "The limit, -1 (the default) for none; GiB for storage, MiB for memory",
        ),
    ]],
    object("resourcelimit", LIMIT_FIELDS),
);

pub const UPDATE_RESOURCE_COUNT: CommandSpec = command(
    "updateResourceCount",
    "Recounts what an account, or every account and domain of a domain, uses",
    Roles::ADMINS,
    &[&[
        ParamSpec::new("account", String, "Account name in the domain"),
        ParamSpec::new(
            "domainid",
            Uuid,
            "The domain to recount, or the account's domain",
        )
        .required()
        .related("listDomains"),
        ParamSpec::new(
            "resourcetype",
            Integer,
            "Only this resource type (0 to 11); all by default",
        ),
    ]],
    list("resourcecount", COUNT_FIELDS),
);

/// A response field list (`with_usage_fields![field(..), ..]`) followed by the limit,
/// total and available fields of every resource type, as account and domain responses
/// carry them (`vmlimit`, `vmtotal`, `vmavailable`, …).
macro_rules! with_usage_fields {
    ($($f:expr),* $(,)?) => {
        with_usage_fields!(@ [$($f),*]
            vm "instances" "long",
            ip "public IP addresses" "long",
            volume "volumes" "long",
            snapshot "snapshots" "long",
            template "templates and ISOs" "long",
            project "projects" "long",
            network "networks" "long",
            vpc "VPCs" "long",
            cpu "CPU cores" "long",
            memory "memory (MiB)" "long",
            primarystorage "primary storage (GiB)" "long",
            secondarystorage "secondary storage (GiB)" "double")
    };
    (@ [$($f:expr),*] $($p:ident $what:literal $total:literal),*) => {
        &[
            $($f,)*
            $(
                field(
                    concat!(stringify!($p), "limit"),
                    "string",
                    concat!("limit of ", $what, "; Unlimited for none"),
                ),
                field(concat!(stringify!($p), "total"), $total, concat!($what, " in use")),
                field(
                    concat!(stringify!($p), "available"),
                    "string",
                    concat!($what, " that may still be added; Unlimited for no limit"),
                ),
            )*
        ]
    };
}
pub(crate) use with_usage_fields;
