//! The offerings a fresh CloudStack installation has: compute offerings (two for users,
//! the system VM ones with their local-storage twins), disk offerings, network offerings
//! (guest ones, Enabled, and the system ones that are never listed) and VPC offerings.
//! Seeded at every start; an offering is added only if its unique name was never used,
//! so one an operator deleted stays deleted. Offerings that need appliances or SDN
//! plugins Strato does not have (Netscaler, Tungsten-Fabric, NSX, Netris) are left out.

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::disk_offering::{DiskProps, IoLimits, NewDiskOffering};
use strato_schema::network_offering::{NetworkCapabilities, NewNetworkOffering};
use strato_schema::service_offering::NewServiceOffering;
use strato_schema::vpc_offering::NewVpcOffering;

fn props(local: bool) -> DiskProps {
    DiskProps {
        tags: None,
        provisioning_type: "thin".into(),
        use_local_storage: local,
        customized_iops: None,
        min_iops: None,
        max_iops: None,
        cache_mode: "none".into(),
        hypervisor_snapshot_reserve: None,
        limits: IoLimits::default(),
        encrypt: false,
    }
}

struct Compute {
    unique: &'static str,
    name: &'static str,
    cpu: i64,
    speed: i64,
    memory: i64,
    offer_ha: bool,
    /// System VM type of a system offering.
    vm_type: Option<&'static str>,
    local: bool,
}

const fn user(unique: &'static str, name: &'static str, speed: i64, memory: i64) -> Compute {
    Compute {
        unique,
        name,
        cpu: 1,
        speed,
        memory,
        offer_ha: false,
        vm_type: None,
        local: false,
    }
}

const fn system(
    unique: &'static str,
    name: &'static str,
    speed: i64,
    memory: i64,
    offer_ha: bool,
    vm_type: &'static str,
    local: bool,
) -> Compute {
    Compute {
        unique,
        name,
        cpu: 1,
        speed,
        memory,
        offer_ha,
        vm_type: Some(vm_type),
        local,
    }
}

/// CloudStack's names and sizes (the system VM sizes are its setting defaults).
const COMPUTE: &[Compute] = &[
    user("Cloud.Com-Small Instance", "Small Instance", 500, 512),
    user("Cloud.Com-Medium Instance", "Medium Instance", 1000, 1024),
    system(
        "Cloud.Com-SoftwareRouter",
        "System Offering For Software Router",
        500,
        256,
        true,
        "domainrouter",
        false,
    ),
    system(
        "Cloud.Com-SoftwareRouter-Local",
        "System Offering For Software Router - Local Storage",
        500,
        256,
        true,
        "domainrouter",
        true,
    ),
    system(
        "Cloud.com-ConsoleProxy",
        "System Offering For Console Proxy",
        500,
        1024,
        false,
        "consoleproxy",
        false,
    ),
    system(
        "Cloud.com-ConsoleProxy-Local",
        "System Offering For Console Proxy - Local Storage",
        500,
        1024,
        false,
        "consoleproxy",
        true,
    ),
    system(
        "Cloud.com-SecondaryStorage",
        "System Offering For Secondary Storage VM",
        500,
        512,
        false,
        "secondarystoragevm",
        false,
    ),
    system(
        "Cloud.com-SecondaryStorage-Local",
        "System Offering For Secondary Storage VM - Local Storage",
        500,
        512,
        false,
        "secondarystoragevm",
        true,
    ),
    system(
        "Cloud.Com-ElasticLBVm",
        "System Offering For Elastic LB VM",
        128,
        128,
        true,
        "elasticloadbalancervm",
        false,
    ),
    system(
        "Cloud.Com-InternalLBVm",
        "System Offering For Internal LB VM",
        256,
        256,
        true,
        "internalloadbalancervm",
        false,
    ),
    system(
        "Cloud.Com-InternalLBVm-Local",
        "System Offering For Internal LB VM - Local Storage",
        256,
        256,
        true,
        "internalloadbalancervm",
        true,
    ),
];

/// (unique name, name, description, size in GiB; 0: chosen at use).
const DISKS: &[(&str, &str, &str, i64)] = &[
    ("Cloud.Com-Small", "Small", "Small Disk, 5 GB", 5),
    ("Cloud.Com-Medium", "Medium", "Medium Disk, 20 GB", 20),
    ("Cloud.Com-Large", "Large", "Large Disk, 100 GB", 100),
    ("Cloud.Com-Custom", "Custom", "Custom Disk", 0),
];

struct Network {
    name: &'static str,
    text: &'static str,
    traffic: &'static str,
    guest: Option<&'static str>,
    availability: &'static str,
    specify_vlan: bool,
    specify_ip_ranges: bool,
    conserve: bool,
    for_vpc: bool,
    system_only: bool,
    services: &'static [(&'static str, &'static str)],
}

const VR: &str = "VirtualRouter";
const VPC_VR: &str = "VpcVirtualRouter";

const SHARED_SERVICES: &[(&str, &str)] = &[("Dhcp", VR), ("Dns", VR), ("UserData", VR)];
const SG_SERVICES: &[(&str, &str)] = &[
    ("Dhcp", VR),
    ("Dns", VR),
    ("UserData", VR),
    ("SecurityGroup", "SecurityGroupProvider"),
];
const SOURCE_NAT_SERVICES: &[(&str, &str)] = &[
    ("Vpn", VR),
    ("Dhcp", VR),
    ("Dns", VR),
    ("Gateway", VR),
    ("Firewall", VR),
    ("Lb", VR),
    ("UserData", VR),
    ("SourceNat", VR),
    ("StaticNat", VR),
    ("PortForwarding", VR),
];
const VPC_TIER_SERVICES: &[(&str, &str)] = &[
    ("Vpn", VPC_VR),
    ("Dhcp", VPC_VR),
    ("Dns", VPC_VR),
    ("Gateway", VPC_VR),
    ("Lb", VPC_VR),
    ("UserData", VPC_VR),
    ("SourceNat", VPC_VR),
    ("StaticNat", VPC_VR),
    ("PortForwarding", VPC_VR),
    ("NetworkACL", VPC_VR),
];
const VPC_TIER_NO_LB_SERVICES: &[(&str, &str)] = &[
    ("Vpn", VPC_VR),
    ("Dhcp", VPC_VR),
    ("Dns", VPC_VR),
    ("Gateway", VPC_VR),
    ("UserData", VPC_VR),
    ("SourceNat", VPC_VR),
    ("StaticNat", VPC_VR),
    ("PortForwarding", VPC_VR),
    ("NetworkACL", VPC_VR),
];
const VPC_TIER_INTERNAL_LB_SERVICES: &[(&str, &str)] = &[
    ("Dhcp", VPC_VR),
    ("Dns", VPC_VR),
    ("Gateway", VPC_VR),
    ("Lb", "InternalLbVm"),
    ("UserData", VPC_VR),
    ("SourceNat", VPC_VR),
    ("NetworkACL", VPC_VR),
];
const CONFIG_DRIVE: &[(&str, &str)] = &[("UserData", "ConfigDrive")];

const fn guest(
    name: &'static str,
    text: &'static str,
    guest: &'static str,
    specify_vlan: bool,
    services: &'static [(&'static str, &'static str)],
) -> Network {
    let shared = matches!(guest.as_bytes(), b"Shared");
    Network {
        name,
        text,
        traffic: "Guest",
        guest: Some(guest),
        availability: "Optional",
        specify_vlan,
        specify_ip_ranges: shared,
        conserve: true,
        for_vpc: false,
        system_only: false,
        services,
    }
}

const fn vpc_tier(
    name: &'static str,
    text: &'static str,
    services: &'static [(&'static str, &'static str)],
) -> Network {
    Network {
        conserve: false,
        for_vpc: true,
        ..guest(name, text, "Isolated", false, services)
    }
}

const fn system_network(
    name: &'static str,
    traffic: &'static str,
    guest: Option<&'static str>,
    specify_vlan: bool,
    specify_ip_ranges: bool,
) -> Network {
    Network {
        name,
        text: name,
        traffic,
        guest,
        availability: "Required",
        specify_vlan,
        specify_ip_ranges,
        conserve: true,
        for_vpc: false,
        system_only: true,
        services: &[],
    }
}

const NETWORKS: &[Network] = &[
    system_network("System-Public-Network", "Public", None, false, true),
    system_network(
        "System-Management-Network",
        "Management",
        None,
        false,
        false,
    ),
    system_network("System-Control-Network", "Control", None, false, false),
    system_network("System-Storage-Network", "Storage", None, false, true),
    system_network(
        "System-Private-Gateway-Network-Offering",
        "Guest",
        Some("Isolated"),
        true,
        false,
    ),
    system_network(
        "System-Private-Gateway-Network-Offering-Without-Vlan",
        "Guest",
        Some("Isolated"),
        false,
        false,
    ),
    guest(
        "QuickCloudNoServices",
        "Offering for QuickCloud with no services",
        "Shared",
        true,
        &[],
    ),
    guest(
        "DefaultSharedNetworkOfferingWithSGService",
        "Offering for Shared Security group enabled networks",
        "Shared",
        true,
        SG_SERVICES,
    ),
    guest(
        "DefaultSharedNetworkOffering",
        "Offering for Shared networks",
        "Shared",
        true,
        SHARED_SERVICES,
    ),
    Network {
        availability: "Required",
        ..guest(
            "DefaultIsolatedNetworkOfferingWithSourceNatService",
            "Offering for Isolated networks with Source Nat service enabled",
            "Isolated",
            false,
            SOURCE_NAT_SERVICES,
        )
    },
    vpc_tier(
        "DefaultIsolatedNetworkOfferingForVpcNetworks",
        "Offering for Isolated Vpc networks with Source Nat service enabled",
        VPC_TIER_SERVICES,
    ),
    vpc_tier(
        "DefaultIsolatedNetworkOfferingForVpcNetworksNoLB",
        "Offering for Isolated Vpc networks with Source Nat service enabled and LB service Disabled",
        VPC_TIER_NO_LB_SERVICES,
    ),
    Network {
        specify_ip_ranges: true,
        ..guest(
            "DefaultIsolatedNetworkOffering",
            "Offering for Isolated networks with no Source Nat service",
            "Isolated",
            true,
            SHARED_SERVICES,
        )
    },
    vpc_tier(
        "DefaultIsolatedNetworkOfferingForVpcNetworksWithInternalLB",
        "Offering for Isolated Vpc networks with Internal LB support",
        VPC_TIER_INTERNAL_LB_SERVICES,
    ),
    guest(
        "DefaultL2NetworkOffering",
        "Offering for L2 networks",
        "L2",
        false,
        &[],
    ),
    guest(
        "DefaultL2NetworkOfferingVlan",
        "Offering for L2 networks VLAN",
        "L2",
        true,
        &[],
    ),
    guest(
        "DefaultL2NetworkOfferingConfigDrive",
        "Offering for L2 networks with config drive user data",
        "L2",
        false,
        CONFIG_DRIVE,
    ),
    guest(
        "DefaultL2NetworkOfferingConfigDriveVlan",
        "Offering for L2 networks with config drive user data VLAN",
        "L2",
        true,
        CONFIG_DRIVE,
    ),
];

const VPC_SERVICES: &[(&str, &str)] = &[
    ("Vpn", VPC_VR),
    ("Dhcp", VPC_VR),
    ("Dns", VPC_VR),
    ("Gateway", VPC_VR),
    ("Lb", VPC_VR),
    ("Lb", "InternalLbVm"),
    ("UserData", VPC_VR),
    ("SourceNat", VPC_VR),
    ("StaticNat", VPC_VR),
    ("PortForwarding", VPC_VR),
    ("NetworkACL", VPC_VR),
];

/// (name, redundant router).
const VPCS: &[(&str, bool)] = &[
    ("Default VPC offering", false),
    ("Redundant VPC offering", true),
];

pub async fn run(c: &mut Conn<'_>) -> Result<(), ApiError> {
    let now = strato_schema::now();
    for s in COMPUTE {
        if c.service_offering_seeded(s.unique).await? {
            continue;
        }
        let disk = c
            .insert_disk_offering(
                &NewDiskOffering {
                    uuid: &uuid::Uuid::new_v4().to_string(),
                    name: s.name,
                    display_text: s.name,
                    unique_name: None,
                    disk_size_gb: 0,
                    customized: false,
                    display_offering: true,
                    disk_size_strictness: false,
                    compute_only: true,
                    props: &props(s.local),
                },
                now,
            )
            .await?;
        c.insert_service_offering(
            &NewServiceOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name: s.name,
                display_text: s.name,
                unique_name: Some(s.unique),
                cpu: Some(s.cpu),
                speed: Some(s.speed),
                ram_size: Some(s.memory),
                min_cpu: None,
                max_cpu: None,
                min_memory: None,
                max_memory: None,
                customized: false,
                offer_ha: s.offer_ha,
                limit_cpu_use: false,
                is_volatile: false,
                host_tags: None,
                network_rate: None,
                system_use: s.vm_type.is_some(),
                vm_type: s.vm_type,
                // The system uses its system VM offerings by default; they cannot be deleted.
                default_use: s.vm_type.is_some(),
                dynamic_scaling_enabled: true,
                disk_offering_strictness: false,
                disk_offering_id: disk,
            },
            now,
        )
        .await?;
    }
    for (unique, name, text, size) in DISKS {
        if c.disk_offering_seeded(unique).await? {
            continue;
        }
        c.insert_disk_offering(
            &NewDiskOffering {
                uuid: &uuid::Uuid::new_v4().to_string(),
                name,
                display_text: text,
                unique_name: Some(unique),
                disk_size_gb: *size,
                customized: *size == 0,
                display_offering: true,
                disk_size_strictness: false,
                compute_only: false,
                props: &props(false),
            },
            now,
        )
        .await?;
    }
    for n in NETWORKS {
        if c.network_offering_seeded(n.name).await? {
            continue;
        }
        let lb: Vec<&str> = n
            .services
            .iter()
            .filter(|(s, _)| *s == "Lb")
            .map(|(_, p)| *p)
            .collect();
        let internal_lb = lb.contains(&"InternalLbVm");
        let id = c
            .insert_network_offering(
                &NewNetworkOffering {
                    uuid: &uuid::Uuid::new_v4().to_string(),
                    name: n.name,
                    display_text: n.text,
                    unique_name: Some(n.name),
                    traffic_type: n.traffic,
                    guest_type: n.guest,
                    availability: n.availability,
                    state: "Enabled",
                    is_default: true,
                    system_only: n.system_only,
                    specify_vlan: n.specify_vlan,
                    specify_ip_ranges: n.specify_ip_ranges,
                    conserve_mode: n.conserve,
                    egress_default_policy: false,
                    is_persistent: false,
                    for_vpc: n.for_vpc,
                    network_rate: None,
                    tags: None,
                    service_offering_id: None,
                    max_connections: None,
                    keep_alive: true,
                    caps: &NetworkCapabilities {
                        dedicated_lb: !lb.is_empty(),
                        public_lb: !lb.is_empty() && !internal_lb,
                        internal_lb,
                        ..NetworkCapabilities::default()
                    },
                },
                now,
            )
            .await?;
        let pairs: Vec<(&str, Option<&str>)> =
            n.services.iter().map(|(s, p)| (*s, Some(*p))).collect();
        c.insert_network_offering_services(id, &pairs).await?;
    }
    for (name, redundant) in VPCS {
        if c.vpc_offering_seeded(name).await? {
            continue;
        }
        let id = c
            .insert_vpc_offering(
                &NewVpcOffering {
                    uuid: &uuid::Uuid::new_v4().to_string(),
                    name,
                    display_text: name,
                    unique_name: Some(name),
                    state: "Enabled",
                    is_default: true,
                    service_offering_id: None,
                    redundant_router: *redundant,
                },
                now,
            )
            .await?;
        let pairs: Vec<(&str, Option<&str>)> =
            VPC_SERVICES.iter().map(|(s, p)| (*s, Some(*p))).collect();
        c.insert_vpc_offering_services(id, &pairs).await?;
    }
    Ok(())
}
