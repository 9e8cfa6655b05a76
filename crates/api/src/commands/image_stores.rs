//! Image (secondary) stores.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const IMAGE_STORE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "image store id"),
    field("name", "string", "image store name"),
    field("zoneid", "string", "zone of the store"),
    field("zonename", "string", "name of that zone"),
    field("url", "string", "where the store is"),
    field("protocol", "string", "access protocol, e.g. nfs"),
    field("providername", "string", "image store provider, e.g. NFS"),
    field("scope", "string", "ZONE or REGION"),
    field(
        "readonly",
        "boolean",
        "true if no new templates, ISOs or snapshots go here",
    ),
    field("disksizetotal", "long", "capacity in bytes, when known"),
    field("disksizeused", "long", "bytes in use, when known"),
    field(
        "hasannotations",
        "boolean",
        "true if the store has comments",
    ),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Image store id")
    .required()
    .related("listImageStores");

pub const ADD_IMAGE_STORE: CommandSpec = command(
    "addImageStore",
    "Adds an image (secondary) store for templates, ISOs and snapshots",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("provider", String, "Image store provider, e.g. NFS").required(),
        ParamSpec::new("url", String, "nfs://host/path or file:///path"),
        ParamSpec::new("zoneid", Uuid, "Zone of the store (none: region-wide)")
            .related("listZones"),
        ParamSpec::new("name", String, "Name (default: the URL)"),
        ParamSpec::new(
            "details",
            Map,
            "Provider settings: details[0].key=k&details[0].value=v",
        ),
    ]],
    object("imagestore", IMAGE_STORE_FIELDS),
);

pub const ADD_SECONDARY_STORAGE: CommandSpec = command(
    "addSecondaryStorage",
    "Adds an NFS secondary storage (older form of addImageStore)",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("url", String, "nfs://host/path of the store").required(),
        ParamSpec::new("zoneid", Uuid, "Zone of the store").related("listZones"),
    ]],
    object("secondarystorage", IMAGE_STORE_FIELDS),
);

pub const LIST_IMAGE_STORES: CommandSpec = command(
    "listImageStores",
    "Lists image (secondary) stores",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this store").related("listImageStores"),
            ParamSpec::new("name", String, "Only stores with this name"),
            ParamSpec::new("zoneid", Uuid, "Only stores of this zone").related("listZones"),
            ParamSpec::new("protocol", String, "Only stores using this protocol"),
            ParamSpec::new("provider", String, "Only stores of this provider"),
            ParamSpec::new("readonly", Boolean, "Only read-only (or writable) stores"),
        ],
    ],
    list("imagestore", IMAGE_STORE_FIELDS),
);

pub const UPDATE_IMAGE_STORE: CommandSpec = command(
    "updateImageStore",
    "Renames an image store, marks it read-only or writable, or sets its capacity",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("readonly", Boolean, "true: accept no new objects"),
        ParamSpec::new("capacitybytes", Long, "Capacity in bytes"),
    ]],
    object("imagestore", IMAGE_STORE_FIELDS),
)
.event("IMAGE.STORE.ACCESS.UPDATED")
.legacy_response_name("updateImageStoreresponse");

pub const DELETE_IMAGE_STORE: CommandSpec = command(
    "deleteImageStore",
    "Removes an image store that holds no templates, ISOs, volumes or snapshots",
    Roles::ADMIN,
    &[&[ID]],
    SUCCESS,
);
