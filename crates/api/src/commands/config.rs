//! Global settings and the capabilities the server advertises.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const CONFIGURATION_FIELDS: &[FieldSpec] = &[
    field("name", "string", "setting key"),
    field("value", "string", "current value"),
    field("defaultvalue", "string", "value when not set"),
    field("category", "string", "category of the setting"),
    field("component", "string", "component the setting belongs to"),
    field("description", "string", "what the setting does"),
    field("scope", "string", "scope of the value"),
    field("type", "string", "value type"),
    field(
        "isdynamic",
        "boolean",
        "true if a change applies without restart",
    ),
    field("options", "string", "allowed values, comma-separated"),
];

const SCOPES: &[ParamSpec] = &[
    ParamSpec::new("zoneid", Uuid, "Zone scope (not supported yet)"),
    ParamSpec::new("clusterid", Uuid, "Cluster scope (not supported yet)"),
    ParamSpec::new("storageid", Uuid, "Storage pool scope (not supported yet)"),
    ParamSpec::new("accountid", Uuid, "Account scope (not supported yet)"),
    ParamSpec::new("domainid", Uuid, "Domain scope (not supported yet)"),
    ParamSpec::new(
        "imagestoreuuid",
        Uuid,
        "Image store scope (not supported yet)",
    ),
];

/// resetConfiguration names the image store `imagestoreid` (updateConfiguration and
/// listConfigurations say `imagestoreuuid`).
const RESET_SCOPES: &[ParamSpec] = &[
    ParamSpec::new("zoneid", Uuid, "Zone scope (not supported yet)"),
    ParamSpec::new("clusterid", Uuid, "Cluster scope (not supported yet)"),
    ParamSpec::new("storageid", Uuid, "Storage pool scope (not supported yet)"),
    ParamSpec::new("accountid", Uuid, "Account scope (not supported yet)"),
    ParamSpec::new("domainid", Uuid, "Domain scope (not supported yet)"),
    ParamSpec::new(
        "imagestoreid",
        Uuid,
        "Image store scope (not supported yet)",
    ),
];

pub const LIST_CONFIGURATIONS: CommandSpec = command(
    "listConfigurations",
    "Lists global settings",
    Roles::ADMIN,
    &[
        PAGING,
        SCOPES,
        &[
            ParamSpec::new("name", String, "Only the setting with this key"),
            ParamSpec::new("category", String, "Only settings of this category"),
        ],
    ],
    list("configuration", CONFIGURATION_FIELDS),
);

pub const UPDATE_CONFIGURATION: CommandSpec = command(
    "updateConfiguration",
    "Changes a global setting",
    Roles::ADMIN,
    &[
        SCOPES,
        &[
            ParamSpec::new("name", String, "Setting key").required(),
            ParamSpec::new("value", String, "New value").length(4096),
        ],
    ],
    object("configuration", CONFIGURATION_FIELDS),
)
.event("CONFIGURATION.VALUE.EDIT");

pub const RESET_CONFIGURATION: CommandSpec = command(
    "resetConfiguration",
    "Sets a global setting back to its default",
    Roles::ADMIN,
    &[
        RESET_SCOPES,
        &[ParamSpec::new("name", String, "Setting key").required()],
    ],
    object("configuration", CONFIGURATION_FIELDS),
)
.event("CONFIGURATION.VALUE.EDIT");

pub const CAPABILITY_FIELDS: &[FieldSpec] = &[
    field(
        "cloudstackversion",
        "string",
        "CloudStack API version spoken",
    ),
    field(
        "securitygroupsenabled",
        "boolean",
        "true if a zone uses security groups",
    ),
    field(
        "userpublictemplateenabled",
        "boolean",
        "true if users may make templates public",
    ),
    field(
        "allowusercreateprojects",
        "boolean",
        "true if users may create projects",
    ),
    field(
        "allowuserviewdestroyedvm",
        "boolean",
        "true if users see destroyed VMs",
    ),
    field(
        "allowuserexpungerecovervm",
        "boolean",
        "true if users may expunge or recover VMs",
    ),
    field(
        "allowuserexpungerecovervolume",
        "boolean",
        "true if users may expunge or recover volumes",
    ),
    field(
        "allowuserviewalldomainaccounts",
        "boolean",
        "true if users see all accounts of their domain",
    ),
    field(
        "allowuserforcestopvm",
        "boolean",
        "true if users may force-stop VMs",
    ),
    field(
        "dynamicrolesenabled",
        "boolean",
        "true: role permission rules apply",
    ),
    field(
        "apilimitinterval",
        "integer",
        "API throttling interval (seconds)",
    ),
    field("apilimitmax", "integer", "API calls allowed per interval"),
    field(
        "defaultuipagesize",
        "long",
        "default page size of the web console",
    ),
    field(
        "kvmsnapshotenabled",
        "boolean",
        "true if KVM VM snapshots are allowed",
    ),
    field(
        "projectinviterequired",
        "boolean",
        "true if projects need invitations",
    ),
    field(
        "regionsecondaryenabled",
        "boolean",
        "true if region-wide secondary storage is on",
    ),
    field(
        "kubernetesserviceenabled",
        "boolean",
        "true if the Kubernetes service is on",
    ),
    field(
        "customdiskofferingminsize",
        "long",
        "smallest custom disk size (GB)",
    ),
    field(
        "customdiskofferingmaxsize",
        "long",
        "largest custom disk size (GB)",
    ),
];

pub const LIST_CAPABILITIES: CommandSpec = command(
    "listCapabilities",
    "Lists what this management server supports",
    Roles::ALL,
    &[],
    object("capability", CAPABILITY_FIELDS),
);
