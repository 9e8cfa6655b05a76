//! NICs and guest addresses. An address is handed out by inserting the NIC: the partial
//! unique index on (network, address) of live NICs makes a duplicate impossible, and a
//! lost race (the insert does nothing) is retried with another address. MACs are
//! `02:00:xx:xx:xx:xx` (locally administered), random, unique per zone the same way.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::network::NetworkRow;
use strato_schema::nic::{NewNic, NicRow};

use super::addressing::IpPlan;
use super::{DESTROY, L2, MAX_ATTEMPTS, SHARED, insufficient_address_capacity};
use crate::net::ipv4;

/// The addresses NICs of a network may get, without the gateway: its own `start..=end`
/// (if any) and, for a Shared network, its direct IP ranges. Ranges are disjoint (the
/// range checks see to it) and ordered.
struct Pool {
    ranges: Vec<(u32, u32)>,
    gateway: Option<u32>,
}

impl Pool {
    /// The network's pool; None for L2 networks (no addresses). A Shared network's
    /// direct ranges take one query, and stay locked against removal until the
    /// transaction ends.
    async fn of(c: &mut Conn<'_>, n: &NetworkRow) -> Result<Option<Pool>, ApiError> {
        if n.guest_type == L2 {
            return Ok(None);
        }
        let mut ranges = Vec::new();
        if let (Some(s), Some(e)) = (n.start_ip.as_deref(), n.end_ip.as_deref()) {
            ranges.push(range(s, e)?);
        }
        if n.guest_type == SHARED {
            for (s, e) in c.direct_ranges(n.id).await? {
                ranges.push(range(&s, &e)?);
            }
        }
        ranges.sort_unstable();
        Ok(Some(Pool {
            ranges,
            gateway: n
                .gateway
                .as_deref()
                .map(|g| ipv4("gateway", g).map(u32::from))
                .transpose()?,
        }))
    }

    fn contains(&self, a: u32) -> bool {
        self.ranges.iter().any(|r| (r.0..=r.1).contains(&a)) && Some(a) != self.gateway
    }

    /// Addresses in all ranges, the gateway included.
    fn span(&self) -> u64 {
        self.ranges.iter().map(|r| u64::from(r.1 - r.0) + 1).sum()
    }

    /// The `i`-th address of the ranges taken one after the other (`i < span`).
    fn nth(&self, mut i: u64) -> u32 {
        for r in &self.ranges {
            let len = u64::from(r.1 - r.0) + 1;
            if i < len {
                return r.0 + i as u32;
            }
            i -= len;
        }
        self.ranges.last().map_or(0, |r| r.1)
    }

    fn size(&self) -> u64 {
        let gateway_inside = self
            .gateway
            .is_some_and(|g| self.ranges.iter().any(|r| (r.0..=r.1).contains(&g)));
        self.span() - u64::from(gateway_inside)
    }

    /// A random address of the pool (not the gateway); the pool must not be empty.
    fn random(&self) -> u32 {
        loop {
            let a = self.nth(rand::random_range(0..self.span()));
            if self.contains(a) {
                return a;
            }
        }
    }

    /// A free address, searched from a random point so concurrent callers spread out.
    fn pick(&self, used: &HashSet<u32>) -> Option<u32> {
        let in_use = used.iter().filter(|a| self.contains(**a)).count() as u64;
        if in_use >= self.size() {
            return None;
        }
        let span = self.span();
        let from = rand::random_range(0..span);
        (0..span)
            .map(|i| self.nth((from + i) % span))
            .find(|a| self.contains(*a) && !used.contains(a))
    }

    /// The ranges for messages: `a-b, c-d`.
    fn describe(&self) -> String {
        let ranges: Vec<String> = self
            .ranges
            .iter()
            .map(|r| format!("{}-{}", Ipv4Addr::from(r.0), Ipv4Addr::from(r.1)))
            .collect();
        ranges.join(", ")
    }

    /// The address, if it is one the pool hands out; 431 naming `ipaddress` otherwise.
    fn check_in(&self, requested: &str, network: &str) -> Result<u32, ApiError> {
        let a = u32::from(ipv4("ipaddress", requested)?);
        if self.ranges.is_empty() {
            return Err(ApiError::param(format!(
                "Invalid value {requested} for parameter ipaddress: {network} has no IP addresses"
            )));
        }
        if self.contains(a) {
            Ok(a)
        } else {
            Err(ApiError::param(format!(
                "Invalid value {requested} for parameter ipaddress: not in the range {} of \
                 {network} (or it is the gateway)",
                self.describe()
            )))
        }
    }
}

fn range(start: &str, end: &str) -> Result<(u32, u32), ApiError> {
    Ok((
        u32::from(ipv4("startip", start)?),
        u32::from(ipv4("endip", end)?),
    ))
}

/// Random addresses an allocation tries before it reads the network's used addresses.
const RANDOM_TRIES: usize = 3;

fn random_mac() -> String {
    let b: [u8; 4] = rand::random();
    format!("02:00:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3])
}

async fn used_addresses(c: &mut Conn<'_>, network_id: i64) -> Result<HashSet<u32>, ApiError> {
    Ok(c.used_nic_ips(network_id)
        .await?
        .iter()
        .filter_map(|a| a.parse::<Ipv4Addr>().ok().map(u32::from))
        .collect())
}

/// How many live NICs of the network hold an address of `start..=end`.
pub async fn addresses_in_use(
    c: &mut Conn<'_>,
    network_id: i64,
    (start, end): (Ipv4Addr, Ipv4Addr),
) -> Result<usize, ApiError> {
    let range = u32::from(start)..=u32::from(end);
    let used = used_addresses(c, network_id).await?;
    Ok(used.iter().filter(|a| range.contains(a)).count())
}

/// A requested address: inside the network's ranges and free, else 431 naming `ipaddress`.
async fn check_requested(
    c: &mut Conn<'_>,
    n: &NetworkRow,
    pool: Option<&Pool>,
    requested: &str,
) -> Result<u32, ApiError> {
    let network = format!("network {}", n.uuid);
    let a = match pool {
        Some(pool) => pool.check_in(requested, &network)?,
        None => {
            return Err(ApiError::param(format!(
                "Invalid value {requested} for parameter ipaddress: {network} has no IP addresses"
            )));
        }
    };
    if c.nic_ip_in_use(n.id, &Ipv4Addr::from(a).to_string())
        .await?
    {
        return Err(in_use(requested, n));
    }
    Ok(a)
}

/// Checks an address asked for a new NIC on `network`: in its range, not the gateway,
/// free (431 naming `ipaddress` otherwise). Writes nothing.
pub async fn check_address(
    c: &mut Conn<'_>,
    network: &NetworkRow,
    requested: &str,
) -> Result<(), ApiError> {
    let pool = Pool::of(c, network).await?;
    check_requested(c, network, pool.as_ref(), requested.trim())
        .await
        .map(drop)
}

/// [`check_address`] for a network yet to be created with this addressing.
pub fn check_planned_address(plan: &IpPlan, requested: &str) -> Result<(), ApiError> {
    let pool = Pool {
        ranges: vec![(u32::from(plan.start), u32::from(plan.end))],
        gateway: Some(u32::from(plan.gateway)),
    };
    pool.check_in(requested.trim(), &format!("the new network {}", plan.cidr))
        .map(drop)
}

fn in_use(requested: &str, n: &NetworkRow) -> ApiError {
    ApiError::param(format!(
        "Invalid value {requested} for parameter ipaddress: the address is already in use in \
         network {}",
        n.uuid
    ))
}

/// Gives instance `instance_id` a NIC in device slot `device_id` on `network`, with
/// `requested_ip` or a free address of the network's range (none for L2 networks).
/// Idempotent per (instance, device): the NIC already there on this network is returned.
pub async fn allocate_nic(
    c: &mut Conn<'_>,
    network: &NetworkRow,
    instance_id: i64,
    device_id: i32,
    requested_ip: Option<&str>,
    is_default: bool,
) -> Result<NicRow, ApiError> {
    if network.state == DESTROY {
        return Err(ApiError::param(format!(
            "Network {} is being deleted and takes no NICs",
            network.uuid
        )));
    }
    let requested_ip = requested_ip.map(str::trim).filter(|r| !r.is_empty());
    if let Some(existing) = existing_nic(c, network, instance_id, device_id, requested_ip).await? {
        return Ok(existing);
    }
    let pool = Pool::of(c, network).await?;
    if let Some(r) = requested_ip {
        check_requested(c, network, pool.as_ref(), r).await?;
    }
    for attempt in 0..MAX_ATTEMPTS {
        let address = match (requested_ip, &pool) {
            (Some(r), _) => Some(r.to_string()),
            // A random address first: while the range is mostly free the insert takes it
            // at once, without reading every address in use (which grows with the network).
            (None, Some(pool)) if attempt < RANDOM_TRIES && pool.size() > 0 => {
                Some(Ipv4Addr::from(pool.random()).to_string())
            }
            (None, Some(pool)) => {
                let used = used_addresses(c, network.id).await?;
                let a = pool.pick(&used).ok_or_else(|| {
                    let why = match pool.ranges.is_empty() {
                        true => "it has no IP range yet".to_string(),
                        false => format!("range {} is full", pool.describe()),
                    };
                    insufficient_address_capacity(format!(
                        "Insufficient address capacity: unable to acquire a guest IP address \
                         in network {} ({why})",
                        network.uuid
                    ))
                })?;
                Some(Ipv4Addr::from(a).to_string())
            }
            (None, None) => None,
        };
        let uuid = uuid::Uuid::new_v4().to_string();
        let mac = random_mac();
        let new = NewNic {
            uuid: &uuid,
            instance_id,
            network_id: network.id,
            zone_id: network.zone_id,
            ip4_address: address.as_deref(),
            netmask: address.as_ref().and(network.netmask.as_deref()),
            gateway: address.as_ref().and(network.gateway.as_deref()),
            mac_address: &mac,
            device_id,
            is_default,
        };
        if let Some(id) = c.insert_nic(&new, strato_schema::now()).await? {
            return c
                .nic_by_id(id)
                .await?
                .ok_or_else(|| ApiError::internal("NIC vanished"));
        }
        // Lost a race: for the device slot (a replay), the address, or the MAC.
        if let Some(existing) =
            existing_nic(c, network, instance_id, device_id, requested_ip).await?
        {
            return Ok(existing);
        }
        if let Some(r) = requested_ip
            && c.nic_ip_in_use(network.id, r).await?
        {
            return Err(in_use(r, network));
        }
    }
    Err(crate::handlers::concurrent_change(&format!(
        "The addresses of network {}",
        network.uuid
    )))
}

/// The live NIC in the device slot: returned when it is on this network (with the
/// requested address, if one was asked for), refused otherwise.
async fn existing_nic(
    c: &mut Conn<'_>,
    network: &NetworkRow,
    instance_id: i64,
    device_id: i32,
    requested_ip: Option<&str>,
) -> Result<Option<NicRow>, ApiError> {
    let Some(nic) = c.nic_of_device(instance_id, device_id).await? else {
        return Ok(None);
    };
    let same_address = requested_ip.is_none_or(|r| nic.ip4_address.as_deref() == Some(r));
    if nic.network_id == network.id && same_address {
        Ok(Some(nic))
    } else {
        Err(ApiError::param(format!(
            "Device {device_id} of instance {instance_id} already has NIC {} on network {}",
            nic.uuid, nic.network_uuid
        )))
    }
}

/// Marks an instance's NICs reserved by `reservation_id` (on start); returns how many.
pub async fn reserve_nics(
    c: &mut Conn<'_>,
    instance_id: i64,
    reservation_id: &str,
) -> Result<u64, ApiError> {
    Ok(c.reserve_nics(instance_id, reservation_id).await?)
}

/// Releases every NIC of an instance (its addresses and MACs become free). Idempotent:
/// returns how many NICs were released by this call.
pub async fn release_nics(c: &mut Conn<'_>, instance_id: i64) -> Result<u64, ApiError> {
    Ok(c.release_nics(instance_id, strato_schema::now()).await?)
}

/// Live NICs of these instances with their network's id, name, type, traffic type and
/// broadcast URI, ordered by instance and device.
pub async fn nics_of(c: &mut Conn<'_>, instance_ids: &[i64]) -> Result<Vec<NicRow>, ApiError> {
    Ok(c.nics_of_instances(instance_ids).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> u32 {
        u32::from(s.parse::<Ipv4Addr>().expect("ip"))
    }

    fn pool(start: &str, end: &str, gateway: Option<&str>) -> Pool {
        Pool {
            ranges: vec![(a(start), a(end))],
            gateway: gateway.map(a),
        }
    }

    #[test]
    fn picks_every_free_address_and_never_the_gateway() {
        let p = pool("10.0.0.1", "10.0.0.6", Some("10.0.0.1"));
        assert_eq!(p.size(), 5);
        let mut used = HashSet::new();
        while let Some(a) = p.pick(&used) {
            assert!(p.contains(a));
            assert!(used.insert(a), "picked twice");
        }
        assert_eq!(used.len(), 5);
        assert!(!used.contains(&u32::from(Ipv4Addr::new(10, 0, 0, 1))));
    }

    #[test]
    fn gateway_outside_the_range_does_not_shrink_it() {
        let p = pool("10.0.0.10", "10.0.0.12", Some("10.0.0.1"));
        assert_eq!(p.size(), 3);
        // Addresses used outside the range do not count against it.
        let used: HashSet<u32> = [u32::from(Ipv4Addr::new(10, 0, 0, 50))].into();
        assert!(p.pick(&used).is_some());
    }

    #[test]
    fn several_ranges_are_one_pool() {
        let p = Pool {
            ranges: vec![
                (a("10.0.0.2"), a("10.0.0.3")),
                (a("10.0.0.10"), a("10.0.0.10")),
            ],
            gateway: Some(a("10.0.0.1")),
        };
        assert_eq!(p.size(), 3);
        assert_eq!(p.describe(), "10.0.0.2-10.0.0.3, 10.0.0.10-10.0.0.10");
        for _ in 0..50 {
            assert!(p.contains(p.random()));
        }
        let mut used = HashSet::new();
        while let Some(x) = p.pick(&used) {
            assert!(used.insert(x), "picked twice");
        }
        let want: HashSet<u32> = [a("10.0.0.2"), a("10.0.0.3"), a("10.0.0.10")].into();
        assert_eq!(used, want);
        assert!(p.check_in("10.0.0.5", "n").is_err());
        assert!(p.check_in("10.0.0.10", "n").is_ok());
        let empty = Pool {
            ranges: Vec::new(),
            gateway: None,
        };
        assert_eq!(empty.size(), 0);
        assert!(empty.pick(&HashSet::new()).is_none());
    }

    #[test]
    fn macs_are_locally_administered() {
        let m = random_mac();
        assert!(m.starts_with("02:00:"), "{m}");
        assert_eq!(m.len(), 17);
    }
}
