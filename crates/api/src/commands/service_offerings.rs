//! Compute (service) offerings.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;
use super::disk_offerings::{DISK_PARAMS, IO_LIMIT_PARAMS, SCOPE_PARAMS, UPDATE_SCOPE_PARAMS};

pub const SERVICE_OFFERING_FIELDS: &[FieldSpec] = &[
    field("id", "string", "compute offering id"),
    field("name", "string", "compute offering name"),
    field("displaytext", "string", "description shown to users"),
    field("cpunumber", "integer", "number of CPUs (fixed offerings)"),
    field("cpuspeed", "integer", "CPU speed in MHz"),
    field("memory", "integer", "memory in MiB (fixed offerings)"),
    field("created", "date", "when the offering was created"),
    field("storagetype", "string", "shared or local root disk storage"),
    field("provisioningtype", "string", "thin, sparse or fat"),
    field(
        "offerha",
        "boolean",
        "true if VMs are restarted elsewhere on failure",
    ),
    field(
        "limitcpuuse",
        "boolean",
        "true if VMs are capped at their CPU share",
    ),
    field(
        "isvolatile",
        "boolean",
        "true if the root disk is replaced on reboot",
    ),
    field("storagetags", "string", "storage tags of the root disk"),
    field("hosttags", "string", "host tags VMs must run on"),
    field("issystem", "boolean", "true for system VM offerings"),
    field(
        "defaultuse",
        "boolean",
        "true if the system uses it by default",
    ),
    field(
        "systemvmtype",
        "string",
        "system VM type of a system offering",
    ),
    field("domainid", "string", "ids of the domains it is limited to"),
    field("domain", "string", "names of the domains it is limited to"),
    field("zoneid", "string", "ids of the zones it is limited to"),
    field("zone", "string", "names of the zones it is limited to"),
    field("networkrate", "integer", "network rate limit in Mbit/s"),
    field(
        "iscustomized",
        "boolean",
        "true if CPU and memory are chosen at deployment",
    ),
    field(
        "iscustomizediops",
        "boolean",
        "true if the root disk IOPS are chosen at use",
    ),
    field("miniops", "long", "minimum IOPS of the root disk"),
    field("maxiops", "long", "maximum IOPS of the root disk"),
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
    field("cacheMode", "string", "root disk cache mode"),
    field(
        "rootdisksize",
        "long",
        "root disk size in GiB (0: the template's)",
    ),
    field(
        "dynamicscalingenabled",
        "boolean",
        "true if running VMs may be scaled",
    ),
    field(
        "diskofferingstrictness",
        "boolean",
        "true if the root disk offering may not be changed",
    ),
    field("diskofferingid", "string", "disk offering of the root disk"),
    field("diskofferingname", "string", "name of that disk offering"),
    field(
        "diskofferingdisplaytext",
        "string",
        "description of that disk offering",
    ),
    field(
        "encryptroot",
        "boolean",
        "true if the root disk is encrypted",
    ),
    field("state", "string", "Active or Inactive"),
    field(
        "serviceofferingdetails",
        "map",
        "extra settings, such as the CPU and memory bounds of a customized offering",
    ),
    field("hasannotations", "boolean", "true if comments are attached"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Compute offering id")
    .required()
    .related("listServiceOfferings");

pub const CREATE_SERVICE_OFFERING: CommandSpec = command(
    "createServiceOffering",
    "Creates a compute offering (CPU, memory and root disk of a VM)",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        &[
            ParamSpec::new("name", String, "Offering name").required(),
            ParamSpec::new("displaytext", String, "Description (default: the name)"),
            ParamSpec::new("cpunumber", Integer, "Number of CPUs (fixed offerings)"),
            ParamSpec::new("cpuspeed", Integer, "CPU speed in MHz"),
            ParamSpec::new("memory", Integer, "Memory in MiB (fixed offerings)"),
            ParamSpec::new(
                "customized",
                Boolean,
                "true: CPUs and memory are chosen at deployment",
            ),
            ParamSpec::new(
                "mincpunumber",
                Integer,
                "Customized offerings: fewest CPUs allowed",
            ),
            ParamSpec::new(
                "maxcpunumber",
                Integer,
                "Customized offerings: most CPUs allowed",
            ),
            ParamSpec::new(
                "minmemory",
                Integer,
                "Customized offerings: least MiB allowed",
            ),
            ParamSpec::new(
                "maxmemory",
                Integer,
                "Customized offerings: most MiB allowed",
            ),
            ParamSpec::new(
                "offerha",
                Boolean,
                "Restart VMs elsewhere when a host fails",
            ),
            ParamSpec::new("limitcpuuse", Boolean, "Cap VMs at their CPU share"),
            ParamSpec::new(
                "isvolatile",
                Boolean,
                "Replace the root disk with a fresh one at every reboot",
            ),
            ParamSpec::new("hosttags", String, "Host tags (comma-separated) VMs need"),
            ParamSpec::new("issystem", Boolean, "An offering for system VMs"),
            ParamSpec::new(
                "systemvmtype",
                String,
                "With issystem: domainrouter (default), consoleproxy, secondarystoragevm \
                 or internalloadbalancervm",
            ),
            ParamSpec::new("networkrate", Integer, "Network rate limit in Mbit/s"),
            ParamSpec::new("rootdisksize", Long, "Root disk size in GiB"),
            ParamSpec::new(
                "diskofferingid",
                Uuid,
                "Disk offering for the root disk instead of the storage parameters here",
            )
            .related("listDiskOfferings"),
            ParamSpec::new(
                "diskofferingstrictness",
                Boolean,
                "true: the root disk offering may not be overridden or changed",
            ),
            ParamSpec::new(
                "dynamicscalingenabled",
                Boolean,
                "Allow scaling running VMs (default true)",
            ),
            ParamSpec::new("encryptroot", Boolean, "Encrypt root disks"),
        ],
        DISK_PARAMS,
        IO_LIMIT_PARAMS,
        SCOPE_PARAMS,
    ],
    object("serviceoffering", SERVICE_OFFERING_FIELDS),
)
.event("SERVICE.OFFERING.CREATE");

pub const UPDATE_SERVICE_OFFERING: CommandSpec = command(
    "updateServiceOffering",
    "Changes a compute offering's name, text, order, state, tags or scope",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[
        &[
            ID,
            ParamSpec::new("name", String, "New name"),
            ParamSpec::new("displaytext", String, "New description"),
            ParamSpec::new("sortkey", Integer, "Position in lists (ascending)"),
            ParamSpec::new("state", String, "Active or Inactive"),
            ParamSpec::new(
                "storagetags",
                String,
                "New storage tags of the root disk (empty removes them)",
            ),
            ParamSpec::new("hosttags", String, "New host tags (empty removes them)"),
        ],
        UPDATE_SCOPE_PARAMS,
    ],
    object("serviceoffering", SERVICE_OFFERING_FIELDS),
)
.event("SERVICE.OFFERING.EDIT");

pub const DELETE_SERVICE_OFFERING: CommandSpec = command(
    "deleteServiceOffering",
    "Removes a compute offering; VMs that use it keep it",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[ID]],
    SUCCESS,
)
.event("SERVICE.OFFERING.DELETE");

pub const LIST_SERVICE_OFFERINGS: CommandSpec = command(
    "listServiceOfferings",
    "Lists the compute offerings available to the caller",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this offering").related("listServiceOfferings"),
            ParamSpec::new("name", String, "Only offerings with this name"),
            ParamSpec::new(
                "issystem",
                Boolean,
                "Root admins: true lists system VM offerings",
            ),
            ParamSpec::new(
                "systemvmtype",
                String,
                "Only system offerings of this system VM type",
            ),
            ParamSpec::new("domainid", Uuid, "Only offerings limited to this domain")
                .related("listDomains"),
            ParamSpec::new(
                "isrecursive",
                Boolean,
                "Admins: include offerings of the domains below the caller's",
            ),
            ParamSpec::new("zoneid", Uuid, "Only offerings available in this zone")
                .related("listZones"),
            ParamSpec::new(
                "cpunumber",
                Integer,
                "Only offerings that can give a VM this many CPUs",
            ),
            ParamSpec::new(
                "memory",
                Integer,
                "Only offerings that can give a VM this much memory (MiB)",
            ),
            ParamSpec::new(
                "cpuspeed",
                Integer,
                "Only offerings with at least this CPU speed (MHz)",
            ),
            ParamSpec::new("state", String, "Active (default), Inactive or all"),
            ParamSpec::new(
                "storagetype",
                String,
                "Only offerings whose root disk is shared or local",
            ),
            ParamSpec::new(
                "encryptroot",
                Boolean,
                "Only offerings that encrypt root disks (or do not)",
            ),
        ],
    ],
    list("serviceoffering", SERVICE_OFFERING_FIELDS),
);
