//! Physical networks and what hangs off them: createPhysicalNetwork, listPhysicalNetworks,
//! updatePhysicalNetwork, deletePhysicalNetwork; addTrafficType, updateTrafficType,
//! deleteTrafficType, listTrafficTypes; listNetworkServiceProviders,
//! addNetworkServiceProvider, updateNetworkServiceProvider, deleteNetworkServiceProvider;
//! listVirtualRouterElements, configureVirtualRouterElement,
//! listInternalLoadBalancerElements, configureInternalLoadBalancerElement.
//!
//! Errors follow CloudStack's exception classes: bad values are 431
//! (`InvalidParameterValueException`), refusals CloudStack raises as
//! `CloudRuntimeException` are 530, and creating a network in an enabled zone is 531
//! (`PermissionDeniedException`).

use strato_api::params::Args;
use strato_api::response::{Node, Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::physical_network::{
    ElementFilter, ElementRow, NewPhysicalNetwork, NewTrafficType, PhysicalNetworkFilter,
    PhysicalNetworkRow, ProviderFilter, ProviderRow, TrafficTypeRow,
};
use strato_schema::sql::Page;
use strato_schema::vlan::VlanFilter;
use strato_schema::zone::InventoryTable;

use super::check_name;
use super::zones::zone_by_param;
use crate::{Ctx, paging};

/// Isolation methods CloudStack's network gurus register (`PhysicalNetwork.IsolationMethod`).
pub const ISOLATION_METHODS: &[&str] = &[
    "VLAN",
    "VXLAN",
    "GRE",
    "L3",
    "STT",
    "BCF_SEGMENT",
    "SSP",
    "ODL",
    "L3VPN",
    "VSP",
    "VCS",
    "TF",
    "NSX",
    "NETRIS",
];

/// Traffic types an administrator may put on a physical network.
pub const TRAFFIC_TYPES: &[&str] = &["Public", "Guest", "Management", "Storage"];

/// Services a provider records, in the order CloudStack lists them
/// (`PhysicalNetworkServiceProviderVO.getEnabledServices`).
const RECORDED_SERVICES: &[&str] = &[
    "Vpn",
    "Dhcp",
    "Dns",
    "Gateway",
    "Firewall",
    "Lb",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
    "NetworkACL",
    "UserData",
    "SecurityGroup",
    "CustomAction",
];

/// A service CloudStack knows but does not record per provider.
const UNRECORDED_SERVICES: &[&str] = &["Connectivity"];

/// Element types of CloudStack's `virtual_router_providers` rows.
pub const ELEMENT_VIRTUAL_ROUTER: &str = "VirtualRouter";
pub const ELEMENT_VPC_VIRTUAL_ROUTER: &str = "VPCVirtualRouter";
pub const ELEMENT_INTERNAL_LB: &str = "InternalLbVm";

/// A network service provider Strato implements.
pub struct ProviderKind {
    pub name: &'static str,
    /// Services its element offers, in recorded order.
    pub services: &'static [&'static str],
    /// `canEnableIndividualServices` of its element.
    pub individual: bool,
    /// The element that must be enabled before the provider can be; `None`: always ready.
    pub element: Option<&'static str>,
}

pub const PROVIDERS: &[ProviderKind] = &[
    ProviderKind {
        name: "VirtualRouter",
        services: &[
            "Vpn",
            "Dhcp",
            "Dns",
            "Gateway",
            "Firewall",
            "Lb",
            "SourceNat",
            "StaticNat",
            "PortForwarding",
            "UserData",
        ],
        individual: true,
        element: Some(ELEMENT_VIRTUAL_ROUTER),
    },
    ProviderKind {
        name: "SecurityGroupProvider",
        services: &["SecurityGroup"],
        individual: false,
        element: None,
    },
    ProviderKind {
        name: "VpcVirtualRouter",
        services: &[
            "Vpn",
            "Dhcp",
            "Dns",
            "Gateway",
            "Lb",
            "SourceNat",
            "StaticNat",
            "PortForwarding",
            "NetworkACL",
            "UserData",
        ],
        individual: true,
        element: Some(ELEMENT_VPC_VIRTUAL_ROUTER),
    },
    ProviderKind {
        name: "InternalLbVm",
        services: &["Lb"],
        individual: true,
        element: Some(ELEMENT_INTERNAL_LB),
    },
    ProviderKind {
        name: "ConfigDrive",
        services: &["UserData"],
        individual: false,
        element: None,
    },
];

/// Providers CloudStack knows whose elements Strato does not have (yet).
const OTHER_PROVIDERS: &[&str] = &[
    "JuniperContrailRouter",
    "JuniperContrailVpcRouter",
    "JuniperSRX",
    "PaloAlto",
    "F5BigIp",
    "Netscaler",
    "ExternalDhcpServer",
    "ExternalGateWay",
    "ElasticLoadBalancerVm",
    "None",
    "NiciraNvp",
    "CiscoVnmc",
    "Ovs",
    "Opendaylight",
    "BrocadeVcs",
    "GloboDns",
    "BigSwitchBcf",
    "Tungsten",
    "Nsx",
    "Netris",
    "BaremetalDhcpProvider",
    "BaremetalPxeProvider",
    "BaremetalUserdataProvider",
];

pub fn provider_kind(name: &str) -> Option<&'static ProviderKind> {
    PROVIDERS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

pub fn physical_network_obj(n: &PhysicalNetworkRow) -> Obj {
    Obj::new("physicalnetwork")
        .str("id", &n.uuid)
        .str("name", &n.name)
        .str("broadcastdomainrange", &n.broadcast_domain_range)
        .str("zoneid", &n.zone_uuid)
        .str("zonename", &n.zone_name)
        .str("state", &n.state)
        .opt_str(
            "isolationmethods",
            non_empty(&Some(n.isolation_methods.clone())),
        )
        .opt_str("vlan", non_empty(&n.vlan))
        .opt_str("networkspeed", n.speed.clone())
        .opt_str("tags", non_empty(&n.tags))
        .opt_str("domainid", n.domain_uuid.clone())
}

pub fn traffic_type_obj(t: &TrafficTypeRow) -> Obj {
    Obj::new("traffictype")
        .str("id", &t.uuid)
        .str("traffictype", &t.traffic_type)
        .str("physicalnetworkid", &t.physical_network_uuid)
        .opt_str("xennetworklabel", t.xen_label.clone())
        .opt_str("kvmnetworklabel", t.kvm_label.clone())
        .opt_str("vmwarenetworklabel", t.vmware_label.clone())
        .opt_str("hypervnetworklabel", t.hyperv_label.clone())
        .opt_str("ovm3networklabel", t.ovm3_label.clone())
}

pub fn provider_obj(p: &ProviderRow) -> Obj {
    Obj::new("networkserviceprovider")
        .str("name", &p.provider_name)
        .str("physicalnetworkid", &p.physical_network_uuid)
        .opt_str(
            "destinationphysicalnetworkid",
            p.dest_physical_network_uuid.clone(),
        )
        .str("state", &p.state)
        .str("id", &p.uuid)
        .node("servicelist", Node::Strs(split_list(&p.services)))
        .bool(
            "canenableindividualservice",
            provider_kind(&p.provider_name).is_some_and(|k| k.individual),
        )
}

fn element_obj(name: &str, e: &ElementRow) -> Obj {
    Obj::new(name)
        .str("id", &e.uuid)
        .str("nspid", &e.nsp_uuid)
        .bool("enabled", e.enabled)
}

async fn physical_network_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
    param: &str,
) -> Result<PhysicalNetworkRow, ApiError> {
    let id = args.required_str(param)?;
    conn.physical_network_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found(param, id, "physical network"))
}

async fn provider_by_param(conn: &mut Conn<'_>, args: &Args) -> Result<ProviderRow, ApiError> {
    let id = args.required_str("id")?;
    let f = ProviderFilter {
        uuid: Some(id.to_string()),
        ..ProviderFilter::default()
    };
    conn.list_providers(&f, Page::ALL)
        .await?
        .1
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("id", id, "network service provider"))
}

/// Records the new entity as the job's instance (`jobinstanceid`), as CloudStack does for
/// its create commands.
async fn record_job_instance(conn: &mut Conn<'_>, ctx: &Ctx, uuid: &str) -> Result<(), ApiError> {
    if let Some(job) = ctx.job {
        conn.set_job_instance(job, uuid).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Guest VLAN (vnet) ranges.

/// Lowest and highest guest id the isolation method allows (CloudStack's limits).
fn vnet_limits(isolation_methods: &str) -> (u64, u64) {
    let methods = split_list(isolation_methods);
    if methods.iter().any(|m| m == "GRE") {
        (0, 4_294_967_295)
    } else if methods.iter().any(|m| m == "VXLAN") {
        (0, 16_777_214)
    } else {
        (0, 4095)
    }
}

/// Parses `100-200,300-310` into sorted, merged inclusive ranges; an empty value is none.
fn parse_vnets(value: &str, isolation_methods: &str) -> Result<Vec<(u64, u64)>, ApiError> {
    let (min, max) = vnet_limits(isolation_methods);
    let between = format!(" between {min} and {max}");
    let mut ranges = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.split('-').map(str::trim).collect();
        if parts.len() != 2 {
            return Err(ApiError::param(format!(
                "Please provide valid vnet range. vnet range should be a comma separated list of \
                 vlan ranges. example 500-500,600-601{between}"
            )));
        }
        let (Ok(start), Ok(end)) = (parts[0].parse::<u64>(), parts[1].parse::<u64>()) else {
            return Err(ApiError::param(format!(
                "Please provide valid vnet range. The vnet range should be a comma separated list \
                 example 2001-2012,3000-3005.{between}"
            )));
        };
        if start < min || end > max {
            return Err(ApiError::param(format!("Vnet range has to be{between}")));
        }
        if start > end {
            return Err(ApiError::param(format!(
                "Vnet range has to be{between} and start range should be lesser than or equal to \
                 stop range"
            )));
        }
        ranges.push((start, end));
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    Ok(merged)
}

/// The canonical text of merged ranges, or `None` when there are none.
fn vnet_string(ranges: &[(u64, u64)]) -> Option<String> {
    (!ranges.is_empty()).then(|| {
        ranges
            .iter()
            .map(|(s, e)| format!("{s}-{e}"))
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// Stored ranges of a physical network (already validated when saved).
pub fn stored_vnets(n: &PhysicalNetworkRow) -> Vec<(u64, u64)> {
    n.vlan
        .as_deref()
        .map(|v| {
            v.split(',')
                .filter_map(|r| {
                    let (s, e) = r.split_once('-')?;
                    Some((s.trim().parse().ok()?, e.trim().parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// VXLAN ids must be unique in a zone: the ends of each new range may not belong to
/// another physical network of the zone (CloudStack checks the ends only).
async fn check_vxlan_unique(
    conn: &mut Conn<'_>,
    zone_id: i64,
    except: Option<i64>,
    isolation_methods: &str,
    ranges: &[(u64, u64)],
) -> Result<(), ApiError> {
    if !split_list(isolation_methods).iter().any(|m| m == "VXLAN") {
        return Ok(());
    }
    let f = PhysicalNetworkFilter {
        zone_id: Some(zone_id),
        ..PhysicalNetworkFilter::default()
    };
    let (_, others) = conn.list_physical_networks(&f, Page::ALL).await?;
    for other in others.iter().filter(|o| Some(o.id) != except) {
        let theirs = stored_vnets(other);
        for &(s, e) in ranges {
            for v in [s, e] {
                if theirs.iter().any(|&(a, b)| (a..=b).contains(&v)) {
                    return Err(ApiError::param(format!(
                        "VNI {v} already exists on another network in zone, please specify a \
                         unique range"
                    )));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Physical networks.

/// Adds the providers CloudStack puts on every new physical network, all Disabled with
/// every service of their element, plus their virtual router elements (disabled); in
/// Advanced zones the ConfigDrive provider is added enabled.
async fn add_default_providers(
    conn: &mut Conn<'_>,
    physical_network_id: i64,
    advanced: bool,
) -> Result<(), ApiError> {
    for name in [
        "VirtualRouter",
        "SecurityGroupProvider",
        "VpcVirtualRouter",
        "InternalLbVm",
    ] {
        let kind = provider_kind(name).ok_or_else(|| ApiError::internal("unknown provider"))?;
        let uuid = uuid::Uuid::new_v4().to_string();
        let nsp = conn
            .insert_provider(
                &uuid,
                physical_network_id,
                kind.name,
                "Disabled",
                None,
                &kind.services.join(","),
            )
            .await?;
        if let Some(element) = kind.element {
            let uuid = uuid::Uuid::new_v4().to_string();
            conn.insert_element(&uuid, nsp, element, false).await?;
        }
    }
    if advanced {
        let uuid = uuid::Uuid::new_v4().to_string();
        conn.insert_provider(
            &uuid,
            physical_network_id,
            "ConfigDrive",
            "Enabled",
            None,
            "UserData",
        )
        .await?;
    }
    Ok(())
}

pub async fn create_physical_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    check_name("name", name)?;
    let tags = args.list("tags").unwrap_or_default();
    if tags.len() > 1 {
        return Err(ApiError::param(
            "Only one tag can be specified for a physical network at this time",
        ));
    }
    let methods = args.list("isolationmethods").unwrap_or_default();
    if methods.len() > 1 {
        return Err(ApiError::param(
            "Only one isolationMethod can be specified for a physical network at this time",
        ));
    }
    let isolation = match methods.first() {
        Some(m) => super::one_of("isolationmethods", m, ISOLATION_METHODS)?,
        None => "",
    };
    let mut tx = ctx.engine.store.begin().await?;
    let zone = zone_by_param(&mut tx.c(), &args, "zoneid").await?;
    if zone.allocation_state == "Enabled" {
        return Err(ApiError::permission(format!(
            "Cannot create PhysicalNetwork since the Zone is currently enabled, zone Id: {}",
            zone.uuid
        )));
    }
    let basic = zone.network_type == "Basic";
    let existing = PhysicalNetworkFilter {
        zone_id: Some(zone.id),
        ..PhysicalNetworkFilter::default()
    };
    if basic && tx.c().list_physical_networks(&existing, Page::ALL).await?.0 > 0 {
        return Err(ApiError::internal(format!(
            "Cannot add the physical network to basic zone id: {}, there is a physical network \
             already existing in this basic Zone",
            zone.uuid
        )));
    }
    let vlan = args.str("vlan").filter(|v| !v.trim().is_empty());
    if vlan.is_some() && basic {
        return Err(ApiError::param(
            "Can't add vnet range to the physical network in the Basic zone",
        ));
    }
    let range = match args.str("broadcastdomainrange").filter(|v| !v.is_empty()) {
        Some(v) => {
            let r = match v.to_ascii_uppercase().as_str() {
                "POD" => "POD",
                "ZONE" => "ZONE",
                _ => {
                    return Err(ApiError::param(format!(
                        "Unable to resolve broadcastDomainRange '{v}' to a supported value {{Pod or Zone}}"
                    )));
                }
            };
            if basic && r != "POD" {
                return Err(ApiError::param(
                    "Basic zone can have broadcast domain type of value POD only",
                ));
            }
            if !basic && r != "ZONE" {
                return Err(ApiError::param(
                    "Advance zone can have broadcast domain type of value ZONE only",
                ));
            }
            r
        }
        None if basic => "POD",
        None => "ZONE",
    };
    let domain_id = match args.uuid("domainid") {
        Some(id) => Some(
            tx.c()
                .domain_by_uuid(id)
                .await?
                .ok_or_else(|| ApiError::not_found("domainid", id, "domain"))?
                .id,
        ),
        None => None,
    };
    let vnets = match vlan {
        Some(v) => parse_vnets(v, isolation)?,
        None => Vec::new(),
    };
    check_vxlan_unique(&mut tx.c(), zone.id, None, isolation, &vnets).await?;
    let vnet_text = vnet_string(&vnets);
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_physical_network(
            &NewPhysicalNetwork {
                uuid: &uuid,
                zone_id: zone.id,
                name,
                isolation_methods: isolation,
                vlan: vnet_text.as_deref(),
                speed: args.str("networkspeed"),
                broadcast_domain_range: range,
                tags: tags.first().map(String::as_str),
                domain_id,
                state: "Disabled",
            },
            strato_schema::now(),
        )
        .await?;
    add_default_providers(&mut tx.c(), id, zone.network_type == "Advanced").await?;
    record_job_instance(&mut tx.c(), &ctx, &uuid).await?;
    let n = tx
        .c()
        .physical_network_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("physical network vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(physical_network_obj(&n)))
}

pub async fn list_physical_networks(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let zone_id = match args.uuid("zoneid") {
        Some(_) => Some(zone_by_param(&mut db.c(), &args, "zoneid").await?.id),
        None => None,
    };
    let f = PhysicalNetworkFilter {
        uuid: args.uuid("id").map(str::to_string),
        zone_id,
        name: args.str("name").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
        traffic_type: None,
    };
    let (total, rows) = db.c().list_physical_networks(&f, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(physical_network_obj).collect(),
    ))
}

pub async fn update_physical_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut n = physical_network_by_param(&mut tx.c(), &args, "id").await?;
    let basic = n.zone_network_type == "Basic";
    if args.has("vlan") && basic {
        return Err(ApiError::param(
            "Can't add vnet range to the physical network in the Basic zone",
        ));
    }
    if let Some(tags) = args.list("tags") {
        if tags.len() > 1 {
            return Err(ApiError::param(
                "Unable to support more than one tag on network yet",
            ));
        }
        if tags.is_empty() {
            check_untagged_unique(&mut tx.c(), &n).await?;
        }
        n.tags = tags.first().cloned();
    }
    if let Some(state) = args.str("state").filter(|s| !s.is_empty()) {
        if state != "Enabled" && state != "Disabled" {
            return Err(ApiError::param(format!(
                "Unable to resolve state '{state}' to a supported value {{Enabled or Disabled}}"
            )));
        }
        n.state = state.to_string();
    }
    if let Some(speed) = args.str("networkspeed") {
        n.speed = Some(speed.to_string());
    }
    if let Some(v) = args.str("vlan") {
        // The new value is the complete set: ranges left out are released.
        let vnets = parse_vnets(v, &n.isolation_methods)?;
        check_vxlan_unique(
            &mut tx.c(),
            n.zone_id,
            Some(n.id),
            &n.isolation_methods,
            &vnets,
        )
        .await?;
        n.vlan = vnet_string(&vnets);
    }
    if !tx.c().update_physical_network(&n).await? {
        return Err(super::concurrent_change(&format!(
            "Physical network {}",
            n.uuid
        )));
    }
    let n = tx
        .c()
        .physical_network_by_id(n.id)
        .await?
        .ok_or_else(|| ApiError::internal("physical network vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(physical_network_obj(&n)))
}

/// Removing the tag of a physical network: each of its traffic types must then not be
/// carried by another untagged physical network of the zone.
async fn check_untagged_unique(
    conn: &mut Conn<'_>,
    n: &PhysicalNetworkRow,
) -> Result<(), ApiError> {
    let (_, types) = conn.list_traffic_types(n.id, Page::ALL).await?;
    for t in types {
        check_one_untagged(conn, n, &t.traffic_type).await?;
    }
    Ok(())
}

async fn check_one_untagged(
    conn: &mut Conn<'_>,
    n: &PhysicalNetworkRow,
    traffic_type: &str,
) -> Result<(), ApiError> {
    let f = PhysicalNetworkFilter {
        zone_id: Some(n.zone_id),
        traffic_type: Some(traffic_type.to_string()),
        ..PhysicalNetworkFilter::default()
    };
    let (_, carriers) = conn.list_physical_networks(&f, Page::ALL).await?;
    if carriers
        .iter()
        .any(|o| o.id != n.id && non_empty(&o.tags).is_none())
    {
        return Err(ApiError::internal(format!(
            "There are more than 1 physical network without tags in the zone= {}",
            n.zone_uuid
        )));
    }
    Ok(())
}

pub async fn delete_physical_network(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut n = physical_network_by_param(&mut tx.c(), &args, "id").await?;
    if tx.c().count_used_ips_of_network(n.id).await? > 0 {
        return Err(ApiError::internal(
            "The Physical Network is not deletable because there are public IP addresses \
             allocated for this physical network",
        )
        .with_uuid(&n.uuid, "physicalNetworkId"));
    }
    // CloudStack removes the network's (unused) public ranges, providers and traffic
    // types with it.
    let f = VlanFilter {
        physical_network_id: Some(n.id),
        ..VlanFilter::default()
    };
    let now = strato_schema::now();
    let (_, vlans) = tx.c().list_vlans(&f, Page::ALL).await?;
    for v in vlans {
        tx.c().delete_public_ips(v.id).await?;
        tx.c().remove_row(InventoryTable::Vlan, v.id, now).await?;
    }
    tx.c().delete_network_children(n.id).await?;
    n.state = "Disabled".into();
    tx.c().update_physical_network(&n).await?;
    tx.c()
        .remove_row(InventoryTable::PhysicalNetwork, n.id, now)
        .await?;
    tx.commit().await?;
    Ok(Reply::success())
}

// ---------------------------------------------------------------------------------------
// Traffic types.

/// An empty label clears it; an absent one leaves it as it is.
fn set_label(slot: &mut Option<String>, args: &Args, param: &str) {
    if let Some(v) = args.str(param) {
        *slot = Some(v.to_string()).filter(|v| !v.is_empty());
    }
}

pub async fn add_traffic_type(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let wanted = args.required_str("traffictype")?;
    let Some(traffic) = TRAFFIC_TYPES.iter().copied().find(|t| *t == wanted) else {
        return Err(ApiError::param(format!(
            "Unable to resolve trafficType '{wanted}' to a supported value"
        )));
    };
    let mut tx = ctx.engine.store.begin().await?;
    let n = physical_network_by_param(&mut tx.c(), &args, "physicalnetworkid").await?;
    let duplicate = || {
        ApiError::internal(format!(
            "This physical network already supports the traffic type: {traffic}"
        ))
    };
    let (_, mine) = tx.c().list_traffic_types(n.id, Page::ALL).await?;
    if mine.iter().any(|t| t.traffic_type == traffic) {
        return Err(duplicate());
    }
    // System traffic (Public, Management, Storage) is carried by one network per zone.
    if traffic != "Guest" {
        let f = PhysicalNetworkFilter {
            zone_id: Some(n.zone_id),
            traffic_type: Some(traffic.to_string()),
            ..PhysicalNetworkFilter::default()
        };
        if tx.c().list_physical_networks(&f, Page::ALL).await?.0 > 0 {
            return Err(ApiError::internal(format!(
                "Fail to add the traffic type to physical network because Zone already has a \
                 physical network with this traffic type: {traffic}"
            )));
        }
    }
    if non_empty(&n.tags).is_none() {
        check_one_untagged(&mut tx.c(), &n, traffic).await?;
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let label = |p: &str| args.str(p).filter(|v| !v.is_empty());
    let id = tx
        .c()
        .insert_traffic_type(&NewTrafficType {
            uuid: &uuid,
            physical_network_id: n.id,
            traffic_type: traffic,
            kvm_label: label("kvmnetworklabel"),
            xen_label: label("xennetworklabel"),
            vmware_label: label("vmwarenetworklabel"),
            hyperv_label: label("hypervnetworklabel"),
            ovm3_label: label("ovm3networklabel"),
            vlan: label("vlan"),
            isolation_method: label("isolationmethod"),
        })
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                duplicate()
            } else {
                e.into()
            }
        })?;
    record_job_instance(&mut tx.c(), &ctx, &uuid).await?;
    let t = tx
        .c()
        .traffic_type_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("traffic type vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(traffic_type_obj(&t)))
}

async fn traffic_type_by_param(
    conn: &mut Conn<'_>,
    args: &Args,
) -> Result<TrafficTypeRow, ApiError> {
    let id = args.required_str("id")?;
    conn.traffic_type_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "traffic type"))
}

pub async fn update_traffic_type(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut t = traffic_type_by_param(&mut tx.c(), &args).await?;
    set_label(&mut t.xen_label, &args, "xennetworklabel");
    set_label(&mut t.kvm_label, &args, "kvmnetworklabel");
    set_label(&mut t.vmware_label, &args, "vmwarenetworklabel");
    set_label(&mut t.hyperv_label, &args, "hypervnetworklabel");
    set_label(&mut t.ovm3_label, &args, "ovm3networklabel");
    if !tx.c().update_traffic_type_labels(&t).await? {
        return Err(super::concurrent_change(&format!(
            "Traffic type {}",
            t.uuid
        )));
    }
    let t = tx
        .c()
        .traffic_type_by_id(t.id)
        .await?
        .ok_or_else(|| ApiError::internal("traffic type vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(traffic_type_obj(&t)))
}

pub async fn delete_traffic_type(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let t = traffic_type_by_param(&mut tx.c(), &args).await?;
    // CloudStack refuses while guest networks or storage IPs use the traffic type;
    // Strato has neither yet.
    tx.c().delete_traffic_type(t.id).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

pub async fn list_traffic_types(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let n = physical_network_by_param(&mut db.c(), &args, "physicalnetworkid").await?;
    let (total, rows) = db.c().list_traffic_types(n.id, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(traffic_type_obj).collect(),
    ))
}

// ---------------------------------------------------------------------------------------
// Network service providers.

/// Canonical service names in recorded order; `Gateway` is refused (it comes with
/// SourceNat), unknown names are refused.
fn check_services(
    requested: &[String],
    allow_gateway: bool,
) -> Result<Vec<&'static str>, ApiError> {
    let mut chosen = Vec::new();
    for s in requested {
        let known = RECORDED_SERVICES
            .iter()
            .chain(UNRECORDED_SERVICES)
            .find(|k| k.eq_ignore_ascii_case(s))
            .copied();
        match known {
            Some("Gateway") if !allow_gateway => {
                return Err(ApiError::param(format!(
                    "Invalid Network Service specified={s}"
                )));
            }
            Some(k) => chosen.push(k),
            None => {
                return Err(ApiError::param(format!(
                    "Invalid Network Service specified={s}"
                )));
            }
        }
    }
    Ok(chosen)
}

/// The services to record, in CloudStack's order.
fn recorded(services: &[&str]) -> String {
    RECORDED_SERVICES
        .iter()
        .filter(|s| services.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn list_network_service_providers(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let physical_network_id = match args.uuid("physicalnetworkid") {
        Some(_) => Some(
            physical_network_by_param(&mut db.c(), &args, "physicalnetworkid")
                .await?
                .id,
        ),
        None => None,
    };
    let f = ProviderFilter {
        uuid: None,
        physical_network_id,
        name: args.str("name").map(str::to_string),
        state: args.str("state").map(str::to_string),
    };
    let (total, rows) = db.c().list_providers(&f, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(provider_obj).collect(),
    ))
}

pub async fn add_network_service_provider(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let wanted = args.required_str("name")?.trim();
    let mut tx = ctx.engine.store.begin().await?;
    let n = physical_network_by_param(&mut tx.c(), &args, "physicalnetworkid").await?;
    let dest = match args.uuid("destinationphysicalnetworkid") {
        Some(_) => Some(
            physical_network_by_param(&mut tx.c(), &args, "destinationphysicalnetworkid")
                .await?
                .id,
        ),
        None => None,
    };
    let Some(kind) = provider_kind(wanted) else {
        if OTHER_PROVIDERS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(wanted))
        {
            return Err(ApiError::param(format!(
                "Unable to find the Network Element implementing the Service Provider '{wanted}'"
            )));
        }
        return Err(ApiError::param(format!(
            "Invalid Network Service Provider={wanted}"
        )));
    };
    let existing = ProviderFilter {
        physical_network_id: Some(n.id),
        name: Some(kind.name.to_string()),
        ..ProviderFilter::default()
    };
    let duplicate = || {
        ApiError::internal(format!(
            "The '{}' provider already exists on physical network : {}",
            kind.name, n.uuid
        ))
    };
    if tx.c().list_providers(&existing, Page::ALL).await?.0 > 0 {
        return Err(duplicate());
    }
    let services: Vec<&str> = match args.list("servicelist") {
        Some(requested) => {
            if !kind.individual && requested.len() != kind.services.len() {
                return Err(ApiError::param(format!(
                    "Cannot enable subset of Services, Please specify the complete list of \
                     Services for this Service Provider '{}'",
                    kind.name
                )));
            }
            let mut chosen = check_services(requested, false)?;
            for s in &chosen {
                if !kind.services.contains(s) {
                    return Err(ApiError::param(format!(
                        "{} Provider cannot provide this Service specified={s}",
                        kind.name
                    )));
                }
            }
            if chosen.contains(&"SourceNat") {
                chosen.push("Gateway");
            }
            chosen
        }
        None => kind.services.to_vec(),
    };
    let uuid = uuid::Uuid::new_v4().to_string();
    let id = tx
        .c()
        .insert_provider(
            &uuid,
            n.id,
            kind.name,
            "Disabled",
            dest,
            &recorded(&services),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                duplicate()
            } else {
                e.into()
            }
        })?;
    record_job_instance(&mut tx.c(), &ctx, &uuid).await?;
    let p = tx
        .c()
        .provider_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("provider vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(provider_obj(&p)))
}

/// A provider can be enabled once its element (if it has one) is enabled.
async fn provider_ready(conn: &mut Conn<'_>, p: &ProviderRow) -> Result<bool, ApiError> {
    let Some(kind) = provider_kind(&p.provider_name) else {
        return Ok(false);
    };
    Ok(match kind.element {
        Some(element) => conn
            .element_of_provider(p.id, element)
            .await?
            .is_some_and(|e| e.enabled),
        None => true,
    })
}

pub async fn update_network_service_provider(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut p = provider_by_param(&mut tx.c(), &args).await?;
    let kind = provider_kind(&p.provider_name).ok_or_else(|| {
        ApiError::param(format!(
            "Unable to find the Network Element implementing the Service Provider '{}'",
            p.provider_name
        ))
    })?;
    if let Some(state) = args.str("state").filter(|s| !s.is_empty()) {
        match state {
            "Enabled" => {
                if !provider_ready(&mut tx.c(), &p).await? {
                    return Err(ApiError::internal(
                        "Provider is not ready, cannot Enable the provider, please configure the \
                         provider first",
                    ));
                }
                p.state = "Enabled".into();
            }
            "Disabled" => p.state = "Disabled".into(),
            "Shutdown" => {
                return Err(ApiError::param(
                    "Updating the provider state to 'Shutdown' is not supported",
                ));
            }
            other => {
                return Err(ApiError::param(format!(
                    "Unable to resolve state '{other}' to a supported value {{Enabled or Disabled}}"
                )));
            }
        }
    }
    if let Some(requested) = args.list("servicelist") {
        if !kind.individual {
            return Err(ApiError::param(format!(
                "Cannot update set of Services for this Service Provider '{}'",
                p.provider_name
            )));
        }
        let chosen = check_services(requested, true)?;
        p.services = recorded(&chosen);
    }
    tx.c().update_provider(&p).await?;
    let p = tx
        .c()
        .provider_by_id(p.id)
        .await?
        .ok_or_else(|| ApiError::internal("provider vanished"))?;
    tx.commit().await?;
    Ok(Reply::Object(provider_obj(&p)))
}

pub async fn delete_network_service_provider(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let p = provider_by_param(&mut tx.c(), &args).await?;
    // CloudStack refuses while guest networks use the provider (Strato has none yet),
    // then shuts its instances down and removes its element with it.
    tx.c().delete_provider(p.id).await?;
    tx.commit().await?;
    Ok(Reply::success())
}

// ---------------------------------------------------------------------------------------
// Virtual router and internal load balancer elements.

async fn list_elements(
    ctx: Ctx,
    args: Args,
    object: &str,
    types: Vec<&'static str>,
) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let nsp_id = match args.uuid("nspid") {
        Some(id) => {
            let f = ProviderFilter {
                uuid: Some(id.to_string()),
                ..ProviderFilter::default()
            };
            Some(
                db.c()
                    .list_providers(&f, Page::ALL)
                    .await?
                    .1
                    .first()
                    .ok_or_else(|| ApiError::not_found("nspid", id, "network service provider"))?
                    .id,
            )
        }
        None => None,
    };
    let f = ElementFilter {
        uuid: args.uuid("id").map(str::to_string),
        nsp_id,
        enabled: args.bool("enabled"),
        types,
    };
    let (total, rows) = db.c().list_elements(&f, page).await?;
    Ok(Reply::list(
        total as usize,
        rows.iter().map(|e| element_obj(object, e)).collect(),
    ))
}

pub async fn list_virtual_router_elements(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    list_elements(
        ctx,
        args,
        "virtualrouterelement",
        vec![ELEMENT_VIRTUAL_ROUTER, ELEMENT_VPC_VIRTUAL_ROUTER],
    )
    .await
}

pub async fn list_internal_load_balancer_elements(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    list_elements(
        ctx,
        args,
        "internalloadbalancerelement",
        vec![ELEMENT_INTERNAL_LB],
    )
    .await
}

async fn element_by_param(conn: &mut Conn<'_>, args: &Args) -> Result<ElementRow, ApiError> {
    let id = args.required_str("id")?;
    conn.element_by_uuid(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", id, "element"))
}

async fn set_enabled(ctx: &Ctx, args: &Args, e: &ElementRow) -> Result<ElementRow, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let enabled = args.flag("enabled");
    if !tx.c().set_element_enabled(e.id, enabled).await? {
        return Err(super::concurrent_change(&format!("Element {}", e.uuid)));
    }
    let e = tx
        .c()
        .element_by_id(e.id)
        .await?
        .ok_or_else(|| ApiError::internal("element vanished"))?;
    tx.commit().await?;
    Ok(e)
}

pub async fn configure_virtual_router_element(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let e = element_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    if e.element_type != ELEMENT_VIRTUAL_ROUTER && e.element_type != ELEMENT_VPC_VIRTUAL_ROUTER {
        return Err(ApiError::internal(
            "Failed to configure the virtual router provider",
        ));
    }
    let e = set_enabled(&ctx, &args, &e).await?;
    Ok(Reply::Object(element_obj("virtualrouterelement", &e)))
}

pub async fn configure_internal_load_balancer_element(
    ctx: Ctx,
    args: Args,
) -> Result<Reply, ApiError> {
    let e = element_by_param(&mut ctx.engine.store.acquire().await?.c(), &args).await?;
    if e.element_type != ELEMENT_INTERNAL_LB {
        return Err(ApiError::param(format!(
            "Can't find InternalLbVm element with network service provider id {}",
            e.uuid
        )));
    }
    let e = set_enabled(&ctx, &args, &e).await?;
    Ok(Reply::Object(element_obj(
        "internalloadbalancerelement",
        &e,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnet_ranges_merge_and_check_limits() {
        let r = parse_vnets("300-310, 100-200,150-250,251-260", "VLAN").expect("valid");
        assert_eq!(vnet_string(&r).as_deref(), Some("100-260,300-310"));
        assert!(parse_vnets("", "VLAN").expect("empty").is_empty());
        assert!(parse_vnets("100", "VLAN").is_err());
        assert!(parse_vnets("200-100", "VLAN").is_err());
        assert!(parse_vnets("4000-5000", "VLAN").is_err());
        assert!(parse_vnets("4000-5000", "VXLAN").is_ok());
        assert!(parse_vnets("a-b", "VLAN").is_err());
    }

    #[test]
    fn services_are_recorded_in_cloudstack_order() {
        let chosen =
            check_services(&["userdata".into(), "Dhcp".into(), "Vpn".into()], false).expect("ok");
        assert_eq!(recorded(&chosen), "Vpn,Dhcp,UserData");
        assert!(check_services(&["Gateway".into()], false).is_err());
        assert!(check_services(&["Teleport".into()], true).is_err());
    }
}
