//! Disk offerings, and the disk parameters and fields compute offerings share with them.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

/// Hypervisor I/O throttling parameters (bytes and I/O requests per second, bursts).
pub const IO_LIMIT_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("bytesreadrate", Long, "Read limit in bytes per second"),
    ParamSpec::new(
        "bytesreadratemax",
        Long,
        "Burst read limit in bytes per second",
    ),
    ParamSpec::new(
        "bytesreadratemaxlength",
        Long,
        "How long a read burst may last, in seconds",
    ),
    ParamSpec::new("byteswriterate", Long, "Write limit in bytes per second"),
    ParamSpec::new(
        "byteswriteratemax",
        Long,
        "Burst write limit in bytes per second",
    ),
    ParamSpec::new(
        "byteswriteratemaxlength",
        Long,
        "How long a write burst may last, in seconds",
    ),
    ParamSpec::new(
        "iopsreadrate",
        Long,
        "Read limit in I/O requests per second",
    ),
    ParamSpec::new(
        "iopsreadratemax",
        Long,
        "Burst read limit in I/O requests per second",
    ),
    ParamSpec::new(
        "iopsreadratemaxlength",
        Long,
        "How long a read I/O burst may last, in seconds",
    ),
    ParamSpec::new(
        "iopswriterate",
        Long,
        "Write limit in I/O requests per second",
    ),
    ParamSpec::new(
        "iopswriteratemax",
        Long,
        "Burst write limit in I/O requests per second",
    ),
    ParamSpec::new(
        "iopswriteratemaxlength",
        Long,
        "How long a write I/O burst may last, in seconds",
    ),
];

/// Storage parameters of a disk (also given for a compute offering's root disk).
pub const DISK_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("storagetype", String, "shared (default) or local storage"),
    ParamSpec::new(
        "provisioningtype",
        String,
        "thin (default), sparse or fat volume provisioning",
    ),
    ParamSpec::new(
        "tags",
        String,
        "Storage tags (comma-separated) the primary storage must carry",
    ),
    ParamSpec::new(
        "customizediops",
        Boolean,
        "true: the IOPS are chosen when a volume is created",
    ),
    ParamSpec::new(
        "miniops",
        Long,
        "Minimum IOPS guaranteed by managed storage",
    ),
    ParamSpec::new("maxiops", Long, "Maximum IOPS allowed by managed storage"),
    ParamSpec::new(
        "hypervisorsnapshotreserve",
        Integer,
        "Extra space for hypervisor snapshots, percent of the volume size",
    ),
    ParamSpec::new(
        "cachemode",
        String,
        "none (default), writeback, writethrough or hypervisor_default",
    ),
];

/// Limits to domains and zones on create: comma-separated ids, none for public.
pub const SCOPE_PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "domainid",
        List,
        "Domains the offering is limited to (default: public)",
    ),
    ParamSpec::new(
        "zoneid",
        List,
        "Zones the offering is limited to (default: every zone)",
    ),
];

/// Limits to domains and zones on update: ids, or `public` / `all` to lift them.
pub const UPDATE_SCOPE_PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "domainid",
        String,
        "Comma-separated domain ids, or public for every domain",
    ),
    ParamSpec::new(
        "zoneid",
        String,
        "Comma-separated zone ids, or all for every zone",
    ),
];

pub const DISK_OFFERING_FIELDS: &[FieldSpec] = &[
    field("id", "string", "disk offering id"),
    field("name", "string", "disk offering name"),
    field("displaytext", "string", "description shown to users"),
    field("disksize", "long", "size in GiB (0 when chosen at use)"),
    field("created", "date", "when the offering was created"),
    field(
        "iscustomized",
        "boolean",
        "true if the size is chosen at use",
    ),
    field("storagetype", "string", "shared or local"),
    field("provisioningtype", "string", "thin, sparse or fat"),
    field("cacheMode", "string", "disk cache mode"),
    field("displayoffering", "boolean", "true if shown to end users"),
    field("tags", "string", "storage tags"),
    field(
        "iscustomizediops",
        "boolean",
        "true if the IOPS are chosen at use",
    ),
    field("miniops", "long", "minimum IOPS"),
    field("maxiops", "long", "maximum IOPS"),
    field(
        "hypervisorsnapshotreserve",
        "integer",
        "hypervisor snapshot reserve, percent",
    ),
    field("diskBytesReadRate", "long", "read limit, bytes per second"),
    field(
        "diskBytesReadRateMax",
        "long",
        "burst read limit, bytes per second",
    ),
    field(
        "diskBytesReadRateMaxLength",
        "long",
        "read burst length, seconds",
    ),
    field(
        "diskBytesWriteRate",
        "long",
        "write limit, bytes per second",
    ),
    field(
        "diskBytesWriteRateMax",
        "long",
        "burst write limit, bytes per second",
    ),
    field(
        "diskBytesWriteRateMaxLength",
        "long",
        "write burst length, seconds",
    ),
    field(
        "diskIopsReadRate",
        "long",
        "read limit, I/O requests per second",
    ),
    field(
        "diskIopsReadRateMax",
        "long",
        "burst read limit, I/O requests per second",
    ),
    field(
        "diskIopsReadRateMaxLength",
        "long",
        "read I/O burst length, seconds",
    ),
    field(
        "diskIopsWriteRate",
        "long",
        "write limit, I/O requests per second",
    ),
    field(
        "diskIopsWriteRateMax",
        "long",
        "burst write limit, I/O requests per second",
    ),
    field(
        "diskIopsWriteRateMaxLength",
        "long",
        "write I/O burst length, seconds",
    ),
    field("domainid", "string", "ids of the domains it is limited to"),
    field("domain", "string", "names of the domains it is limited to"),
    field("zoneid", "string", "ids of the zones it is limited to"),
    field("zone", "string", "names of the zones it is limited to"),
    field("encrypt", "boolean", "true if volumes are encrypted"),
    field(
        "disksizestrictness",
        "boolean",
        "true if a volume's size may not differ from the offering's",
    ),
    field("state", "string", "Active or Inactive"),
    field("hasannotations", "boolean", "true if comments are attached"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Disk offering id")
    .required()
    .related("listDiskOfferings");

pub const CREATE_DISK_OFFERING: CommandSpec = command(
    "createDiskOffering",
    "Creates a disk offering (a volume size and storage properties users may pick)",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        &[
            ParamSpec::new("name", String, "Offering name").required(),
            ParamSpec::new("displaytext", String, "Description (default: the name)"),
            ParamSpec::new("disksize", Long, "Size in GiB; required unless customized"),
            ParamSpec::new(
                "customized",
                Boolean,
                "true: the size is chosen when a volume is created",
            ),
            ParamSpec::new(
                "displayoffering",
                Boolean,
                "false hides the offering from end users (default true)",
            ),
            ParamSpec::new("encrypt", Boolean, "Encrypt volumes of this offering"),
            ParamSpec::new(
                "disksizestrictness",
                Boolean,
                "true: volumes keep exactly the offering's size",
            ),
        ],
        DISK_PARAMS,
        IO_LIMIT_PARAMS,
        SCOPE_PARAMS,
    ],
    object("diskoffering", DISK_OFFERING_FIELDS),
)
.event("DISK.OFFERING.CREATE");

pub const UPDATE_DISK_OFFERING: CommandSpec = command(
    "updateDiskOffering",
    "Changes a disk offering's name, text, order, visibility, tags, limits or scope",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        &[
            ID,
            ParamSpec::new("name", String, "New name"),
            ParamSpec::new("displaytext", String, "New description"),
            ParamSpec::new("sortkey", Integer, "Position in lists (ascending)"),
            ParamSpec::new(
                "displayoffering",
                Boolean,
                "false hides the offering from end users",
            ),
            ParamSpec::new("tags", String, "New storage tags (empty removes them)"),
            ParamSpec::new("state", String, "Active or Inactive"),
            ParamSpec::new(
                "cachemode",
                String,
                "none, writeback, writethrough or hypervisor_default",
            ),
        ],
        IO_LIMIT_PARAMS,
        UPDATE_SCOPE_PARAMS,
    ],
    object("diskoffering", DISK_OFFERING_FIELDS),
)
.event("DISK.OFFERING.EDIT");

pub const DELETE_DISK_OFFERING: CommandSpec = command(
    "deleteDiskOffering",
    "Removes a disk offering; volumes that use it keep it",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[ID]],
    SUCCESS,
)
.event("DISK.OFFERING.DELETE");

pub const LIST_DISK_OFFERINGS: CommandSpec = command(
    "listDiskOfferings",
    "Lists the disk offerings available to the caller",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this offering").related("listDiskOfferings"),
            ParamSpec::new("name", String, "Only offerings with this name"),
            ParamSpec::new("domainid", Uuid, "Only offerings limited to this domain")
                .related("listDomains"),
            ParamSpec::new(
                "isrecursive",
                Boolean,
                "Admins: include offerings of the domains below the caller's",
            ),
            ParamSpec::new("zoneid", Uuid, "Only offerings available in this zone")
                .related("listZones"),
            ParamSpec::new("state", String, "Active (default), Inactive or all"),
            ParamSpec::new("storagetype", String, "Only shared or only local offerings"),
            ParamSpec::new(
                "encrypt",
                Boolean,
                "Only offerings that encrypt (or do not)",
            ),
        ],
    ],
    list("diskoffering", DISK_OFFERING_FIELDS),
);
