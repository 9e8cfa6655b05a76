//! A router's namespace and links, made with `ip` (argument lists, no shell):
//!
//! ```text
//!  guests ── bridge (brvx-5001) ── vr<n>g ═ guest0 [netns strato-r-brvx-5001] pub0 ═ vr<n>p ── host ── uplink
//!                                          gateway/prefix          100.64.x.2/30   100.64.x.1/30
//! ```
//!
//! Every step checks or replaces, so running it on a complete router changes nothing and
//! on a damaged one (a link deleted by hand) repairs it.

use std::ffi::OsString;
use std::path::Path;

use strato_agent_proto::AgentError;

use super::spec::{GUEST_IF, PUBLIC_IF, RouterSpec, host_ifs, link_addrs};
use crate::network::{exists, run};
use crate::storage::failed;

async fn ip(args: &[&str]) -> Result<(), AgentError> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    run("ip", &args).await.map(drop)
}

/// Does the namespace exist (`ip netns add` made /run/netns/<name>)?
pub fn netns_exists(netns: &str) -> bool {
    Path::new("/run/netns").join(netns).exists()
}

/// A namespace under our router's name that this agent has no record of (left by an
/// agent whose data directory is gone): its processes (a stale dnsmasq) are stopped and
/// it is deleted, so the router is built afresh instead of tripping over its links.
pub async fn clear_stale(netns: &str) -> Result<(), AgentError> {
    if !netns_exists(netns) {
        return Ok(());
    }
    let pids = run("ip", &["netns".into(), "pids".into(), netns.into()]).await?;
    for pid in pids.split_whitespace().filter(|p| p.parse::<u32>().is_ok()) {
        let _ = run("kill", &[pid.into()]).await;
    }
    tracing::warn!(%netns, "removing a router namespace this agent has no record of");
    ip(&["netns", "del", netns]).await
}

/// Creates what is missing of the router of `spec` in link slot `slot`. `readdress`:
/// the gateway changed since the router was made, so the guest side's old address goes.
pub async fn ensure(spec: &RouterSpec, slot: u32, readdress: bool) -> Result<(), AgentError> {
    let ns = spec.netns();
    let ns = ns.as_str();
    if !netns_exists(ns) {
        ip(&["netns", "add", ns]).await?;
    }
    ip(&["-n", ns, "link", "set", "lo", "up"]).await?;
    let (guest_host, public_host) = host_ifs(slot);
    // Guest side: the gateway address, on the network's bridge.
    if !exists(&guest_host) {
        ip(&[
            "link",
            "add",
            &guest_host,
            "type",
            "veth",
            "peer",
            "name",
            GUEST_IF,
            "netns",
            ns,
        ])
        .await?;
    }
    ip(&["link", "set", &guest_host, "master", &spec.bridge]).await?;
    ip(&["link", "set", &guest_host, "up"]).await?;
    if readdress {
        ip(&["-n", ns, "addr", "flush", "dev", GUEST_IF]).await?;
    }
    let gw = format!("{}/{}", spec.gateway, spec.prefix);
    ip(&["-n", ns, "addr", "replace", &gw, "dev", GUEST_IF]).await?;
    ip(&["-n", ns, "link", "set", GUEST_IF, "up"]).await?;
    // Public side: a /30 to the host, the router's default route.
    if !exists(&public_host) {
        ip(&[
            "link",
            "add",
            &public_host,
            "type",
            "veth",
            "peer",
            "name",
            PUBLIC_IF,
            "netns",
            ns,
        ])
        .await?;
    }
    let (host_addr, router_addr) = link_addrs(slot);
    ip(&[
        "addr",
        "replace",
        &format!("{host_addr}/30"),
        "dev",
        &public_host,
    ])
    .await?;
    ip(&["link", "set", &public_host, "up"]).await?;
    let r = format!("{router_addr}/30");
    ip(&["-n", ns, "addr", "replace", &r, "dev", PUBLIC_IF]).await?;
    ip(&["-n", ns, "link", "set", PUBLIC_IF, "up"]).await?;
    let via = host_addr.to_string();
    ip(&["-n", ns, "route", "replace", "default", "via", &via]).await?;
    let forward = [
        "netns",
        "exec",
        ns,
        "sysctl",
        "-qw",
        "net.ipv4.ip_forward=1",
    ];
    ip(&forward).await?;
    // The host forwards the routers' traffic to its uplink.
    let host_forward = Path::new("/proc/sys/net/ipv4/ip_forward");
    if std::fs::read_to_string(host_forward).is_ok_and(|v| v.trim() != "1") {
        std::fs::write(host_forward, "1")
            .map_err(|e| failed(format!("cannot enable IPv4 forwarding on the host: {e}")))?;
    }
    Ok(())
}

/// Deletes the namespace (its ends of the veth pairs go with it) and whatever is left of
/// the host ends. Absent pieces are fine.
pub async fn remove(bridge: &str, slot: u32) -> Result<(), AgentError> {
    let ns = super::spec::netns_name(bridge);
    if netns_exists(&ns) {
        ip(&["netns", "del", &ns]).await?;
    }
    let (g, p) = host_ifs(slot);
    for dev in [g, p] {
        // The kernel deletes the namespace's veth peers in the background: a host end
        // seen a moment ago may be gone by the time we delete it.
        if exists(&dev)
            && let Err(e) = ip(&["link", "del", &dev]).await
            && exists(&dev)
        {
            return Err(e);
        }
    }
    Ok(())
}
