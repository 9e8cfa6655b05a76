//! Primary storage pools.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const STORAGE_POOL_FIELDS: &[FieldSpec] = &[
    field("id", "string", "pool id"),
    field("name", "string", "pool name"),
    field("zoneid", "string", "zone of the pool"),
    field("zonename", "string", "name of that zone"),
    field("podid", "string", "pod of a cluster-wide pool"),
    field("podname", "string", "name of that pod"),
    field("clusterid", "string", "cluster of a cluster-wide pool"),
    field("clustername", "string", "name of that cluster"),
    field("ipaddress", "string", "address of the storage server"),
    field("path", "string", "path or pool name on the storage server"),
    field("created", "date", "when the pool was added"),
    field(
        "type",
        "string",
        "pool type, e.g. NetworkFilesystem, Filesystem, RBD",
    ),
    field("scope", "string", "CLUSTER, ZONE or HOST"),
    field("hypervisor", "string", "hypervisor of a zone-wide pool"),
    field("state", "string", "Up, Disabled, Maintenance, ..."),
    field("provider", "string", "storage provider name"),
    field("disksizetotal", "long", "capacity in bytes"),
    field("disksizeallocated", "long", "bytes allocated to volumes"),
    field("disksizeused", "long", "bytes in use"),
    field("capacityiops", "long", "IOPS the pool offers"),
    field(
        "overprovisionfactor",
        "string",
        "factor applied to the capacity for allocation",
    ),
    field("tags", "string", "comma-separated storage tags"),
    field(
        "managed",
        "boolean",
        "true if CloudStack manages the volumes' LUNs",
    ),
    field(
        "storagecapabilities",
        "map",
        "what the storage driver can do",
    ),
    field("details", "map", "extra settings of the pool"),
    field("hasannotations", "boolean", "true if the pool has comments"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Storage pool id")
    .required()
    .related("listStoragePools");

pub const CREATE_STORAGE_POOL: CommandSpec = command(
    "createStoragePool",
    "Adds primary storage to a cluster or, zone-wide, to a zone",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("name", String, "Name of the pool").required(),
        ParamSpec::new(
            "url",
            String,
            "Where the storage is: nfs://host/path, file:///path, sharedmountpoint:///path, rbd://…",
        )
        .required(),
        ParamSpec::new("zoneid", Uuid, "Zone of the pool")
            .required()
            .related("listZones"),
        ParamSpec::new("podid", Uuid, "Pod of a cluster-wide pool").related("listPods"),
        ParamSpec::new("clusterid", Uuid, "Cluster of a cluster-wide pool")
            .related("listClusters"),
        ParamSpec::new("scope", String, "cluster (default) or zone"),
        ParamSpec::new(
            "hypervisor",
            String,
            "Hypervisor of a zone-wide pool (KVM, VMware, Hyperv, LXC, Any, Simulator)",
        ),
        ParamSpec::new(
            "provider",
            String,
            "Storage provider (default DefaultPrimary)",
        ),
        ParamSpec::new("capacitybytes", Long, "Capacity in bytes"),
        ParamSpec::new("capacityiops", Long, "IOPS the pool offers"),
        ParamSpec::new("tags", String, "Comma-separated storage tags"),
        ParamSpec::new("managed", Boolean, "Whether volumes' LUNs are managed"),
        ParamSpec::new("details", Map, "Extra settings: details[0].name=value"),
    ]],
    object("storagepool", STORAGE_POOL_FIELDS),
);

pub const LIST_STORAGE_POOLS: CommandSpec = command(
    "listStoragePools",
    "Lists primary storage pools",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this pool").related("listStoragePools"),
            ParamSpec::new("name", String, "Only pools with this name"),
            ParamSpec::new("zoneid", Uuid, "Only pools of this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only pools of this pod").related("listPods"),
            ParamSpec::new("clusterid", Uuid, "Only pools of this cluster").related("listClusters"),
            ParamSpec::new("scope", String, "Only CLUSTER, ZONE or HOST pools"),
            ParamSpec::new("status", String, "Only pools in this state"),
            ParamSpec::new("ipaddress", String, "Only pools on this storage server"),
            ParamSpec::new("path", String, "Only pools with this path"),
        ],
    ],
    list("storagepool", STORAGE_POOL_FIELDS),
);

pub const UPDATE_STORAGE_POOL: CommandSpec = command(
    "updateStoragePool",
    "Renames a pool, changes its tags or capacity, or enables/disables it",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("tags", List, "New storage tags (replace the old ones)"),
        ParamSpec::new("capacitybytes", Long, "New capacity in bytes"),
        ParamSpec::new("capacityiops", Long, "New IOPS capacity"),
        ParamSpec::new(
            "enabled",
            Boolean,
            "false: no new volumes are placed here; true: enable again",
        ),
    ]],
    object("storagepool", STORAGE_POOL_FIELDS),
);

pub const DELETE_STORAGE_POOL: CommandSpec = command(
    "deleteStoragePool",
    "Removes a primary storage pool that holds no volumes",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new(
            "forced",
            Boolean,
            "Also remove when destroyed volumes remain",
        ),
    ]],
    SUCCESS,
);

pub const ENABLE_STORAGE_MAINTENANCE: CommandSpec = command(
    "enableStorageMaintenance",
    "Puts a primary storage pool into maintenance",
    Roles::ADMIN,
    &[&[ID]],
    object("storagepool", STORAGE_POOL_FIELDS),
)
.asynchronous("StoragePool")
.event("MAINT.PREPARE.PS")
.legacy_response_name("prepareprimarystorageformaintenanceresponse");

pub const CANCEL_STORAGE_MAINTENANCE: CommandSpec = command(
    "cancelStorageMaintenance",
    "Takes a primary storage pool out of maintenance",
    Roles::ADMIN,
    &[&[ID]],
    object("storagepool", STORAGE_POOL_FIELDS),
)
.asynchronous("StoragePool")
.event("MAINT.CANCEL.PS")
.legacy_response_name("cancelprimarystoragemaintenanceresponse");
