//! Guest networks: create, list, update, delete, restart.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

pub const NETWORK_FIELDS: &[FieldSpec] = &[
    field("id", "string", "network id"),
    field("name", "string", "network name"),
    field("displaytext", "string", "description of the network"),
    field(
        "broadcastdomaintype",
        "string",
        "how the network is isolated: Vlan or Vxlan",
    ),
    field("traffictype", "string", "traffic type, Guest"),
    field("gateway", "string", "IPv4 gateway"),
    field("netmask", "string", "IPv4 netmask"),
    field("cidr", "string", "IPv4 network, e.g. 10.1.1.0/24"),
    field("zoneid", "string", "zone of the network"),
    field("zonename", "string", "name of that zone"),
    field("networkofferingid", "string", "offering the network uses"),
    field("networkofferingname", "string", "name of that offering"),
    field(
        "networkofferingdisplaytext",
        "string",
        "description of that offering",
    ),
    field(
        "networkofferingconservemode",
        "boolean",
        "true if the offering is in conserve mode",
    ),
    field(
        "networkofferingavailability",
        "string",
        "availability of the offering: Required or Optional",
    ),
    field("issystem", "boolean", "true for system networks"),
    field(
        "state",
        "string",
        "Allocated, Implemented, Setup, Shutdown or Destroy",
    ),
    field("related", "string", "the related network (itself)"),
    field(
        "broadcasturi",
        "string",
        "VLAN/VNI URI of the network (root admins only)",
    ),
    field(
        "vlan",
        "string",
        "VLAN/VNI number of the network (root admins only)",
    ),
    field("dns1", "string", "first DNS server for guests"),
    field("dns2", "string", "second DNS server for guests"),
    field("type", "string", "guest type: Isolated, Shared or L2"),
    field(
        "acltype",
        "string",
        "Account (owned by one account) or Domain (shared in a domain)",
    ),
    field("account", "string", "owner account of an Account network"),
    field(
        "subdomainaccess",
        "boolean",
        "true if sub-domains may use a Domain network",
    ),
    field("domainid", "string", "domain of the network"),
    field("domain", "string", "name of that domain"),
    field("domainpath", "string", "path of that domain"),
    field("service", "list", "services of the network's offering"),
    field("networkdomain", "string", "DNS domain of the guests"),
    field(
        "physicalnetworkid",
        "string",
        "physical network carrying the network",
    ),
    field(
        "restartrequired",
        "boolean",
        "true if the network must be restarted",
    ),
    field(
        "specifyvlan",
        "boolean",
        "true if the offering lets administrators name the VLAN",
    ),
    field(
        "specifyipranges",
        "boolean",
        "true if the offering lets the creator give the IP range",
    ),
    field(
        "canusefordeploy",
        "boolean",
        "true if virtual machines can be deployed on the network",
    ),
    field(
        "ispersistent",
        "boolean",
        "true if the network is implemented without waiting for a VM",
    ),
    field("tags", "list", "resource tags of the network"),
    field("details", "map", "details of the network"),
    field(
        "displaynetwork",
        "boolean",
        "true if the network is shown to its users",
    ),
    field(
        "strechedl2subnet",
        "boolean",
        "true if the network spans zones",
    ),
    field(
        "redundantrouter",
        "boolean",
        "true if the offering asks for redundant routers",
    ),
    field(
        "egressdefaultpolicy",
        "boolean",
        "true if egress traffic is allowed by default",
    ),
    field("created", "date", "when the network was created"),
    field(
        "hasannotations",
        "boolean",
        "true if the network has annotations",
    ),
];

const NETWORK_ID: ParamSpec = ParamSpec::new("id", Uuid, "Network id")
    .required()
    .related("listNetworks");

pub const CREATE_NETWORK: CommandSpec = command(
    "createNetwork",
    "Creates a guest network",
    Roles::ALL,
    &[&[
        ParamSpec::new("name", String, "Name of the network").required(),
        ParamSpec::new(
            "displaytext",
            String,
            "Description of the network (default: its name)",
        ),
        ParamSpec::new("networkofferingid", Uuid, "Network offering to use")
            .required()
            .related("listNetworkOfferings"),
        ParamSpec::new("zoneid", Uuid, "Zone of the network")
            .required()
            .related("listZones"),
        ParamSpec::new(
            "account",
            String,
            "Owner account (with domainid); default: the caller's",
        ),
        ParamSpec::new(
            "domainid",
            Uuid,
            "Domain of the owner account, or of a Domain network",
        )
        .related("listDomains"),
        ParamSpec::new(
            "acltype",
            String,
            "Account or Domain (Domain: Shared and L2 networks, root admins only)",
        ),
        ParamSpec::new(
            "subdomainaccess",
            Boolean,
            "For Domain networks: sub-domains may use it too (default true)",
        ),
        ParamSpec::new(
            "physicalnetworkid",
            Uuid,
            "Physical network (default: the zone's one carrying Guest traffic)",
        )
        .related("listPhysicalNetworks"),
        ParamSpec::new(
            "gateway",
            String,
            "IPv4 gateway (with netmask; default for Isolated: the zone's guest CIDR)",
        ),
        ParamSpec::new("netmask", String, "IPv4 netmask (with gateway)"),
        ParamSpec::new(
            "startip",
            String,
            "First guest address (offerings with specifyipranges)",
        ),
        ParamSpec::new("endip", String, "Last guest address (default: startip)"),
        ParamSpec::new(
            "vlan",
            String,
            "VLAN/VNI (or untagged for Shared networks); root admins, offerings with specifyvlan",
        ),
        ParamSpec::new(
            "networkdomain",
            String,
            "DNS domain of the guests (offerings with a Dns service)",
        ),
        ParamSpec::new("dns1", String, "First DNS server for guests"),
        ParamSpec::new("dns2", String, "Second DNS server for guests"),
        ParamSpec::new(
            "displaynetwork",
            Boolean,
            "Show the network to its users (root admins; default true)",
        ),
        ParamSpec::new("projectid", Uuid, "Project (not supported yet)"),
        ParamSpec::new("vpcid", Uuid, "VPC (not supported yet)"),
        ParamSpec::new("ip6cidr", String, "IPv6 network (not supported yet)"),
        ParamSpec::new("ip6gateway", String, "IPv6 gateway (not supported yet)"),
        ParamSpec::new(
            "startipv6",
            String,
            "First IPv6 address (not supported yet)",
        ),
        ParamSpec::new("endipv6", String, "Last IPv6 address (not supported yet)"),
    ]],
    object("network", NETWORK_FIELDS),
)
.event("NETWORK.CREATE");

pub const LIST_NETWORKS: CommandSpec = command(
    "listNetworks",
    "Lists guest networks the caller may see: its own, and the shared ones it may use",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this network").related("listNetworks"),
            ParamSpec::new("zoneid", Uuid, "Only networks of this zone").related("listZones"),
            ParamSpec::new("name", String, "Only networks with this name"),
            ParamSpec::new(
                "type",
                String,
                "Only networks of this guest type: Isolated, Shared or L2",
            ),
            ParamSpec::new("traffictype", String, "Only networks of this traffic type"),
            ParamSpec::new("acltype", String, "Only Account or only Domain networks"),
            ParamSpec::new(
                "networkofferingid",
                Uuid,
                "Only networks using this offering",
            )
            .related("listNetworkOfferings"),
            ParamSpec::new(
                "physicalnetworkid",
                Uuid,
                "Only networks on this physical network",
            )
            .related("listPhysicalNetworks"),
            ParamSpec::new(
                "canusefordeploy",
                Boolean,
                "Only networks VMs can (true) or cannot (false) be deployed on",
            ),
            ParamSpec::new("issystem", Boolean, "Only system (true) or guest networks"),
            ParamSpec::new(
                "specifyipranges",
                Boolean,
                "Only networks whose offering has specifyipranges set so",
            ),
            ParamSpec::new(
                "vlan",
                String,
                "Only networks on this VLAN/VNI (root admins)",
            ),
            ParamSpec::new(
                "displaynetwork",
                Boolean,
                "Only networks shown (true) or hidden from users",
            ),
            ParamSpec::new(
                "supportedservices",
                List,
                "Only networks whose offering has all these services",
            ),
            ParamSpec::new(
                "forvpc",
                Boolean,
                "Only VPC tiers (true; there are none yet) or other networks",
            ),
        ],
    ],
    list("network", NETWORK_FIELDS),
);

pub const UPDATE_NETWORK: CommandSpec = command(
    "updateNetwork",
    "Renames a network or changes its description, DNS domain or visibility",
    Roles::ALL,
    &[&[
        NETWORK_ID,
        ParamSpec::new("name", String, "New name"),
        ParamSpec::new("displaytext", String, "New description"),
        ParamSpec::new(
            "networkdomain",
            String,
            "New DNS domain (offerings with a Dns service)",
        ),
        ParamSpec::new(
            "displaynetwork",
            Boolean,
            "Show the network to its users (root admins)",
        ),
        ParamSpec::new(
            "networkofferingid",
            Uuid,
            "New network offering (changing it is not supported yet)",
        )
        .related("listNetworkOfferings"),
    ]],
    object("network", NETWORK_FIELDS),
)
.asynchronous("Network")
.event("NETWORK.UPDATE");

pub const DELETE_NETWORK: CommandSpec = command(
    "deleteNetwork",
    "Deletes a network no virtual machine is on, releasing its VLAN/VNI and addresses",
    Roles::ALL,
    &[&[NETWORK_ID]],
    SUCCESS,
)
.asynchronous("Network")
.event("NETWORK.DELETE");

pub const RESTART_NETWORK: CommandSpec = command(
    "restartNetwork",
    "Restarts an implemented network (checks it is live; there are no network elements to \
     re-apply yet)",
    Roles::ALL,
    &[&[
        NETWORK_ID,
        ParamSpec::new(
            "cleanup",
            Boolean,
            "Recreate the network's elements (there are none yet)",
        ),
    ]],
    SUCCESS,
)
.asynchronous("Network")
.event("NETWORK.RESTART");
