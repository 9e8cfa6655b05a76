//! Which URLs and addresses a download may reach.
//!
//! Registration only looks at the URL itself; the download checks every address the
//! host resolves to, at every redirect hop, and then connects to exactly those
//! addresses so a second DNS answer cannot swap them (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;
use url::{Host, Url};

/// Checks a template/ISO URL when it is registered: http or https, a host, and not an
/// address that can only mean this machine or its link (loopback, link-local,
/// multicast, unspecified, `localhost`). Private addresses pass here; whether they
/// may be reached is decided at download time against the allowed internal sites.
/// The error text is meant for the API caller (CloudStack error 431).
pub fn check_registration_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("invalid URL '{url}': {e}"))?;
    check_scheme(&parsed)?;
    match parsed.host() {
        None => return Err(format!("URL '{url}' has no host")),
        Some(Host::Domain(name)) if is_localhost_name(name) => {
            return Err(format!("URL '{url}' points to the local host"));
        }
        Some(Host::Domain(_)) => {}
        Some(Host::Ipv4(ip)) => {
            check_not_local(IpAddr::V4(ip)).map_err(|why| format!("URL '{url}' {why}"))?
        }
        Some(Host::Ipv6(ip)) => {
            check_not_local(IpAddr::V6(ip)).map_err(|why| format!("URL '{url}' {why}"))?
        }
    }
    Ok(parsed)
}

/// The CIDRs of CloudStack's `secstorage.allowed.internal.sites`: private addresses
/// inside them may be downloaded from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSites(Vec<IpNet>);

impl AllowedSites {
    /// Parses the setting's comma-separated list (`10.0.0.0/8,192.168.1.0/24`); a bare
    /// address means that one host. Empty or blank means no internal site is allowed.
    pub fn parse(setting: &str) -> Result<Self, String> {
        setting
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("'{s}' in secstorage.allowed.internal.sites is not a CIDR")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(format!(
            "URL '{url}' uses scheme '{other}'; only http and https are allowed"
        )),
    }
}

/// Why [`resolve_checked`] gave no addresses.
#[derive(Debug)]
pub(crate) enum Resolve {
    /// The name did not resolve (perhaps only for now).
    Failed(String),
    /// The policy forbids the URL.
    Refused(String),
}

/// Resolves the URL's host and returns the addresses to connect to, refusing if any
/// one of them is forbidden (one bad answer among good ones is still an attack).
pub(crate) async fn resolve_checked(
    url: &Url,
    allowed: &AllowedSites,
) -> Result<Vec<SocketAddr>, Resolve> {
    check_scheme(url).map_err(Resolve::Refused)?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Resolve::Refused(format!("URL '{url}' has no port")))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        None => return Err(Resolve::Refused(format!("URL '{url}' has no host"))),
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| Resolve::Failed(format!("cannot resolve host '{name}': {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(Resolve::Failed(format!(
            "host of URL '{url}' resolved to no address"
        )));
    }
    for addr in &addrs {
        check_download_address(addr.ip(), allowed)
            .map_err(|why| Resolve::Refused(format!("URL '{url}' {why}")))?;
    }
    Ok(addrs)
}

fn check_download_address(ip: IpAddr, allowed: &AllowedSites) -> Result<(), String> {
    check_not_local(ip)?;
    let ip = ip.to_canonical();
    if is_internal(ip) && !allowed.contains(ip) {
        return Err(format!(
            "resolves to the internal address {ip}, which is not in secstorage.allowed.internal.sites"
        ));
    }
    Ok(())
}

/// Refuses addresses that never name a remote download server.
fn check_not_local(ip: IpAddr) -> Result<(), String> {
    // `::ffff:127.0.0.1` is loopback too.
    let ip = ip.to_canonical();
    let kind = match ip {
        IpAddr::V4(v4) => local_kind_v4(v4),
        IpAddr::V6(v6) => local_kind_v6(v6),
    };
    match kind {
        Some(kind) => Err(format!(
            "points to the {kind} address {ip}, which is not allowed"
        )),
        None => Ok(()),
    }
}

fn local_kind_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.octets()[0] == 0 {
        // 0.0.0.0/8 is "this network"; connecting to 0.0.0.0 reaches the local host.
        Some("unspecified")
    } else {
        None
    }
}

fn local_kind_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unicast_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else {
        None
    }
}

/// Private-use addresses: RFC 1918, carrier-grade NAT (RFC 6598), IPv6 unique local
/// (fc00::/7) and the deprecated site-local fec0::/10.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => v6.is_unique_local() || (v6.segments()[0] & 0xffc0) == 0xfec0,
    }
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_refuses_local_addresses_and_odd_schemes() {
        for url in [
            "http://127.0.0.1/a.qcow2",
            "http://127.1.2.3:8080/a.qcow2",
            "http://2130706433/a.qcow2",
            "http://localhost/a.qcow2",
            "http://LOCALHOST./a.qcow2",
            "http://foo.localhost/a.qcow2",
            "http://[::1]/a.qcow2",
            "http://[::ffff:127.0.0.1]/a.qcow2",
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/a.qcow2",
            "http://224.0.0.1/a.qcow2",
            "http://0.0.0.0/a.qcow2",
            "http://[::]/a.qcow2",
            "ftp://example.com/a.qcow2",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(check_registration_url(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn registration_accepts_public_and_private_hosts() {
        for url in [
            "http://example.com/a.qcow2",
            "https://download.example.org:8443/x/y.iso?sig=1",
            "http://10.1.2.3/a.qcow2",
            "http://192.168.1.5/a.qcow2",
            "http://[fc00::5]/a.qcow2",
            "http://8.8.8.8/a.qcow2",
        ] {
            assert!(check_registration_url(url).is_ok(), "{url} was refused");
        }
    }

    #[test]
    fn error_says_why() {
        let err = check_registration_url("http://127.0.0.1/x").expect_err("refused");
        assert!(err.contains("loopback"), "{err}");
        let err = check_registration_url("gopher://h/x").expect_err("refused");
        assert!(err.contains("only http and https"), "{err}");
    }

    #[test]
    fn allowed_sites_parse_and_match() {
        let sites =
            AllowedSites::parse(" 10.0.0.0/8, 192.168.1.0/24 ,fd00::/8,172.16.5.5").expect("parse");
        for ip in ["10.9.9.9", "192.168.1.200", "fd00::1", "172.16.5.5"] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(check_download_address(ip, &sites).is_ok(), "{ip} refused");
        }
        for ip in [
            "192.168.2.1",
            "172.16.5.6",
            "fc00::1",
            "100.64.0.1",
            "fec0::1",
            "127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(check_download_address(ip, &sites).is_err(), "{ip} allowed");
        }
        assert_eq!(
            AllowedSites::parse(" ").expect("empty"),
            AllowedSites::default()
        );
        assert!(AllowedSites::parse("10.0.0.0/33").is_err());
        assert!(AllowedSites::parse("intranet").is_err());
    }

    #[test]
    fn allowed_sites_never_open_loopback() {
        let sites = AllowedSites::parse("0.0.0.0/0,::/0").expect("parse");
        assert!(check_download_address("127.0.0.1".parse().expect("ip"), &sites).is_err());
        assert!(check_download_address("8.8.8.8".parse().expect("ip"), &sites).is_ok());
    }

    #[tokio::test]
    async fn localhost_is_refused_after_resolution() {
        let url = Url::parse("http://localhost:9/x").expect("url");
        match resolve_checked(&url, &AllowedSites::default()).await {
            Err(Resolve::Refused(m)) => assert!(m.contains("loopback"), "{m}"),
            other => panic!("not refused: {other:?}"),
        }
    }
}
