//! Clusters.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::PAGING;

pub const CLUSTER_FIELDS: &[FieldSpec] = &[
    field("id", "string", "cluster id"),
    field("name", "string", "cluster name"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("podid", "string", "pod id"),
    field("podname", "string", "pod name"),
    field(
        "hypervisortype",
        "string",
        "hypervisor of the cluster's hosts",
    ),
    field("clustertype", "string", "CloudManaged or ExternalManaged"),
    field("arch", "string", "CPU architecture"),
    field("allocationstate", "string", "Enabled or Disabled"),
    field("managedstate", "string", "Managed or Unmanaged"),
    field(
        "cpuovercommitratio",
        "string",
        "CPU overprovisioning factor",
    ),
    field(
        "memoryovercommitratio",
        "string",
        "memory overprovisioning factor",
    ),
];

pub const ADD_CLUSTER: CommandSpec = command(
    "addCluster",
    "Adds a cluster of one hypervisor type to a pod",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("zoneid", Uuid, "Zone")
            .required()
            .related("listZones"),
        ParamSpec::new("podid", Uuid, "Pod")
            .required()
            .related("listPods"),
        ParamSpec::new("clustername", String, "Cluster name").required(),
        ParamSpec::new("clustertype", String, "CloudManaged or ExternalManaged").required(),
        ParamSpec::new(
            "hypervisor",
            String,
            "Simulator, KVM, XenServer, VMware, Hyperv, LXC, BareMetal, Ovm3",
        )
        .required(),
        ParamSpec::new(
            "arch",
            String,
            "CPU architecture: x86_64 (default) or aarch64",
        ),
        ParamSpec::new("allocationstate", String, "Enabled (default) or Disabled"),
        ParamSpec::new("url", String, "Cluster URL (external clusters)"),
        ParamSpec::new("username", String, "User name for the cluster URL"),
        ParamSpec::new("password", String, "Password for the cluster URL"),
    ]],
    list("cluster", CLUSTER_FIELDS),
);

pub const LIST_CLUSTERS: CommandSpec = command(
    "listClusters",
    "Lists clusters",
    Roles::ADMIN,
    &[
        PAGING,
        &[
            ParamSpec::new("id", Uuid, "Only this cluster").related("listClusters"),
            ParamSpec::new("zoneid", Uuid, "Only clusters of this zone").related("listZones"),
            ParamSpec::new("podid", Uuid, "Only clusters of this pod").related("listPods"),
            ParamSpec::new("name", String, "Only clusters with this name"),
            ParamSpec::new("hypervisor", String, "Only clusters of this hypervisor"),
            ParamSpec::new("clustertype", String, "Only clusters of this type"),
            ParamSpec::new(
                "allocationstate",
                String,
                "Only Enabled or Disabled clusters",
            ),
            ParamSpec::new("managedstate", String, "Only Managed or Unmanaged clusters"),
            ParamSpec::new("arch", String, "Only clusters of this architecture"),
            ParamSpec::new(
                "showcapacities",
                Boolean,
                "Include capacities (not supported yet)",
            ),
        ],
    ],
    list("cluster", CLUSTER_FIELDS),
);

pub const UPDATE_CLUSTER: CommandSpec = command(
    "updateCluster",
    "Renames a cluster or changes its type, architecture, allocation or managed state",
    Roles::ADMIN,
    &[&[
        ParamSpec::new("id", Uuid, "Cluster id")
            .required()
            .related("listClusters"),
        ParamSpec::new("clustername", String, "New name"),
        ParamSpec::new("clustertype", String, "CloudManaged or ExternalManaged"),
        ParamSpec::new("arch", String, "CPU architecture"),
        ParamSpec::new("allocationstate", String, "Enabled or Disabled"),
        ParamSpec::new("managedstate", String, "Managed or Unmanaged"),
        ParamSpec::new("hypervisor", String, "Must equal the current hypervisor"),
    ]],
    object("cluster", CLUSTER_FIELDS),
);

pub const DELETE_CLUSTER: CommandSpec = command(
    "deleteCluster",
    "Deletes a cluster that holds no hosts or storage",
    Roles::ADMIN,
    &[&[ParamSpec::new("id", Uuid, "Cluster id")
        .required()
        .related("listClusters")]],
    SUCCESS,
);
