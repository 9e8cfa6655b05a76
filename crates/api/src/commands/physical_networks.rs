//! Physical networks, their traffic types, network service providers and the virtual
//! router / internal load balancer elements behind providers.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const PHYSICAL_NETWORK_FIELDS: &[FieldSpec] = &[
    field("id", "string", "physical network id"),
    field("name", "string", "physical network name"),
    field("zoneid", "string", "zone the network belongs to"),
    field("zonename", "string", "name of that zone"),
    field("state", "string", "Enabled or Disabled"),
    field(
        "isolationmethods",
        "string",
        "how guest traffic is separated (VLAN, VXLAN, GRE, ...)",
    ),
    field(
        "broadcastdomainrange",
        "string",
        "ZONE (Advanced zones) or POD (Basic zones)",
    ),
    field("vlan", "string", "guest VLAN ranges, e.g. 100-200,300-310"),
    field("networkspeed", "string", "speed of the network"),
    field("tags", "string", "tag used to pick this network"),
    field("domainid", "string", "domain the network belongs to"),
];

pub const TRAFFIC_TYPE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "traffic type id"),
    field(
        "traffictype",
        "string",
        "Public, Guest, Management or Storage",
    ),
    field(
        "physicalnetworkid",
        "string",
        "physical network carrying it",
    ),
    field("kvmnetworklabel", "string", "bridge name on KVM hosts"),
    field(
        "xennetworklabel",
        "string",
        "network label on XenServer hosts",
    ),
    field(
        "vmwarenetworklabel",
        "string",
        "network label on VMware hosts",
    ),
    field(
        "hypervnetworklabel",
        "string",
        "network label on Hyper-V hosts",
    ),
    field("ovm3networklabel", "string", "network label on OVM3 hosts"),
];

/// listTrafficTypes: CloudStack's listApis declares the provider fields for this command
/// (its annotation names the wrong response class) although it answers with traffic
/// types; only the fields both share are declared here.
const LISTED_TRAFFIC_TYPE_FIELDS: &[FieldSpec] = &[
    field("id", "string", "traffic type id"),
    field(
        "physicalnetworkid",
        "string",
        "physical network carrying it",
    ),
];

pub const PROVIDER_FIELDS: &[FieldSpec] = &[
    field("id", "string", "provider id"),
    field("name", "string", "provider name, e.g. VirtualRouter"),
    field("physicalnetworkid", "string", "physical network it serves"),
    field(
        "destinationphysicalnetworkid",
        "string",
        "physical network it bridges to, if any",
    ),
    field("state", "string", "Enabled, Disabled or Shutdown"),
    field("servicelist", "list", "network services it provides"),
    field(
        "canenableindividualservice",
        "boolean",
        "true if a subset of its services may be chosen",
    ),
];

pub const ELEMENT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "element id"),
    field("nspid", "string", "network service provider it belongs to"),
    field("enabled", "boolean", "true if the element may be used"),
];

const PHYSICAL_NETWORK_ID: ParamSpec = ParamSpec::new("id", Uuid, "Physical network")
    .required()
    .related("listPhysicalNetworks");

const LABELS: &[ParamSpec] = &[
    ParamSpec::new("kvmnetworklabel", String, "Bridge name on KVM hosts"),
    ParamSpec::new(
        "xennetworklabel",
        String,
        "Network label on XenServer hosts",
    ),
    ParamSpec::new(
        "vmwarenetworklabel",
        String,
        "Network label on VMware hosts",
    ),
    ParamSpec::new(
        "hypervnetworklabel",
        String,
        "Network label on Hyper-V hosts",
    ),
    ParamSpec::new("ovm3networklabel", String, "Network label on OVM3 hosts"),
];

pub const CREATE_PHYSICAL_NETWORK: CommandSpec = command(
    "createPhysicalNetwork",
    "Adds a physical network to a disabled zone, with its default service providers",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Zone")
            .required()
            .related("listZones"),
        ParamSpec::new("name", String, "Name of the physical network").required(),
        ParamSpec::new(
            "isolationmethods",
            List,
            "Isolation method for guest traffic (one of VLAN, VXLAN, GRE, L3, STT, ...)",
        ),
        ParamSpec::new(
            "broadcastdomainrange",
            String,
            "ZONE (Advanced zones, default there) or POD (Basic zones)",
        ),
        ParamSpec::new(
            "vlan",
            String,
            "Guest VLAN ranges, comma-separated start-end pairs",
        ),
        ParamSpec::new("networkspeed", String, "Speed of the network"),
        ParamSpec::new("tags", List, "One tag to pick this network by"),
        ParamSpec::new("domainid", Uuid, "Domain owning the network").related("listDomains"),
    ]],
    object("physicalnetwork", PHYSICAL_NETWORK_FIELDS),
)
.asynchronous("PhysicalNetwork")
.event("PHYSICAL.NETWORK.CREATE");

pub const LIST_PHYSICAL_NETWORKS: CommandSpec = command(
    "listPhysicalNetworks",
    "Lists physical networks",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this physical network")
                .related("listPhysicalNetworks"),
            ParamSpec::new("zoneid", Uuid, "Only networks of this zone").related("listZones"),
            ParamSpec::new("name", String, "Only networks whose name contains this"),
        ],
    ],
    list("physicalnetwork", PHYSICAL_NETWORK_FIELDS),
);

pub const UPDATE_PHYSICAL_NETWORK: CommandSpec = command(
    "updatePhysicalNetwork",
    "Enables or disables a physical network or changes its guest VLAN ranges, speed or tag",
    Roles::ADMIN,
    &[&[
        PHYSICAL_NETWORK_ID,
        ParamSpec::new("state", String, "Enabled or Disabled"),
        ParamSpec::new(
            "vlan",
            String,
            "The complete new set of guest VLAN ranges, e.g. 100-200,300-310",
        ),
        ParamSpec::new("networkspeed", String, "Speed of the network"),
        ParamSpec::new("tags", List, "One tag to pick this network by"),
    ]],
    object("physicalnetwork", PHYSICAL_NETWORK_FIELDS),
)
.asynchronous("PhysicalNetwork")
.event("PHYSICAL.NETWORK.UPDATE");

pub const DELETE_PHYSICAL_NETWORK: CommandSpec = command(
    "deletePhysicalNetwork",
    "Deletes a physical network with its traffic types, providers and unused public IP ranges",
    Roles::ADMIN,
    &[&[PHYSICAL_NETWORK_ID]],
    SUCCESS,
)
.asynchronous("PhysicalNetwork")
.event("PHYSICAL.NETWORK.DELETE");

pub const ADD_TRAFFIC_TYPE: CommandSpec = command(
    "addTrafficType",
    "Lets a physical network carry one kind of traffic",
    Roles::ADMIN,
    &[
        &[
            ParamSpec::new("physicalnetworkid", Uuid, "Physical network")
                .required()
                .related("listPhysicalNetworks"),
            ParamSpec::new(
                "traffictype",
                String,
                "Public, Guest, Management or Storage",
            )
            .required(),
            ParamSpec::new(
                "isolationmethod",
                String,
                "Isolation method for this traffic on the network",
            ),
            ParamSpec::new("vlan", String, "VLAN id for this traffic"),
        ],
        LABELS,
    ],
    object("traffictype", TRAFFIC_TYPE_FIELDS),
)
.asynchronous("TrafficType")
.event("TRAFFIC.TYPE.CREATE");

pub const UPDATE_TRAFFIC_TYPE: CommandSpec = command(
    "updateTrafficType",
    "Changes the hypervisor network labels of a traffic type (an empty value clears one)",
    Roles::ADMIN,
    &[
        &[ParamSpec::new("id", Uuid, "Traffic type")
            .required()
            .related("listTrafficTypes")],
        LABELS,
    ],
    object("traffictype", TRAFFIC_TYPE_FIELDS),
)
.asynchronous("TrafficType")
.event("TRAFFIC.TYPE.UPDATE");

pub const DELETE_TRAFFIC_TYPE: CommandSpec = command(
    "deleteTrafficType",
    "Removes a traffic type from its physical network",
    Roles::ADMIN,
    &[&[ParamSpec::new("id", Uuid, "Traffic type")
        .required()
        .related("listTrafficTypes")]],
    SUCCESS,
)
.asynchronous("TrafficType")
.event("TRAFFIC.TYPE.DELETE");

pub const LIST_TRAFFIC_TYPES: CommandSpec = command(
    "listTrafficTypes",
    "Lists the traffic types a physical network carries",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("physicalnetworkid", Uuid, "Physical network")
                .required()
                .related("listPhysicalNetworks"),
        ],
    ],
    list("traffictype", LISTED_TRAFFIC_TYPE_FIELDS),
);

pub const LIST_NETWORK_SERVICE_PROVIDERS: CommandSpec = command(
    "listNetworkServiceProviders",
    "Lists the network service providers of physical networks",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("physicalnetworkid", Uuid, "Only providers of this network")
                .related("listPhysicalNetworks"),
            ParamSpec::new("name", String, "Only providers with this name"),
            ParamSpec::new("state", String, "Only providers in this state"),
        ],
    ],
    list("networkserviceprovider", PROVIDER_FIELDS),
);

pub const ADD_NETWORK_SERVICE_PROVIDER: CommandSpec = command(
    "addNetworkServiceProvider",
    "Adds a network service provider (disabled) to a physical network",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("physicalnetworkid", Uuid, "Physical network")
            .required()
            .related("listPhysicalNetworks"),
        ParamSpec::new("name", String, "Provider name, e.g. SecurityGroupProvider").required(),
        ParamSpec::new(
            "destinationphysicalnetworkid",
            Uuid,
            "Physical network the provider bridges to",
        )
        .related("listPhysicalNetworks"),
        ParamSpec::new(
            "servicelist",
            List,
            "Services to enable (default: all the provider offers)",
        ),
    ]],
    object("networkserviceprovider", PROVIDER_FIELDS),
)
.asynchronous("PhysicalNetworkServiceProvider")
.event("SERVICE.PROVIDER.CREATE");

pub const UPDATE_NETWORK_SERVICE_PROVIDER: CommandSpec = command(
    "updateNetworkServiceProvider",
    "Enables or disables a network service provider or changes its services",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("id", Uuid, "Network service provider")
            .required()
            .related("listNetworkServiceProviders"),
        ParamSpec::new("state", String, "Enabled or Disabled"),
        ParamSpec::new("servicelist", List, "Services to enable"),
    ]],
    object("networkserviceprovider", PROVIDER_FIELDS),
)
.asynchronous("PhysicalNetworkServiceProvider")
.event("SERVICE.PROVIDER.UPDATE");

pub const DELETE_NETWORK_SERVICE_PROVIDER: CommandSpec = command(
    "deleteNetworkServiceProvider",
    "Removes a network service provider and its elements from a physical network",
    Roles::ADMIN,
    &[&[ParamSpec::new("id", Uuid, "Network service provider")
        .required()
        .related("listNetworkServiceProviders")]],
    SUCCESS,
)
.asynchronous("PhysicalNetworkServiceProvider")
.event("SERVICE.PROVIDER.DELETE");

const ELEMENT_LIST_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("id", Uuid, "Only this element"),
    ParamSpec::new(
        "nspid",
        Uuid,
        "Only elements of this network service provider",
    )
    .related("listNetworkServiceProviders"),
    ParamSpec::new(
        "enabled",
        Boolean,
        "Only enabled (true) or disabled (false) elements",
    ),
];

pub const LIST_VIRTUAL_ROUTER_ELEMENTS: CommandSpec = command(
    "listVirtualRouterElements",
    "Lists the elements behind VirtualRouter and VpcVirtualRouter providers",
    Roles::ADMIN,
    &[PAGING, ELEMENT_LIST_PARAMS],
    list("virtualrouterelement", ELEMENT_FIELDS),
);

/// Async without a job instance type: CloudStack reports `None` for these.
pub const CONFIGURE_VIRTUAL_ROUTER_ELEMENT: CommandSpec = CommandSpec {
    is_async: true,
    ..command(
        "configureVirtualRouterElement",
        "Enables or disables a virtual router element (needed before its provider is enabled)",
        Roles::ADMIN,
        &[&[
            ParamSpec::new("id", Uuid, "Virtual router element")
                .required()
                .related("listVirtualRouterElements"),
            ParamSpec::new("enabled", Boolean, "true to enable, false to disable").required(),
        ]],
        object("virtualrouterelement", ELEMENT_FIELDS),
    )
    .event("NETWORK.ELEMENT.CONFIGURE")
};

pub const LIST_INTERNAL_LOAD_BALANCER_ELEMENTS: CommandSpec = command(
    "listInternalLoadBalancerElements",
    "Lists the elements behind InternalLbVm providers",
    Roles::ADMIN,
    &[PAGING, ELEMENT_LIST_PARAMS],
    list("internalloadbalancerelement", ELEMENT_FIELDS),
);

pub const CONFIGURE_INTERNAL_LOAD_BALANCER_ELEMENT: CommandSpec = CommandSpec {
    is_async: true,
    ..command(
        "configureInternalLoadBalancerElement",
        "Enables or disables an internal load balancer element (needed before its provider is enabled)",
        Roles::ADMIN,
        &[&[
            ParamSpec::new("id", Uuid, "Internal load balancer element")
                .required()
                .related("listInternalLoadBalancerElements"),
            ParamSpec::new("enabled", Boolean, "true to enable, false to disable").required(),
        ]],
        object("internalloadbalancerelement", ELEMENT_FIELDS),
    )
    .event("NETWORK.ELEMENT.CONFIGURE")
};
