//! Templates and ISOs: registration, lists, updates, copies between zones, extraction
//! and launch permissions. ISO commands are the templates' twins.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

pub const TEMPLATE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "template id"),
    field("name", "string", "template name"),
    field("displaytext", "string", "description"),
    field("ispublic", "boolean", "true if every account may use it"),
    field("created", "date", "when it was registered"),
    field(
        "isready",
        "boolean",
        "true once it is on the zone's image store",
    ),
    field(
        "passwordenabled",
        "boolean",
        "true if the guest can have its password reset",
    ),
    field(
        "format",
        "string",
        "image format: QCOW2, RAW, VHD, OVA, ISO",
    ),
    field("isfeatured", "boolean", "true if it is featured"),
    field(
        "crossZones",
        "boolean",
        "true if it is registered in every zone",
    ),
    field("ostypeid", "string", "guest OS type id"),
    field("ostypename", "string", "guest OS type name"),
    field("account", "string", "owner account"),
    field("accountid", "string", "owner account id"),
    field("zoneid", "string", "zone of this entry"),
    field("zonename", "string", "name of that zone"),
    field("status", "string", "download status, e.g. 35% Downloaded"),
    field("size", "long", "virtual size of the image in bytes"),
    field(
        "physicalsize",
        "long",
        "bytes the image takes on the image store",
    ),
    field(
        "templatetype",
        "string",
        "USER, BUILTIN, SYSTEM, ROUTING or PERHOST",
    ),
    field("hypervisor", "string", "hypervisor the image is for"),
    field("domain", "string", "owner's domain"),
    field("domainid", "string", "owner's domain id"),
    field("domainpath", "string", "path of the owner's domain"),
    field(
        "isextractable",
        "boolean",
        "true if it may be downloaded again",
    ),
    field("checksum", "string", "checksum given at registration"),
    field("details", "map", "template details"),
    field(
        "downloaddetails",
        "list",
        "per image store: downloadState, datastore, downloadPercent",
    ),
    field("bits", "integer", "32 or 64"),
    field("sshkeyenabled", "boolean", "true if SSH keys can be reset"),
    field(
        "isdynamicallyscalable",
        "boolean",
        "true if CPU/RAM can change while running",
    ),
    field(
        "directdownload",
        "boolean",
        "true if hosts fetch it directly",
    ),
    field(
        "deployasis",
        "boolean",
        "true if deployed with its own settings",
    ),
    field(
        "requireshvm",
        "boolean",
        "true if it needs hardware virtualisation",
    ),
    field("url", "string", "where it was downloaded from"),
    field("tags", "list", "resource tags"),
    field("arch", "string", "CPU architecture"),
    field("templatetag", "string", "tag of the template"),
    field(
        "sourcetemplateid",
        "string",
        "template this one was made from",
    ),
    field("bootable", "boolean", "true if an ISO is bootable"),
    field("hasannotations", "boolean", "true if it has comments"),
];

pub(crate) const EXTRACT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "template, ISO or volume id"),
    field("name", "string", "its name"),
    field("accountid", "string", "owner account id"),
    field("state", "string", "DOWNLOAD_URL_CREATED"),
    field("zoneid", "string", "zone of the copy served"),
    field("zonename", "string", "name of that zone"),
    field("extractMode", "string", "HTTP_DOWNLOAD"),
    field("url", "string", "time-limited download URL"),
    field("created", "date", "when the URL was made"),
    field("status", "string", "extraction status"),
    field("uploadpercentage", "integer", "100 once the URL is ready"),
];

const PERMISSION_FIELDS: &[FieldSpec] = &[
    field("id", "string", "template or ISO id"),
    field("ispublic", "boolean", "true if every account may use it"),
    field("domainid", "string", "owner's domain id"),
    field("account", "list", "accounts it is shared with"),
];

const TEMPLATE_ID: ParamSpec = ParamSpec::new("id", Uuid, "Template id")
    .required()
    .related("listTemplates");
const ISO_ID: ParamSpec = ParamSpec::new("id", Uuid, "ISO id")
    .required()
    .related("listIsos");

/// Owner and visibility parameters shared by registerTemplate and registerIso.
const REGISTER_COMMON: &[ParamSpec] = &[
    ParamSpec::new("name", String, "Name").required(),
    ParamSpec::new("displaytext", String, "Description (default: the name)").length(4096),
    ParamSpec::new("url", String, "http(s) URL to download the image from")
        .required()
        .length(2048),
    ParamSpec::new(
        "checksum",
        String,
        "{MD5}, {SHA-1}, {SHA-256} or {SHA-512} followed by the hex digest (bare hex: MD5)",
    ),
    ParamSpec::new("ostypeid", Uuid, "Guest OS type").related("listOsTypes"),
    ParamSpec::new("ispublic", Boolean, "true: every account may use it"),
    ParamSpec::new("isfeatured", Boolean, "true: show it as featured (admins)"),
    ParamSpec::new("isextractable", Boolean, "true: it may be downloaded again"),
    ParamSpec::new(
        "passwordenabled",
        Boolean,
        "true: the guest supports password reset",
    ),
    ParamSpec::new(
        "isdynamicallyscalable",
        Boolean,
        "true: CPU/RAM can change while running",
    ),
    ParamSpec::new(
        "arch",
        String,
        "CPU architecture: x86_64 (default) or aarch64",
    ),
    ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
    ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
];

pub const REGISTER_TEMPLATE: CommandSpec = command(
    "registerTemplate",
    "Registers a template: the image is downloaded from the URL into the zone's image stores",
    Roles::ALL,
    &[
        REGISTER_COMMON,
        &[
            ParamSpec::new("format", String, "QCOW2, RAW, VHD, OVA or VMDK").required(),
            ParamSpec::new("hypervisor", String, "Hypervisor the image is for").required(),
            ParamSpec::new("zoneid", Uuid, "Zone (-1 or none: every zone)"),
            ParamSpec::new("zoneids", List, "Zones to register it in"),
            ParamSpec::new("bits", Integer, "32 or 64 (default)"),
            ParamSpec::new("sshkeyenabled", Boolean, "true: SSH keys can be reset"),
            ParamSpec::new(
                "requireshvm",
                Boolean,
                "true: needs hardware virtualisation",
            ),
            ParamSpec::new("templatetag", String, "A tag for the template"),
            ParamSpec::new(
                "templatetype",
                String,
                "USER (default), BUILTIN, SYSTEM, ROUTING (admins)",
            ),
            ParamSpec::new(
                "details",
                Map,
                "Details: details[0].key=k&details[0].value=v",
            ),
        ],
    ],
    list("template", TEMPLATE_FIELDS),
)
.event("TEMPLATE.CREATE");

pub const REGISTER_ISO: CommandSpec = command(
    "registerIso",
    "Registers an ISO: the image is downloaded from the URL into the zone's image stores",
    Roles::ALL,
    &[
        REGISTER_COMMON,
        &[
            ParamSpec::new("zoneid", Uuid, "Zone, or -1 for every zone").required(),
            ParamSpec::new("bootable", Boolean, "true (default): the ISO can boot a VM"),
        ],
    ],
    list("iso", TEMPLATE_FIELDS),
)
.event("ISO.CREATE");

/// Filters shared by listTemplates and listIsos.
const LIST_COMMON: &[ParamSpec] = &[
    ParamSpec::new("id", Uuid, "Only this one"),
    ParamSpec::new("name", String, "Only entries with this name"),
    ParamSpec::new("zoneid", Uuid, "Only entries in this zone").related("listZones"),
    ParamSpec::new("hypervisor", String, "Only entries for this hypervisor"),
    ParamSpec::new(
        "isready",
        Boolean,
        "Only entries ready (or not) in their zone",
    ),
    ParamSpec::new(
        "showunique",
        Boolean,
        "One entry per template instead of one per zone",
    ),
    ParamSpec::new("imagestoreid", Uuid, "Only entries on this image store")
        .related("listImageStores"),
    ParamSpec::new("oscategoryid", Uuid, "Only entries of this OS category")
        .related("listOsCategories"),
    ParamSpec::new("arch", String, "Only entries of this CPU architecture"),
];

pub const LIST_TEMPLATES: CommandSpec = command(
    "listTemplates",
    "Lists templates, one entry per zone they are in",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        LIST_COMMON,
        &[
            ParamSpec::new(
                "templatefilter",
                String,
                "featured, self, selfexecutable, sharedexecutable, executable, community or all",
            )
            .required(),
            ParamSpec::new("ids", List, "Only these templates"),
            ParamSpec::new("templatetype", String, "Only templates of this type"),
        ],
    ],
    list("template", TEMPLATE_FIELDS),
);

pub const LIST_ISOS: CommandSpec = command(
    "listIsos",
    "Lists ISOs, one entry per zone they are in",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        LIST_COMMON,
        &[
            ParamSpec::new(
                "isofilter",
                String,
                "featured, self, selfexecutable, sharedexecutable, executable, community or all (default)",
            ),
            ParamSpec::new("bootable", Boolean, "Only bootable (or non-bootable) ISOs"),
            ParamSpec::new("ispublic", Boolean, "Only public (or private) ISOs"),
        ],
    ],
    list("iso", TEMPLATE_FIELDS),
);

/// Changeable attributes shared by updateTemplate and updateIso.
const UPDATE_COMMON: &[ParamSpec] = &[
    ParamSpec::new("name", String, "New name"),
    ParamSpec::new("displaytext", String, "New description").length(4096),
    ParamSpec::new("ostypeid", Uuid, "New guest OS type").related("listOsTypes"),
    ParamSpec::new("format", String, "Corrected image format"),
    ParamSpec::new("passwordenabled", Boolean, "Guest supports password reset"),
    ParamSpec::new("sshkeyenabled", Boolean, "Guest supports SSH key reset"),
    ParamSpec::new("bootable", Boolean, "Bootable"),
    ParamSpec::new("requireshvm", Boolean, "Needs hardware virtualisation"),
    ParamSpec::new(
        "isdynamicallyscalable",
        Boolean,
        "CPU/RAM can change while running",
    ),
    ParamSpec::new("sortkey", Integer, "Position in lists"),
    ParamSpec::new("arch", String, "CPU architecture"),
];

pub const UPDATE_TEMPLATE: CommandSpec = command(
    "updateTemplate",
    "Changes a template's attributes",
    Roles::ALL,
    &[
        UPDATE_COMMON,
        &[
            TEMPLATE_ID,
            ParamSpec::new("templatetype", String, "New type (admins)"),
            ParamSpec::new("templatetag", String, "New tag"),
        ],
    ],
    object("template", TEMPLATE_FIELDS),
)
.event("TEMPLATE.UPDATE");

pub const UPDATE_ISO: CommandSpec = command(
    "updateIso",
    "Changes an ISO's attributes",
    Roles::ALL,
    &[UPDATE_COMMON, &[ISO_ID]],
    object("iso", TEMPLATE_FIELDS),
)
.event("ISO.UPDATE");

pub const DELETE_TEMPLATE: CommandSpec = command(
    "deleteTemplate",
    "Deletes a template from one zone, or from every zone",
    Roles::ALL,
    &[&[
        TEMPLATE_ID,
        ParamSpec::new("zoneid", Uuid, "Only from this zone").related("listZones"),
    ]],
    SUCCESS,
)
.asynchronous("Template")
.event("TEMPLATE.DELETE");

pub const DELETE_ISO: CommandSpec = command(
    "deleteIso",
    "Deletes an ISO from one zone, or from every zone",
    Roles::ALL,
    &[&[
        ISO_ID,
        ParamSpec::new("zoneid", Uuid, "Only from this zone").related("listZones"),
    ]],
    SUCCESS,
)
.asynchronous("Iso")
.event("ISO.DELETE");

const COPY_PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "sourcezoneid",
        Uuid,
        "Zone to copy from (default: one where it is ready)",
    )
    .related("listZones"),
    ParamSpec::new("destzoneid", Uuid, "Zone to copy to").related("listZones"),
    ParamSpec::new("destzoneids", List, "Zones to copy to"),
];

pub const COPY_TEMPLATE: CommandSpec = command(
    "copyTemplate",
    "Copies a template to other zones' image stores",
    Roles::ALL,
    &[&[TEMPLATE_ID], COPY_PARAMS],
    object("template", TEMPLATE_FIELDS),
)
.asynchronous("Template")
.event("TEMPLATE.COPY");

pub const COPY_ISO: CommandSpec = command(
    "copyIso",
    "Copies an ISO to other zones' image stores",
    Roles::ALL,
    &[&[ISO_ID], COPY_PARAMS],
    object("template", TEMPLATE_FIELDS),
)
.asynchronous("Iso")
.event("ISO.COPY");

pub(crate) const EXTRACT_MODE: ParamSpec =
    ParamSpec::new("mode", String, "HTTP_DOWNLOAD (the only mode)").required();

pub const EXTRACT_TEMPLATE: CommandSpec = command(
    "extractTemplate",
    "Makes a time-limited URL to download a template",
    Roles::ALL,
    &[&[
        TEMPLATE_ID,
        EXTRACT_MODE,
        ParamSpec::new("zoneid", Uuid, "Zone whose copy is served").related("listZones"),
    ]],
    object("template", EXTRACT_FIELDS),
)
.asynchronous("Template")
.event("TEMPLATE.EXTRACT");

pub const EXTRACT_ISO: CommandSpec = command(
    "extractIso",
    "Makes a time-limited URL to download an ISO",
    Roles::ALL,
    &[&[
        ISO_ID,
        EXTRACT_MODE,
        ParamSpec::new("zoneid", Uuid, "Zone whose copy is served").related("listZones"),
    ]],
    object("iso", EXTRACT_FIELDS),
)
.asynchronous("Iso")
.event("ISO.EXTRACT");

const PERMISSION_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("op", String, "add, remove or reset (with accounts)"),
    ParamSpec::new(
        "accounts",
        List,
        "Account names to share with (same domain)",
    ),
    ParamSpec::new("ispublic", Boolean, "Make it public or private"),
    ParamSpec::new("isfeatured", Boolean, "Make it featured (admins)"),
    ParamSpec::new("isextractable", Boolean, "Allow downloading it again"),
];

pub const UPDATE_TEMPLATE_PERMISSIONS: CommandSpec = command(
    "updateTemplatePermissions",
    "Shares a template with accounts, or makes it public, featured or extractable",
    Roles::ALL,
    &[&[TEMPLATE_ID], PERMISSION_PARAMS],
    SUCCESS,
)
.event("TEMPLATE.UPDATE");

pub const UPDATE_ISO_PERMISSIONS: CommandSpec = command(
    "updateIsoPermissions",
    "Shares an ISO with accounts, or makes it public, featured or extractable",
    Roles::ALL,
    &[&[ISO_ID], PERMISSION_PARAMS],
    SUCCESS,
)
.event("ISO.UPDATE");

pub const LIST_TEMPLATE_PERMISSIONS: CommandSpec = command(
    "listTemplatePermissions",
    "Lists the accounts a template is shared with",
    Roles::ALL,
    &[&[TEMPLATE_ID]],
    object("templatepermission", PERMISSION_FIELDS),
);

pub const LIST_ISO_PERMISSIONS: CommandSpec = command(
    "listIsoPermissions",
    "Lists the accounts an ISO is shared with",
    Roles::ALL,
    &[&[ISO_ID]],
    object("templatepermission", PERMISSION_FIELDS),
)
.legacy_response_name("listtemplatepermissionsresponse");

pub(crate) const UPLOAD_FIELDS: &[FieldSpec] = &[
    field("id", "string", "the new template, ISO or volume"),
    field(
        "postURL",
        "string",
        "where to POST the file (multipart, field \"file\")",
    ),
    field("metadata", "string", "send back as the X-metadata header"),
    field("expires", "string", "send back as the X-expires header"),
    field("signature", "string", "send back as the X-signature header"),
];

/// Owner and visibility parameters of the upload twins of registerTemplate/registerIso.
const UPLOAD_COMMON: &[ParamSpec] = &[
    ParamSpec::new("name", String, "Name").required(),
    ParamSpec::new("displaytext", String, "Description (default: the name)").length(4096),
    ParamSpec::new("zoneid", Uuid, "Zone whose image store receives the file")
        .required()
        .related("listZones"),
    ParamSpec::new("format", String, "Image format").required(),
    ParamSpec::new("checksum", String, "Checksum the uploaded file must have"),
    ParamSpec::new("ostypeid", Uuid, "Guest OS type").related("listOsTypes"),
    ParamSpec::new("ispublic", Boolean, "true: every account may use it"),
    ParamSpec::new("isfeatured", Boolean, "true: show it as featured (admins)"),
    ParamSpec::new("isextractable", Boolean, "true: it may be downloaded again"),
    ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
    ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
];

pub const GET_UPLOAD_PARAMS_FOR_TEMPLATE: CommandSpec = command(
    "getUploadParamsForTemplate",
    "Creates a template to be uploaded from a local file and the signed POST to send it",
    Roles::ALL,
    &[
        UPLOAD_COMMON,
        &[
            ParamSpec::new("hypervisor", String, "Hypervisor the image is for").required(),
            ParamSpec::new(
                "passwordenabled",
                Boolean,
                "true: the guest supports password reset",
            ),
            ParamSpec::new("sshkeyenabled", Boolean, "true: SSH keys can be reset"),
            ParamSpec::new(
                "requireshvm",
                Boolean,
                "true: needs hardware virtualisation",
            ),
            ParamSpec::new(
                "isdynamicallyscalable",
                Boolean,
                "true: CPU/RAM can change while running",
            ),
            ParamSpec::new("bits", Integer, "32 or 64 (default)"),
            ParamSpec::new(
                "arch",
                String,
                "CPU architecture: x86_64 (default) or aarch64",
            ),
            ParamSpec::new("templatetag", String, "A tag for the template"),
            ParamSpec::new(
                "templatetype",
                String,
                "USER (default), BUILTIN, SYSTEM, ROUTING (admins)",
            ),
            ParamSpec::new(
                "details",
                Map,
                "Details: details[0].key=k&details[0].value=v",
            ),
        ],
    ],
    object("getuploadparams", UPLOAD_FIELDS),
)
.legacy_response_name("postuploadtemplateresponse");

pub const GET_UPLOAD_PARAMS_FOR_ISO: CommandSpec = command(
    "getUploadParamsForIso",
    "Creates an ISO to be uploaded from a local file and the signed POST to send it",
    Roles::ALL,
    &[
        UPLOAD_COMMON,
        &[ParamSpec::new(
            "bootable",
            Boolean,
            "true (default): the ISO can boot a VM",
        )],
    ],
    object("getuploadparams", UPLOAD_FIELDS),
)
.legacy_response_name("postuploadisoresponse");

pub const PREPARE_TEMPLATE: CommandSpec = command(
    "prepareTemplate",
    "Copies a template into a zone's primary storage ahead of its first deploy",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("templateid", Uuid, "The template")
            .required()
            .related("listTemplates"),
        ParamSpec::new("zoneid", Uuid, "Zone whose pools get the template")
            .required()
            .related("listZones"),
        ParamSpec::new(
            "storageid",
            Uuid,
            "Only this primary storage pool (default: every pool of the zone)",
        )
        .related("listStoragePools"),
    ]],
    list("template", TEMPLATE_FIELDS),
);
