//! The services of network and VPC offerings: service and provider names, which provider
//! may serve what, the `serviceproviderlist` / `servicecapabilitylist` maps, and the
//! `service` response objects.

use std::collections::BTreeMap;

use strato_api::params::Args;
use strato_api::response::{Node, Obj};
use strato_common::ApiError;
use strato_schema::network_offering::OfferingServiceRow;

use super::physical_networks::{PROVIDERS, provider_kind};

/// CloudStack's network services, in the order responses list them.
pub const SERVICES: &[&str] = &[
    "Vpn",
    "Dhcp",
    "Dns",
    "Gateway",
    "Firewall",
    "Lb",
    "UserData",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
    "SecurityGroup",
    "NetworkACL",
    "Connectivity",
];

/// Providers that only serve VPCs.
pub const VPC_ONLY_PROVIDERS: &[&str] = &["VpcVirtualRouter", "InternalLbVm"];

/// A service name in CloudStack's spelling (Gateway is implied by SourceNat, never asked for).
pub fn service(name: &str) -> Result<&'static str, ApiError> {
    SERVICES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(name.trim()))
        .copied()
        .filter(|s| *s != "Gateway")
        .ok_or_else(|| ApiError::param(format!("Invalid service {name}")))
}

/// A provider Strato has, and that it offers `service`.
pub fn provider_for(name: &str, service: &str) -> Result<&'static str, ApiError> {
    let kind = provider_kind(name.trim()).ok_or_else(|| {
        let known: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
        ApiError::param(format!(
            "Invalid service provider {name} in serviceproviderlist: available providers are {}",
            known.join(", ")
        ))
    })?;
    if !kind.services.contains(&service) {
        return Err(ApiError::param(format!(
            "Provider {} doesn't support service {service}",
            kind.name
        )));
    }
    Ok(kind.name)
}

/// The services of an offering and the providers chosen for each (maybe none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceMap(BTreeMap<usize, (&'static str, Vec<&'static str>)>);

fn position(service: &str) -> usize {
    SERVICES
        .iter()
        .position(|s| *s == service)
        .unwrap_or(SERVICES.len())
}

impl ServiceMap {
    pub fn set(&mut self, service: &'static str, providers: Vec<&'static str>) {
        self.0.insert(position(service), (service, providers));
    }

    pub fn has(&self, service: &str) -> bool {
        self.0.contains_key(&position(service))
    }

    pub fn providers(&self, service: &str) -> &[&'static str] {
        self.0
            .get(&position(service))
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&[])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &[&'static str])> {
        self.0.values().map(|(s, p)| (*s, p.as_slice()))
    }

    /// Rows to store: one per provider, or one without a provider.
    pub fn pairs(&self) -> Vec<(&'static str, Option<&'static str>)> {
        self.iter()
            .flat_map(|(s, ps)| {
                if ps.is_empty() {
                    vec![(s, None)]
                } else {
                    ps.iter().map(|p| (s, Some(*p))).collect()
                }
            })
            .collect()
    }

    /// The stored rows of one offering.
    pub fn from_rows<'a>(rows: impl Iterator<Item = &'a OfferingServiceRow>) -> ServiceMap {
        let mut map = ServiceMap::default();
        for r in rows {
            let Some(s) = SERVICES.iter().find(|s| **s == r.service) else {
                continue;
            };
            let entry = map.0.entry(position(s)).or_insert((s, Vec::new()));
            if let Some(p) = r.provider.as_deref().and_then(provider_kind) {
                entry.1.push(p.name);
            }
        }
        // Rows come back in no fixed order; list providers in CloudStack's order.
        let rank = |p: &&str| PROVIDERS.iter().position(|k| k.name == *p);
        for (_, providers) in map.0.values_mut() {
            providers.sort_by_key(rank);
        }
        map
    }
}

/// Reads a map parameter's items with case-insensitive keys.
fn items<'a>(args: &'a Args, param: &str) -> Vec<BTreeMap<String, &'a str>> {
    args.map(param)
        .unwrap_or(&[])
        .iter()
        .map(|item| {
            item.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
                .collect()
        })
        .collect()
}

fn key<'a>(item: &BTreeMap<String, &'a str>, param: &str, name: &str) -> Result<&'a str, ApiError> {
    item.get(name)
        .copied()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::param(format!("Every {param} item needs a {name}")))
}

/// `serviceproviderlist` as providers per service, in the order given. Every service
/// must already be offered; only Lb may have more than one provider.
pub fn provider_list(
    args: &Args,
    services: &ServiceMap,
) -> Result<Vec<(&'static str, Vec<String>)>, ApiError> {
    let mut out: Vec<(&'static str, Vec<String>)> = Vec::new();
    for item in items(args, "serviceproviderlist") {
        let s = service(key(&item, "serviceproviderlist", "service")?)?;
        let p = key(&item, "serviceproviderlist", "provider")?
            .trim()
            .to_string();
        if !services.has(s) {
            return Err(ApiError::param(format!(
                "Service {s} is not in supportedservices, so serviceproviderlist cannot name a provider for it"
            )));
        }
        match out.iter_mut().find(|(name, _)| *name == s) {
            Some(_) if s != "Lb" => {
                return Err(ApiError::param(format!(
                    "Only one provider can be given for service {s} in serviceproviderlist (only Lb may have several)"
                )));
            }
            Some((_, ps)) => ps.push(p),
            None => out.push((s, vec![p])),
        }
    }
    Ok(out)
}

/// One `servicecapabilitylist` item.
pub struct CapabilityRequest {
    pub service: &'static str,
    pub name: &'static str,
    pub value: String,
}

/// CloudStack's capability names that may be requested.
const CAPABILITIES: &[&str] = &[
    "SupportedLBIsolation",
    "ElasticLb",
    "InlineMode",
    "LbSchemes",
    "SupportedSourceNatTypes",
    "RedundantRouter",
    "ElasticIp",
    "AssociatePublicIP",
    "StretchedL2Subnet",
    "PublicAccess",
    "DistributedRouter",
    "RegionLevelVpc",
];

/// `servicecapabilitylist`; each item's service must be offered.
pub fn capability_list(
    args: &Args,
    services: &ServiceMap,
) -> Result<Vec<CapabilityRequest>, ApiError> {
    let mut out = Vec::new();
    for item in items(args, "servicecapabilitylist") {
        let s = service(key(&item, "servicecapabilitylist", "service")?)?;
        let cap = key(&item, "servicecapabilitylist", "capabilitytype")?;
        let value = key(&item, "servicecapabilitylist", "capabilityvalue")?;
        let name = CAPABILITIES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(cap.trim()))
            .copied()
            .ok_or_else(|| {
                ApiError::param(format!("Invalid capability {cap} in servicecapabilitylist"))
            })?;
        if !services.has(s) {
            return Err(ApiError::param(format!(
                "Capabilities of service {s} can be given only when {s} is in supportedservices"
            )));
        }
        out.push(CapabilityRequest {
            service: s,
            name,
            value: value.trim().to_ascii_lowercase(),
        });
    }
    Ok(out)
}

/// A `true`/`false` capability value.
pub fn flag_value(c: &CapabilityRequest) -> Result<bool, ApiError> {
    match c.value.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        v => Err(ApiError::param(format!(
            "Invalid value {v} for capability {} in servicecapabilitylist: expected true or false",
            c.name
        ))),
    }
}

/// The error for a capability value no provider of this cloud can deliver.
pub fn unsupported(c: &CapabilityRequest) -> ApiError {
    ApiError::param(format!(
        "Capability {}={} of service {} is not supported by the available providers",
        c.name, c.value, c.service
    ))
}

/// The `service` response objects; Gateway is never shown, as in CloudStack.
pub fn service_objs(
    services: &ServiceMap,
    capabilities: impl Fn(&str) -> Vec<(&'static str, String)>,
) -> Node {
    Node::Objs(
        services
            .iter()
            .filter(|(s, _)| *s != "Gateway")
            .map(|(s, providers)| {
                let providers = providers
                    .iter()
                    .map(|p| Obj::new("provider").str("name", *p))
                    .collect();
                let mut obj = Obj::new("service")
                    .str("name", s)
                    .node("provider", Node::Objs(providers));
                let caps = capabilities(s);
                if !caps.is_empty() {
                    obj = obj.node(
                        "capability",
                        Node::Objs(
                            caps.into_iter()
                                .map(|(n, v)| Obj::new("capability").str("name", n).str("value", v))
                                .collect(),
                        ),
                    );
                }
                obj
            })
            .collect(),
    )
}
