//! Zones.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const ZONE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "zone id"),
    field("name", "string", "zone name"),
    field("description", "string", "zone description"),
    field("networktype", "string", "Basic or Advanced"),
    field("dns1", "string", "first public DNS server"),
    field("dns2", "string", "second public DNS server"),
    field(
        "internaldns1",
        "string",
        "first DNS server for system VMs and routers",
    ),
    field("internaldns2", "string", "second internal DNS server"),
    field("ip6dns1", "string", "first IPv6 DNS server"),
    field("ip6dns2", "string", "second IPv6 DNS server"),
    field(
        "guestcidraddress",
        "string",
        "default CIDR of guest networks (Advanced zones)",
    ),
    field("domain", "string", "network domain of the zone"),
    field("domainid", "string", "domain the zone is dedicated to"),
    field("domainname", "string", "name of that domain"),
    field("allocationstate", "string", "Enabled or Disabled"),
    field(
        "localstorageenabled",
        "boolean",
        "true if VMs may use host-local storage",
    ),
    field(
        "securitygroupsenabled",
        "boolean",
        "true if the zone uses security groups",
    ),
    field("dhcpprovider", "string", "DHCP provider of the zone"),
    field("type", "string", "Core or Edge"),
    field("tags", "list", "resource tags"),
];

const ID: ParamSpec = ParamSpec::new("id", Uuid, "Zone id")
    .required()
    .related("listZones");

pub const CREATE_ZONE: CommandSpec = command(
    "createZone",
    "Creates a zone (disabled until enabled with updateZone)",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("name", String, "Zone name").required(),
        ParamSpec::new("networktype", String, "Basic or Advanced").required(),
        ParamSpec::new("dns1", String, "First public DNS server").required(),
        ParamSpec::new("dns2", String, "Second public DNS server"),
        ParamSpec::new("internaldns1", String, "First internal DNS server").required(),
        ParamSpec::new("internaldns2", String, "Second internal DNS server"),
        ParamSpec::new("ip6dns1", String, "First IPv6 DNS server"),
        ParamSpec::new("ip6dns2", String, "Second IPv6 DNS server"),
        ParamSpec::new(
            "guestcidraddress",
            String,
            "Default guest network CIDR (Advanced)",
        ),
        ParamSpec::new("domain", String, "Network domain of the zone"),
        ParamSpec::new("domainid", Uuid, "Dedicate the zone to this domain").related("listDomains"),
        ParamSpec::new("allocationstate", String, "Enabled or Disabled (default)"),
        ParamSpec::new(
            "localstorageenabled",
            Boolean,
            "Allow host-local storage for VMs",
        ),
        ParamSpec::new("securitygroupenabled", Boolean, "Use security groups"),
        ParamSpec::new("isedge", Boolean, "Create an Edge zone"),
    ]],
    object("zone", ZONE_FIELDS),
)
.event("ZONE.CREATE");

pub const LIST_ZONES: CommandSpec = command(
    "listZones",
    "Lists zones; non-admins see enabled zones available to them",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this zone").related("listZones"),
            ParamSpec::new("ids", List, "Only these zones"),
            ParamSpec::new("name", String, "Only the zone with this name"),
            ParamSpec::new("networktype", String, "Only Basic or Advanced zones"),
            ParamSpec::new(
                "available",
                Boolean,
                "true: only zones the caller can deploy in",
            ),
            ParamSpec::new("domainid", Uuid, "Only zones visible to this domain")
                .related("listDomains"),
            ParamSpec::new(
                "showcapacities",
                Boolean,
                "Include capacities (not supported yet)",
            ),
        ],
    ],
    list("zone", ZONE_FIELDS),
);

pub const UPDATE_ZONE: CommandSpec = command(
    "updateZone",
    "Changes a zone's name, DNS servers, guest CIDR or allocation state",
    Roles::ADMIN,
    &[&[
        ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("dns1", String, "First public DNS server"),
        ParamSpec::new("dns2", String, "Second public DNS server"),
        ParamSpec::new("internaldns1", String, "First internal DNS server"),
        ParamSpec::new("internaldns2", String, "Second internal DNS server"),
        ParamSpec::new("ip6dns1", String, "First IPv6 DNS server"),
        ParamSpec::new("ip6dns2", String, "Second IPv6 DNS server"),
        ParamSpec::new("guestcidraddress", String, "Default guest network CIDR"),
        ParamSpec::new("domain", String, "Network domain"),
        ParamSpec::new("allocationstate", String, "Enabled or Disabled"),
        ParamSpec::new(
            "localstorageenabled",
            Boolean,
            "Allow host-local storage for VMs",
        ),
    ]],
    object("zone", ZONE_FIELDS),
)
.event("ZONE.EDIT");

pub const DELETE_ZONE: CommandSpec = command(
    "deleteZone",
    "Deletes a zone that holds no pods, networks or storage",
    Roles::ADMIN,
    &[&[ID]],
    SUCCESS,
)
.event("ZONE.DELETE");
