//! Volumes: create, attach, detach, resize, migrate, destroy, recover, delete, list;
//! uploads from a URL or a browser and extraction.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::templates::{EXTRACT_FIELDS, EXTRACT_MODE, UPLOAD_FIELDS};
use super::{OWNER_SCOPE, PAGING};

pub const VOLUME_FIELDS: &[FieldSpec] = &[
    field("id", "string", "volume id"),
    field("name", "string", "volume name"),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("type", "string", "ROOT or DATADISK"),
    field("deviceid", "long", "device slot on its VM"),
    field("virtualmachineid", "string", "VM it is attached to"),
    field("vmname", "string", "that VM's name"),
    field("vmdisplayname", "string", "that VM's display name"),
    field("vmstate", "string", "that VM's state"),
    field("vmtype", "string", "that VM's type"),
    field("size", "long", "size in bytes"),
    field("created", "date", "when it was created"),
    field("attached", "date", "when it was attached"),
    field(
        "state",
        "string",
        "Allocated, Ready, Resizing, Migrating, Destroy, ...",
    ),
    field("destroyed", "boolean", "true if destroyed (recoverable)"),
    field("storageid", "string", "primary storage pool id (admins)"),
    field("storage", "string", "primary storage pool name (admins)"),
    field("storagetype", "string", "shared or local"),
    field("diskofferingid", "string", "disk offering id"),
    field("diskofferingname", "string", "disk offering name"),
    field(
        "diskofferingdisplaytext",
        "string",
        "disk offering description",
    ),
    field("provisioningtype", "string", "thin, sparse or fat"),
    field("path", "string", "path on its pool"),
    field("hypervisor", "string", "hypervisor of its VM"),
    field("templateid", "string", "template a root volume came from"),
    field("templatename", "string", "that template's name"),
    field("snapshotid", "string", "snapshot it was created from"),
    field("displayvolume", "boolean", "true if shown to its owner"),
    field("isextractable", "boolean", "true if it may be extracted"),
    field(
        "status",
        "string",
        "progress of an upload (\"40% Uploaded\", \"Upload Complete\", the error)",
    ),
    field("tags", "list", "resource tags"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const VOLUME_ID: ParamSpec = ParamSpec::new("id", Uuid, "Volume id")
    .required()
    .related("listVolumes");

pub const CREATE_VOLUME: CommandSpec = command(
    "createVolume",
    "Creates a data volume: a record until it is attached to a VM",
    Roles::ALL,
    &[&[
        ParamSpec::new("name", String, "Volume name"),
        ParamSpec::new("zoneid", Uuid, "Zone (needed unless snapshotid)").related("listZones"),
        ParamSpec::new(
            "diskofferingid",
            Uuid,
            "Disk offering (needed unless snapshotid)",
        )
        .related("listDiskOfferings"),
        ParamSpec::new("size", Long, "Size in GB, for custom-size offerings"),
        ParamSpec::new("snapshotid", Uuid, "Snapshot to create it from").related("listSnapshots"),
        ParamSpec::new("virtualmachineid", Uuid, "Attach it to this VM at once")
            .related("listVirtualMachines"),
        ParamSpec::new(
            "displayvolume",
            Boolean,
            "false: hide it from its owner (admins)",
        ),
        ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
        ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.CREATE");

pub const ATTACH_VOLUME: CommandSpec = command(
    "attachVolume",
    "Attaches a data volume to a VM (hot-plugged when it runs)",
    Roles::ALL,
    &[&[
        VOLUME_ID,
        ParamSpec::new("virtualmachineid", Uuid, "VM to attach it to")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new(
            "deviceid",
            Long,
            "Device slot (default: the first free one)",
        ),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.ATTACH");

pub const DETACH_VOLUME: CommandSpec = command(
    "detachVolume",
    "Detaches a data volume from its VM",
    Roles::ALL,
    &[&[
        ParamSpec::new("id", Uuid, "Volume id").related("listVolumes"),
        ParamSpec::new("virtualmachineid", Uuid, "VM (with deviceid)")
            .related("listVirtualMachines"),
        ParamSpec::new(
            "deviceid",
            Long,
            "Device slot on the VM (with virtualmachineid)",
        ),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.DETACH");

pub const RESIZE_VOLUME: CommandSpec = command(
    "resizeVolume",
    "Changes a volume's size, directly or through another disk offering",
    Roles::ALL,
    &[&[
        VOLUME_ID,
        ParamSpec::new("size", Long, "New size in GB"),
        ParamSpec::new("diskofferingid", Uuid, "New disk offering").related("listDiskOfferings"),
        ParamSpec::new("shrinkok", Boolean, "true: allow making it smaller"),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.RESIZE");

pub const MIGRATE_VOLUME: CommandSpec = command(
    "migrateVolume",
    "Moves a volume to another primary storage pool",
    Roles::ALL,
    &[&[
        ParamSpec::new("volumeid", Uuid, "Volume id")
            .required()
            .related("listVolumes"),
        ParamSpec::new("storageid", Uuid, "Destination pool")
            .required()
            .related("listStoragePools"),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.MIGRATE");

pub const DELETE_VOLUME: CommandSpec = command(
    "deleteVolume",
    "Deletes a detached volume and frees its storage",
    Roles::ALL,
    &[&[VOLUME_ID]],
    SUCCESS,
)
.event("VOLUME.DELETE");

pub const DESTROY_VOLUME: CommandSpec = command(
    "destroyVolume",
    "Destroys a detached volume (recoverable until expunged)",
    Roles::ALL,
    &[&[
        VOLUME_ID,
        ParamSpec::new("expunge", Boolean, "true: delete it at once"),
    ]],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.DESTROY");

pub const RECOVER_VOLUME: CommandSpec = command(
    "recoverVolume",
    "Recovers a destroyed volume",
    Roles::ALL,
    &[&[VOLUME_ID]],
    object("volume", VOLUME_FIELDS),
)
.event("VOLUME.RECOVER");

pub const LIST_VOLUMES: CommandSpec = command(
    "listVolumes",
    "Lists volumes",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this volume"),
            ParamSpec::new("ids", List, "Only these volumes"),
            ParamSpec::new("name", String, "Only volumes with this name"),
            ParamSpec::new("type", String, "Only ROOT or DATADISK volumes"),
            ParamSpec::new("state", String, "Only volumes in this state"),
            ParamSpec::new("virtualmachineid", Uuid, "Only volumes of this VM")
                .related("listVirtualMachines"),
            ParamSpec::new("zoneid", Uuid, "Only volumes in this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only volumes in this pod (admins)").related("listPods"),
            ParamSpec::new("clusterid", Uuid, "Only volumes in this cluster (admins)")
                .related("listClusters"),
            ParamSpec::new("hostid", Uuid, "Only volumes of VMs on this host (admins)")
                .related("listHosts"),
            ParamSpec::new("storageid", Uuid, "Only volumes on this pool (admins)")
                .related("listStoragePools"),
            ParamSpec::new("diskofferingid", Uuid, "Only volumes of this offering")
                .related("listDiskOfferings"),
            ParamSpec::new(
                "displayvolume",
                Boolean,
                "Only shown (true) or hidden volumes",
            ),
        ],
    ],
    list("volume", VOLUME_FIELDS),
);

/// Parameters shared by uploadVolume and getUploadParamsForVolume.
const UPLOAD_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("name", String, "Volume name").required(),
    ParamSpec::new("zoneid", Uuid, "Zone whose image store receives the image")
        .required()
        .related("listZones"),
    ParamSpec::new("format", String, "QCOW2, RAW, VHD or VMDK").required(),
    ParamSpec::new(
        "checksum",
        String,
        "{MD5}, {SHA-1}, {SHA-256} or {SHA-512} followed by the hex digest (bare hex: MD5)",
    ),
    ParamSpec::new(
        "diskofferingid",
        Uuid,
        "A custom-size disk offering for the volume",
    )
    .related("listDiskOfferings"),
    ParamSpec::new(
        "imagestoreuuid",
        String,
        "Image store of the zone to put it in (default: the first)",
    ),
    ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
    ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
];

pub const UPLOAD_VOLUME: CommandSpec = command(
    "uploadVolume",
    "Uploads a data volume from a URL into the zone's image store",
    Roles::ALL,
    &[
        UPLOAD_PARAMS,
        &[
            ParamSpec::new("url", String, "http(s) URL of the disk image")
                .required()
                .length(2048),
        ],
    ],
    object("volume", VOLUME_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.UPLOAD");

pub const GET_UPLOAD_PARAMS_FOR_VOLUME: CommandSpec = command(
    "getUploadParamsForVolume",
    "Creates a data volume to be uploaded from a local file and the signed POST to send it",
    Roles::ALL,
    &[UPLOAD_PARAMS],
    object("getuploadparams", UPLOAD_FIELDS),
)
.legacy_response_name("postuploadvolumeresponse");

pub const EXTRACT_VOLUME: CommandSpec = command(
    "extractVolume",
    "Makes a time-limited URL to download a volume",
    Roles::ALL,
    &[&[
        VOLUME_ID,
        EXTRACT_MODE,
        ParamSpec::new("zoneid", Uuid, "Zone of the volume")
            .required()
            .related("listZones"),
    ]],
    object("volume", EXTRACT_FIELDS),
)
.asynchronous("Volume")
.event("VOLUME.EXTRACT");
