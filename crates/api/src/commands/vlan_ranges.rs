//! Public IP ranges of a zone (CloudStack's VLAN IP ranges).

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const VLAN_FIELDS: &[FieldSpec] = &[
    field("id", "string", "range id"),
    field(
        "forvirtualnetwork",
        "boolean",
        "true for public (virtual network) ranges",
    ),
    field("zoneid", "string", "zone of the range"),
    field(
        "vlan",
        "string",
        "VLAN of the range, e.g. vlan://50 or untagged",
    ),
    field("gateway", "string", "gateway of the range"),
    field("netmask", "string", "netmask of the range"),
    field("cidr", "string", "network of the range, e.g. 10.0.0.0/24"),
    field("startip", "string", "first address"),
    field("endip", "string", "last address"),
    field("podid", "string", "pod of the range, if any"),
    field("podname", "string", "name of that pod"),
    field(
        "physicalnetworkid",
        "string",
        "physical network carrying the range",
    ),
    field(
        "forsystemvms",
        "boolean",
        "true if the addresses are kept for system VMs",
    ),
    field("account", "string", "account the range is dedicated to"),
    field(
        "domainid",
        "string",
        "domain the range (or its account) is dedicated to",
    ),
    field("domain", "string", "name of that domain"),
    field("domainpath", "string", "path of that domain"),
];

pub const CREATE_VLAN_IP_RANGE: CommandSpec = command(
    "createVlanIpRange",
    "Adds a public IP range to a zone, optionally dedicated to an account or a domain",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Zone of the range").related("listZones"),
        ParamSpec::new("podid", Uuid, "Pod (only for Basic zone guest ranges)").related("listPods"),
        ParamSpec::new(
            "physicalnetworkid",
            Uuid,
            "Physical network (default: the zone's one carrying Public traffic)",
        )
        .related("listPhysicalNetworks"),
        ParamSpec::new("networkid", Uuid, "Network the range belongs to"),
        ParamSpec::new(
            "vlan",
            String,
            "VLAN id (50 or vlan://50) or untagged; required for public ranges",
        ),
        ParamSpec::new("gateway", String, "Gateway of the range"),
        ParamSpec::new("netmask", String, "Netmask of the range"),
        ParamSpec::new("startip", String, "First address"),
        ParamSpec::new("endip", String, "Last address (default: the first one)"),
        ParamSpec::new(
            "forvirtualnetwork",
            Boolean,
            "true (default) for a public range",
        ),
        ParamSpec::new("forsystemvms", Boolean, "Keep the addresses for system VMs"),
        ParamSpec::new(
            "account",
            String,
            "Dedicate the range to this account (with domainid)",
        ),
        ParamSpec::new(
            "domainid",
            Uuid,
            "Dedicate the range to this domain, or find the account in it",
        )
        .related("listDomains"),
        ParamSpec::new("ip6gateway", String, "IPv6 gateway (not supported yet)"),
        ParamSpec::new("ip6cidr", String, "IPv6 network (not supported yet)"),
        ParamSpec::new(
            "startipv6",
            String,
            "First IPv6 address (not supported yet)",
        ),
        ParamSpec::new("endipv6", String, "Last IPv6 address (not supported yet)"),
    ]],
    object("vlan", VLAN_FIELDS),
)
.event("VLAN.IP.RANGE.CREATE");

pub const DELETE_VLAN_IP_RANGE: CommandSpec = command(
    "deleteVlanIpRange",
    "Deletes a public IP range none of whose addresses is in use",
    Roles::ADMIN,
    &[&[ParamSpec::new("id", Uuid, "IP range")
        .required()
        .related("listVlanIpRanges")]],
    SUCCESS,
)
.event("VLAN.IP.RANGE.DELETE");

pub const LIST_VLAN_IP_RANGES: CommandSpec = command(
    "listVlanIpRanges",
    "Lists public IP ranges",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this range").related("listVlanIpRanges"),
            ParamSpec::new("zoneid", Uuid, "Only ranges of this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only ranges of this pod").related("listPods"),
            ParamSpec::new(
                "physicalnetworkid",
                Uuid,
                "Only ranges of this physical network",
            )
            .related("listPhysicalNetworks"),
            ParamSpec::new("networkid", Uuid, "Only ranges of this network"),
            ParamSpec::new("vlan", String, "Only ranges on this VLAN"),
            ParamSpec::new(
                "forvirtualnetwork",
                Boolean,
                "Only public (true) or direct (false) ranges",
            ),
            ParamSpec::new(
                "account",
                String,
                "Only ranges dedicated to this account (with domainid)",
            ),
            ParamSpec::new("domainid", Uuid, "Only ranges dedicated to this domain")
                .related("listDomains"),
        ],
    ],
    list("vlaniprange", VLAN_FIELDS),
);
