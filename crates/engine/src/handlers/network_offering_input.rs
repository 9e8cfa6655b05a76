//! The services, providers and capabilities a createNetworkOffering request asks for,
//! checked as CloudStack checks them and against the providers Strato has.

use strato_api::params::Args;
use strato_common::ApiError;
use strato_schema::network_offering::NetworkCapabilities;

use super::network_services::{
    self as ns, CapabilityRequest, ServiceMap, VPC_ONLY_PROVIDERS, flag_value, unsupported,
};

/// What `supportedservices` and `serviceproviderlist` add up to, with the VPC flag they
/// imply when `forvpc` is not given.
pub fn services(args: &Args, guest_type: &str) -> Result<(ServiceMap, bool), ApiError> {
    let mut for_vpc = args.bool("forvpc");
    let mut map = ServiceMap::default();
    for name in args.list("supportedservices").unwrap_or(&[]) {
        let s = ns::service(name)?;
        if for_vpc.is_none() {
            match s {
                "SecurityGroup" | "Firewall" => for_vpc = Some(false),
                "NetworkACL" => for_vpc = Some(true),
                _ => {}
            }
        }
        if s == "SecurityGroup" {
            if guest_type != "Shared" {
                return Err(ApiError::param(
                    "Service SecurityGroup is supported only for offerings with guestiptype Shared",
                ));
            }
            map.set(s, vec!["SecurityGroupProvider"]);
        } else {
            map.set(s, Vec::new());
        }
    }
    let mut vr_firewall = false;
    for (s, names) in ns::provider_list(args, &map)? {
        let mut providers = Vec::new();
        for n in &names {
            let p = ns::provider_for(n, s)?;
            if for_vpc.is_none() && VPC_ONLY_PROVIDERS.contains(&p) {
                for_vpc = Some(true);
            }
            vr_firewall |= matches!(s, "PortForwarding" | "StaticNat") && p == "VirtualRouter";
            providers.push(p);
        }
        map.set(s, providers);
    }
    let for_vpc = for_vpc.unwrap_or(false);
    if map.providers("UserData").contains(&"VirtualRouter") && map.providers("Dhcp").is_empty() {
        return Err(ApiError::param(
            "UserData from the VirtualRouter needs the VirtualRouter as Dhcp provider too: VMs \
             fetch their user data from their DHCP server",
        ));
    }
    // Port forwarding and static NAT on the router need its firewall.
    if vr_firewall {
        map.set("Firewall", vec!["VirtualRouter"]);
    }
    if map.has("SourceNat") {
        let providers = map.providers("SourceNat").to_vec();
        map.set("Gateway", providers);
    }
    for (s, providers) in map.iter() {
        for p in providers {
            if for_vpc && *p == "VirtualRouter" {
                return Err(ApiError::param(format!(
                    "Provider VirtualRouter cannot serve {s} in an offering for VPC tiers; use VpcVirtualRouter"
                )));
            }
            if !for_vpc && VPC_ONLY_PROVIDERS.contains(p) {
                return Err(ApiError::param(format!(
                    "Provider {p} serves only VPC tiers; give forvpc=true"
                )));
            }
        }
    }
    Ok((map, for_vpc))
}

/// Does every provider of `service` offer this capability value?
fn providers_support(map: &ServiceMap, c: &CapabilityRequest) -> bool {
    map.providers(c.service)
        .iter()
        .all(|p| match (c.name, c.value.as_str()) {
            ("SupportedLBIsolation", "dedicated") => true,
            ("LbSchemes", "public") => *p != "InternalLbVm",
            ("LbSchemes", "internal") => *p == "InternalLbVm",
            ("SupportedSourceNatTypes", "peraccount") => true,
            ("RedundantRouter", _) => matches!(*p, "VirtualRouter" | "VpcVirtualRouter"),
            _ => false,
        })
}

/// The capability columns from `servicecapabilitylist`, checked against the providers.
pub fn network_capabilities(
    args: &Args,
    map: &ServiceMap,
) -> Result<NetworkCapabilities, ApiError> {
    let mut caps = NetworkCapabilities {
        dedicated_lb: map.has("Lb"),
        ..NetworkCapabilities::default()
    };
    for c in ns::capability_list(args, map)? {
        match (c.service, c.name) {
            ("Lb", "SupportedLBIsolation") => {
                if !matches!(c.value.as_str(), "dedicated" | "shared") {
                    return Err(ApiError::param(
                        "Capability SupportedLBIsolation takes dedicated or shared",
                    ));
                }
                if !providers_support(map, &c) {
                    return Err(unsupported(&c));
                }
                caps.dedicated_lb = c.value == "dedicated";
            }
            ("Lb", "LbSchemes") => {
                if !matches!(c.value.as_str(), "public" | "internal") {
                    return Err(ApiError::param(
                        "Capability LbSchemes takes public or internal",
                    ));
                }
                if !providers_support(map, &c) {
                    return Err(unsupported(&c));
                }
                caps.internal_lb = c.value == "internal";
                caps.public_lb = c.value == "public";
            }
            ("SourceNat", "SupportedSourceNatTypes") => {
                if !matches!(c.value.as_str(), "peraccount" | "perzone") {
                    return Err(ApiError::param(
                        "Capability SupportedSourceNatTypes takes peraccount or perzone",
                    ));
                }
                if !providers_support(map, &c) {
                    return Err(unsupported(&c));
                }
                caps.shared_source_nat = c.value == "perzone";
            }
            ("SourceNat", "RedundantRouter") => {
                caps.redundant_router = flag_value(&c)?;
                if caps.redundant_router && !providers_support(map, &c) {
                    return Err(unsupported(&c));
                }
            }
            // Elastic IP/LB and inline load balancing need appliances Strato does not have.
            ("Lb", "ElasticLb" | "InlineMode")
            | ("StaticNat", "ElasticIp" | "AssociatePublicIP") => {
                if flag_value(&c)? {
                    return Err(unsupported(&c));
                }
            }
            _ => {
                return Err(ApiError::param(format!(
                    "Capability {} cannot be given for service {} in servicecapabilitylist",
                    c.name, c.service
                )));
            }
        }
    }
    if map.has("Lb") && !caps.internal_lb {
        caps.public_lb = true;
    }
    Ok(caps)
}
