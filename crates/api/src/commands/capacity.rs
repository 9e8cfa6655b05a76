//! System capacity: what the infrastructure offers and how much of it is used.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const CAPACITY_FIELDS: &[FieldSpec] = &[
    field(
        "type",
        "integer",
        "capacity type: 0 memory, 1 CPU, 2 primary storage, 3 primary storage allocated, 4 public IPs, 5 private IPs, 6 secondary storage, 8 direct-attached public IPs, 9 local storage, 90 CPU cores",
    ),
    field(
        "name",
        "string",
        "capacity type name, e.g. MEMORY, CPU, CPU_CORE",
    ),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("podid", "string", "pod id (when listed by pod)"),
    field("podname", "string", "pod name"),
    field("clusterid", "string", "cluster id (when listed by cluster)"),
    field("clustername", "string", "cluster name"),
    field(
        "capacitytotal",
        "long",
        "total capacity, after the overprovisioning factor for CPU, memory and allocated storage",
    ),
    field("capacityused", "long", "capacity in use"),
    field(
        "capacityallocated",
        "long",
        "capacity allocated to VMs (zone-wide CPU, memory and CPU cores)",
    ),
    field(
        "percentused",
        "string",
        "used share of the total in percent, at most two decimals",
    ),
];

pub const LIST_CAPACITY: CommandSpec = command(
    "listCapacity",
    "Lists capacities per zone (or of one pod or cluster), computed from the current inventory",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("zoneid", Uuid, "Only this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only this pod").related("listPods"),
            ParamSpec::new("clusterid", Uuid, "Only this cluster").related("listClusters"),
            ParamSpec::new("type", Integer, "Only this capacity type"),
            ParamSpec::new(
                "sortby",
                String,
                "usage: the most used capacities first (grouped by zone, or by pod within a zone)",
            ),
            ParamSpec::new(
                "fetchlatest",
                Boolean,
                "Recalculate first (capacities are always computed live here)",
            ),
        ],
    ],
    list("capacity", CAPACITY_FIELDS),
);
