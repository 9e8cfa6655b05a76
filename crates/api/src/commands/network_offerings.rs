//! Network offerings and VPC offerings.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;
use super::disk_offerings::{SCOPE_PARAMS, UPDATE_SCOPE_PARAMS};

/// The services of an offering: which, by whom, with what capabilities.
const SERVICE_PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "supportedservices",
        List,
        "Services offered, e.g. Dhcp,Dns,UserData,SourceNat",
    ),
    ParamSpec::new(
        "serviceproviderlist",
        Map,
        "Provider per service: serviceproviderlist[0].service=Dhcp&serviceproviderlist[0].provider=VirtualRouter",
    ),
    ParamSpec::new(
        "servicecapabilitylist",
        Map,
        "Capabilities: servicecapabilitylist[0].service, .capabilitytype, .capabilityvalue",
    ),
    ParamSpec::new(
        "serviceofferingid",
        Uuid,
        "System compute offering (domainrouter) of the routers",
    )
    .related("listServiceOfferings"),
    ParamSpec::new(
        "enable",
        Boolean,
        "Create the offering Enabled (default Disabled)",
    ),
];

pub const NETWORK_OFFERING_FIELDS: &[FieldSpec] = &[
    field("id", "string", "network offering id"),
    field("name", "string", "network offering name"),
    field("displaytext", "string", "description shown to users"),
    field("tags", "string", "physical network tags it needs"),
    field("traffictype", "string", "traffic type (Guest)"),
    field(
        "isdefault",
        "boolean",
        "true for the offerings the system created",
    ),
    field(
        "specifyvlan",
        "boolean",
        "true if a network's VLAN is given at creation",
    ),
    field(
        "conservemode",
        "boolean",
        "true if one public IP may carry several services",
    ),
    field(
        "specifyipranges",
        "boolean",
        "true if a network's IP range is given at creation",
    ),
    field("availability", "string", "Required or Optional"),
    field(
        "networkrate",
        "integer",
        "network rate limit in Mbit/s (-1: unlimited)",
    ),
    field("state", "string", "Enabled or Disabled"),
    field("guestiptype", "string", "Isolated, Shared or L2"),
    field(
        "serviceofferingid",
        "string",
        "compute offering of the routers",
    ),
    field(
        "service",
        "list",
        "services with their providers and capabilities",
    ),
    field("forvpc", "boolean", "true if meant for VPC tiers"),
    field(
        "ispersistent",
        "boolean",
        "true if networks are set up before any VM",
    ),
    field(
        "egressdefaultpolicy",
        "boolean",
        "true if outgoing traffic is allowed unless a rule denies it",
    ),
    field(
        "maxconnections",
        "integer",
        "load balancer connection limit",
    ),
    field(
        "supportsstrechedl2subnet",
        "boolean",
        "true if networks may stretch over zones",
    ),
    field(
        "supportspublicaccess",
        "boolean",
        "true if VMs get public addresses directly",
    ),
    field(
        "supportsinternallb",
        "boolean",
        "true if load balancing is internal to the network",
    ),
    field("domainid", "string", "ids of the domains it is limited to"),
    field("domain", "string", "names of the domains it is limited to"),
    field("zoneid", "string", "ids of the zones it is limited to"),
    field("zone", "string", "names of the zones it is limited to"),
    field("created", "date", "when the offering was created"),
    field("fornsx", "boolean", "true if for NSX networks"),
    field(
        "fortungsten",
        "boolean",
        "true if for Tungsten-Fabric networks",
    ),
    field("hasannotations", "boolean", "true if comments are attached"),
];

const NETWORK_ID: ParamSpec =
    ParamSpec::new("id", Uuid, "Network offering id").related("listNetworkOfferings");

pub const CREATE_NETWORK_OFFERING: CommandSpec = command(
    "createNetworkOffering",
    "Creates a network offering (created Disabled unless enable=true)",
    Roles::ADMIN,
    &[
        &[
            ParamSpec::new("name", String, "Offering name").required(),
            ParamSpec::new("displaytext", String, "Description (default: the name)"),
            ParamSpec::new("traffictype", String, "Traffic type; only Guest").required(),
            ParamSpec::new("guestiptype", String, "Isolated, Shared or L2").required(),
            ParamSpec::new(
                "specifyvlan",
                Boolean,
                "The VLAN is given when a network is created",
            ),
            ParamSpec::new(
                "specifyipranges",
                Boolean,
                "The IP range is given when a network is created",
            ),
            ParamSpec::new(
                "conservemode",
                Boolean,
                "Let one public IP carry several services (default true)",
            ),
            ParamSpec::new("availability", String, "Optional (default) or Required"),
            ParamSpec::new("networkrate", Integer, "Network rate limit in Mbit/s"),
            ParamSpec::new("tags", String, "Physical network tag the networks need"),
            ParamSpec::new(
                "ispersistent",
                Boolean,
                "Set networks up before any VM is deployed",
            ),
            ParamSpec::new("forvpc", Boolean, "Meant for VPC tiers"),
            ParamSpec::new(
                "egressdefaultpolicy",
                Boolean,
                "true (default): outgoing traffic allowed unless a rule denies it",
            ),
            ParamSpec::new("maxconnections", Integer, "Load balancer connection limit"),
            ParamSpec::new(
                "keepaliveenabled",
                Boolean,
                "Keep load balancer connections alive",
            ),
        ],
        SERVICE_PARAMS,
        SCOPE_PARAMS,
    ],
    object("networkoffering", NETWORK_OFFERING_FIELDS),
)
.event("NETWORK.OFFERING.CREATE");

pub const UPDATE_NETWORK_OFFERING: CommandSpec = command(
    "updateNetworkOffering",
    "Enables or disables a network offering or changes its name, text, tags or scope",
    Roles::ADMIN,
    &[
        &[
            NETWORK_ID,
            ParamSpec::new("name", String, "New name"),
            ParamSpec::new("displaytext", String, "New description"),
            ParamSpec::new("sortkey", Integer, "Position in lists (ascending)"),
            ParamSpec::new("state", String, "Enabled or Disabled"),
            ParamSpec::new("availability", String, "Optional or Required"),
            ParamSpec::new("tags", String, "New physical network tag"),
            ParamSpec::new("maxconnections", Integer, "Load balancer connection limit"),
            ParamSpec::new(
                "keepaliveenabled",
                Boolean,
                "Keep load balancer connections alive",
            ),
        ],
        UPDATE_SCOPE_PARAMS,
    ],
    object("networkoffering", NETWORK_OFFERING_FIELDS),
)
.event("NETWORK.OFFERING.EDIT");

pub const DELETE_NETWORK_OFFERING: CommandSpec = command(
    "deleteNetworkOffering",
    "Removes a network offering that no network uses (default ones stay)",
    Roles::ADMIN,
    &[&[NETWORK_ID.required()]],
    SUCCESS,
)
.event("NETWORK.OFFERING.DELETE");

pub const LIST_NETWORK_OFFERINGS: CommandSpec = command(
    "listNetworkOfferings",
    "Lists the network offerings available to the caller",
    Roles::ALL,
    &[
        PAGING,
        &[
            NETWORK_ID,
            ParamSpec::new("name", String, "Only offerings with this name"),
            ParamSpec::new(
                "displaytext",
                String,
                "Only offerings whose text contains this",
            ),
            ParamSpec::new("traffictype", String, "Only offerings of this traffic type"),
            ParamSpec::new(
                "guestiptype",
                String,
                "Only Isolated, Shared or L2 offerings",
            ),
            ParamSpec::new(
                "isdefault",
                Boolean,
                "Only default (or only other) offerings",
            ),
            ParamSpec::new(
                "specifyvlan",
                Boolean,
                "Only offerings that (do not) take a VLAN",
            ),
            ParamSpec::new(
                "specifyipranges",
                Boolean,
                "Only offerings that (do not) take an IP range",
            ),
            ParamSpec::new(
                "availability",
                String,
                "Only Required or Optional offerings",
            ),
            ParamSpec::new("state", String, "Only Enabled or Disabled offerings"),
            ParamSpec::new(
                "supportedservices",
                List,
                "Only offerings that have all these services",
            ),
            ParamSpec::new(
                "sourcenatsupported",
                Boolean,
                "Only offerings with (or without) SourceNat",
            ),
            ParamSpec::new(
                "forvpc",
                Boolean,
                "Only offerings for (or not for) VPC tiers",
            ),
            ParamSpec::new("tags", String, "Only offerings with this tag"),
            ParamSpec::new(
                "istagged",
                Boolean,
                "Only offerings with (or without) a tag",
            ),
            ParamSpec::new("zoneid", Uuid, "Only offerings available in this zone")
                .related("listZones"),
            ParamSpec::new("domainid", Uuid, "Only offerings available to this domain")
                .related("listDomains"),
        ],
    ],
    list("networkoffering", NETWORK_OFFERING_FIELDS),
);

pub const VPC_OFFERING_FIELDS: &[FieldSpec] = &[
    field("id", "string", "VPC offering id"),
    field("name", "string", "VPC offering name"),
    field("displaytext", "string", "description shown to users"),
    field(
        "isdefault",
        "boolean",
        "true for the offerings the system created",
    ),
    field("state", "string", "Enabled or Disabled"),
    field("service", "list", "services with their providers"),
    field(
        "distributedvpcrouter",
        "boolean",
        "true if the VPC router is distributed over hosts",
    ),
    field(
        "supportsregionLevelvpc",
        "boolean",
        "true if a VPC may span the zones of a region",
    ),
    field("domainid", "string", "ids of the domains it is limited to"),
    field("domain", "string", "names of the domains it is limited to"),
    field("zoneid", "string", "ids of the zones it is limited to"),
    field("zone", "string", "names of the zones it is limited to"),
    field("created", "date", "when the offering was created"),
    field("fornsx", "boolean", "true if for NSX VPCs"),
];

const VPC_ID: ParamSpec = ParamSpec::new("id", Uuid, "VPC offering id")
    .required()
    .related("listVPCOfferings");

pub const CREATE_VPC_OFFERING: CommandSpec = command(
    "createVPCOffering",
    "Creates a VPC offering (created Disabled unless enable=true)",
    Roles::ADMIN,
    &[
        &[
            ParamSpec::new("name", String, "Offering name").required(),
            ParamSpec::new("displaytext", String, "Description (default: the name)"),
        ],
        SERVICE_PARAMS,
        SCOPE_PARAMS,
    ],
    object("vpcoffering", VPC_OFFERING_FIELDS),
)
.asynchronous("VpcOffering")
.event("VPC.OFFERING.CREATE");

pub const UPDATE_VPC_OFFERING: CommandSpec = command(
    "updateVPCOffering",
    "Enables or disables a VPC offering or changes its name, text, order or scope",
    Roles::ADMIN,
    &[
        &[
            VPC_ID,
            ParamSpec::new("name", String, "New name"),
            ParamSpec::new("displaytext", String, "New description"),
            ParamSpec::new("sortkey", Integer, "Position in lists (ascending)"),
            ParamSpec::new("state", String, "Enabled or Disabled"),
        ],
        UPDATE_SCOPE_PARAMS,
    ],
    object("vpcoffering", VPC_OFFERING_FIELDS),
)
.asynchronous("VpcOffering")
.event("VPC.OFFERING.UPDATE");

pub const DELETE_VPC_OFFERING: CommandSpec = command(
    "deleteVPCOffering",
    "Removes a VPC offering (default ones stay)",
    Roles::ADMIN,
    &[&[VPC_ID]],
    SUCCESS,
)
.asynchronous("VpcOffering")
.event("VPC.OFFERING.DELETE");

pub const LIST_VPC_OFFERINGS: CommandSpec = command(
    "listVPCOfferings",
    "Lists the VPC offerings available to the caller",
    Roles::ALL,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this offering").related("listVPCOfferings"),
            ParamSpec::new("name", String, "Only offerings with this name"),
            ParamSpec::new(
                "displaytext",
                String,
                "Only offerings whose text contains this",
            ),
            ParamSpec::new(
                "isdefault",
                Boolean,
                "Only default (or only other) offerings",
            ),
            ParamSpec::new("state", String, "Only Enabled or Disabled offerings"),
            ParamSpec::new(
                "supportedservices",
                List,
                "Only offerings that have all these services",
            ),
            ParamSpec::new("zoneid", Uuid, "Only offerings available in this zone")
                .related("listZones"),
            ParamSpec::new("domainid", Uuid, "Only offerings available to this domain")
                .related("listDomains"),
        ],
    ],
    list("vpcoffering", VPC_OFFERING_FIELDS),
);
