//! Guest network plumbing on the host: which Linux bridge a network uses, and the `ip`
//! commands that create it (CloudStack KVM's `modifyvlan.sh` / `modifyvxlan.sh` model).
//!
//! - untagged: the named bridge (`cloudbr0` by default) — created, isolated, if absent;
//! - VLAN `id` on `dev`: `dev.id` enslaved to `br<dev>-<id>` (needs 802.1Q in the
//!   kernel; the project's CI kernel has none, see real-virt.md);
//! - VXLAN `vni` on `dev`: `vxlan<vni>` (multicast group `239.<vni bytes>`, port 4789)
//!   enslaved to `brvx-<vni>`.

use std::ffi::OsString;

use strato_agent_proto::{AgentError, Isolation, NetworkSpec};

/// Bridge used for untagged traffic when the spec names none.
pub const DEFAULT_BRIDGE: &str = "cloudbr0";
/// Parent interface of VLAN/VXLAN devices when the spec names none.
pub const DEFAULT_INTERFACE: &str = "eth0";

/// Linux interface names: 1-15 characters, no `/`, whitespace or `:`, not `.` or `..`
/// (the kernel's rule; they also name router directories and namespaces).
pub fn validate_ifname(name: &str) -> Result<(), AgentError> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AgentError::invalid_argument(format!(
            "{name:?} is not a valid interface name (1-15 letters, digits, '-', '_', '.')"
        )))
    }
}

/// The bridge a network uses (the names CloudStack KVM uses).
pub fn bridge_name(spec: &NetworkSpec) -> String {
    if let Some(bridge) = &spec.bridge {
        return bridge.clone();
    }
    let dev = spec
        .physical_interface
        .as_deref()
        .unwrap_or(DEFAULT_INTERFACE);
    match spec.isolation {
        Isolation::Untagged => DEFAULT_BRIDGE.to_owned(),
        Isolation::Vlan { id } => format!("br{dev}-{id}"),
        Isolation::Vxlan { vni } => format!("brvx-{vni}"),
    }
}

/// The `ip` invocations that create the bridge of `spec` and its uplink, in order. Each
/// is run only if its device is missing (see [`Step::device`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The device this step creates.
    pub device: String,
    pub args: Vec<OsString>,
}

fn step(device: &str, args: &[&str]) -> Step {
    Step {
        device: device.to_owned(),
        args: args.iter().map(OsString::from).collect(),
    }
}

/// Plans the devices of a network: `(bridge, steps)`.
pub fn plan(spec: &NetworkSpec) -> Result<(String, Vec<Step>), AgentError> {
    let bridge = bridge_name(spec);
    validate_ifname(&bridge)?;
    let dev = spec
        .physical_interface
        .as_deref()
        .unwrap_or(DEFAULT_INTERFACE);
    let mtu = spec.mtu.map(|m| m.to_string());
    let mut steps = vec![step(
        &bridge,
        &["link", "add", "name", &bridge, "type", "bridge"],
    )];
    let uplink = match spec.isolation {
        Isolation::Untagged => None,
        Isolation::Vlan { id } => {
            if !(1..=4094).contains(&id) {
                return Err(AgentError::invalid_argument(format!(
                    "VLAN id {id} is outside 1-4094"
                )));
            }
            validate_ifname(dev)?;
            let name = format!("{dev}.{id}");
            validate_ifname(&name)?;
            let id = id.to_string();
            steps.push(step(
                &name,
                &[
                    "link", "add", "link", dev, "name", &name, "type", "vlan", "id", &id,
                ],
            ));
            Some(name)
        }
        Isolation::Vxlan { vni } => {
            if !(1..=16_777_215).contains(&vni) {
                return Err(AgentError::invalid_argument(format!(
                    "VXLAN id {vni} is outside 1-16777215"
                )));
            }
            validate_ifname(dev)?;
            let name = format!("vxlan{vni}");
            let [_, a, b, c] = vni.to_be_bytes();
            let group = format!("239.{a}.{b}.{c}");
            let vni = vni.to_string();
            steps.push(step(
                &name,
                &[
                    "link", "add", &name, "type", "vxlan", "id", &vni, "group", &group, "dev", dev,
                    "dstport", "4789",
                ],
            ));
            Some(name)
        }
    };
    if let Some(uplink) = &uplink {
        steps.push(step(uplink, &["link", "set", uplink, "master", &bridge]));
    }
    for dev in std::iter::once(&bridge).chain(uplink.iter()) {
        let mut args = vec!["link", "set", dev.as_str(), "up"];
        if let Some(mtu) = &mtu {
            args.extend(["mtu", mtu.as_str()]);
        }
        steps.push(step(dev, &args));
    }
    Ok((bridge, steps))
}

/// Runs a tool with an argument list (never a shell); its stdout, or an error naming the
/// command and its stderr.
pub(crate) async fn run(program: &str, args: &[OsString]) -> Result<String, AgentError> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            AgentError::new(
                strato_agent_proto::ErrorKind::Failed,
                format!("cannot run {program}: {e}"),
            )
        })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    Err(AgentError::new(
        strato_agent_proto::ErrorKind::Failed,
        format!(
            "{program} {} failed: {}",
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    ))
}

async fn ip(args: &[OsString]) -> Result<(), AgentError> {
    run("ip", args).await.map(drop)
}

/// Does a network device of that name exist (in the agent's namespace)?
pub(crate) fn exists(device: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(device).exists()
}

/// Held shared by whatever plugs into a bridge (a VM start, from [`ensure`] until its
/// taps are on it; a router set-up) and exclusively by [`release_idle`], so a bridge made
/// for a VM that is still starting never looks idle.
pub static PLUG: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Creates what is missing of the network's bridge and uplink; returns the bridge.
/// Callers hold [`PLUG`] shared.
pub async fn ensure(spec: &NetworkSpec) -> Result<String, AgentError> {
    // One at a time: two VMs starting on a new network would both see the bridge
    // missing and the second `ip link add` would fail.
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let (bridge, steps) = plan(spec)?;
    let _g = LOCK.lock().await;
    let mut created = std::collections::BTreeSet::new();
    for s in steps {
        let is_add = s.args.get(1).is_some_and(|a| a == "add");
        if is_add {
            if exists(&s.device) {
                continue;
            }
            created.insert(s.device.clone());
        } else if s.args.iter().any(|a| a == "master") && !created.contains(&s.device) {
            // An uplink that already existed keeps whatever master it has.
            continue;
        }
        if let Err(e) = ip(&s.args).await {
            return Err(explain_vxlan_limit(e));
        }
    }
    if !created.is_empty() {
        tracing::info!(%bridge, devices = ?created, "created network devices");
    }
    Ok(bridge)
}

/// Every VXLAN device joins its multicast group on the one VXLAN socket, and the kernel
/// caps a socket's groups at `net.ipv4.igmp_max_memberships` (20 by default): the next
/// device fails to come up with ENOBUFS. Say so, and how to fix it.
fn explain_vxlan_limit(e: AgentError) -> AgentError {
    if !e.message.contains("No buffer space available") {
        return e;
    }
    let limit = std::fs::read_to_string("/proc/sys/net/ipv4/igmp_max_memberships")
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|_| "?".into());
    AgentError::new(
        e.kind,
        format!(
            "{}: this host's VXLAN networks use all {limit} multicast groups \
             net.ipv4.igmp_max_memberships allows; raise it (scripts/setup-kvm-host.sh sets {IGMP_MEMBERSHIPS})",
            e.message
        ),
    )
}

/// What scripts/setup-kvm-host.sh sets `net.ipv4.igmp_max_memberships` to: one group per
/// VXLAN network with a VM on the host.
pub const IGMP_MEMBERSHIPS: u32 = 1024;

/// The uplink a bridge of ours carries (`brvx-<vni>` → `vxlan<vni>`, `br<dev>-<id>` →
/// `<dev>.<id>`), or `None` for a bridge Strato did not make per network (`cloudbr0`, a
/// named bridge), which is never removed.
fn uplink_of(bridge: &str) -> Option<String> {
    if let Some(vni) = bridge.strip_prefix("brvx-") {
        return vni.parse::<u32>().ok().map(|vni| format!("vxlan{vni}"));
    }
    let (dev, id) = bridge.strip_prefix("br")?.rsplit_once('-')?;
    let id = id.parse::<u16>().ok()?;
    (!dev.is_empty()).then(|| format!("{dev}.{id}"))
}

/// Removes the per-network bridges (and their VLAN/VXLAN uplinks) nothing is plugged into
/// any more: no VM tap and no router. CloudStack's KVM agent does the same when a VM
/// leaves a network; without it every network a host ever saw keeps a device, and VXLAN
/// ones a multicast group. Returns the bridges removed.
pub async fn release_idle() -> Result<Vec<String>, AgentError> {
    let _g = PLUG.write().await;
    let Ok(entries) = std::fs::read_dir("/sys/class/net") else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let bridge = entry.file_name().to_string_lossy().into_owned();
        let Some(uplink) = uplink_of(&bridge) else {
            continue;
        };
        let Ok(ports) = std::fs::read_dir(entry.path().join("brif")) else {
            continue; // not a bridge
        };
        let busy = ports
            .filter_map(Result::ok)
            .any(|p| p.file_name().to_string_lossy() != uplink);
        // No uplink: a bridge that only looks like ours (an operator's `br-ex-12`).
        if busy || !exists(&uplink) {
            continue;
        }
        for dev in [&uplink, &bridge] {
            if exists(dev) {
                ip(&["link".into(), "del".into(), dev.into()]).await?;
            }
        }
        removed.push(bridge);
    }
    if !removed.is_empty() {
        tracing::info!(bridges = ?removed, "removed idle network bridges");
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(isolation: Isolation, bridge: Option<&str>, dev: Option<&str>) -> NetworkSpec {
        NetworkSpec {
            isolation,
            bridge: bridge.map(str::to_owned),
            physical_interface: dev.map(str::to_owned),
            mtu: None,
            dhcp: None,
        }
    }

    fn strs(s: &Step) -> String {
        s.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn only_per_network_bridges_have_an_uplink_to_release() {
        assert_eq!(uplink_of("brvx-5001").as_deref(), Some("vxlan5001"));
        assert_eq!(uplink_of("breth1-100").as_deref(), Some("eth1.100"));
        assert_eq!(uplink_of("cloudbr0"), None);
        assert_eq!(uplink_of("brvx-x"), None);
        assert_eq!(uplink_of("br-7"), None);
        assert_eq!(uplink_of("virbr0"), None);
    }

    #[test]
    fn bridge_names_follow_cloudstack_kvm() {
        assert_eq!(
            bridge_name(&net(Isolation::Untagged, None, None)),
            "cloudbr0"
        );
        assert_eq!(
            bridge_name(&net(Isolation::Vlan { id: 100 }, None, Some("eth1"))),
            "breth1-100"
        );
        assert_eq!(
            bridge_name(&net(Isolation::Vxlan { vni: 5001 }, None, None)),
            "brvx-5001"
        );
        assert_eq!(
            bridge_name(&net(Isolation::Vxlan { vni: 1 }, Some("x0"), None)),
            "x0"
        );
    }

    #[test]
    fn vxlan_plans_the_device_group_and_bridge() -> Result<(), AgentError> {
        let (bridge, steps) = plan(&net(
            Isolation::Vxlan { vni: 0x01_02_03 },
            None,
            Some("cloudbr0"),
        ))?;
        assert_eq!(bridge, "brvx-66051");
        let cmds: Vec<String> = steps.iter().map(strs).collect();
        assert_eq!(
            cmds,
            [
                "link add name brvx-66051 type bridge",
                "link add vxlan66051 type vxlan id 66051 group 239.1.2.3 dev cloudbr0 dstport 4789",
                "link set vxlan66051 master brvx-66051",
                "link set brvx-66051 up",
                "link set vxlan66051 up",
            ]
        );
        Ok(())
    }

    #[test]
    fn vlans_and_bad_ids() -> Result<(), AgentError> {
        let (bridge, steps) = plan(&net(Isolation::Vlan { id: 42 }, None, Some("eth1")))?;
        assert_eq!(bridge, "breth1-42");
        assert_eq!(
            strs(&steps[1]),
            "link add link eth1 name eth1.42 type vlan id 42"
        );
        assert!(plan(&net(Isolation::Vlan { id: 0 }, None, None)).is_err());
        assert!(plan(&net(Isolation::Vxlan { vni: 0 }, None, None)).is_err());
        assert!(plan(&net(Isolation::Untagged, Some("a/b"), None)).is_err());
        assert!(plan(&net(Isolation::Untagged, Some(".."), None)).is_err());
        assert!(
            plan(&net(
                Isolation::Untagged,
                Some("averyveryverylongname"),
                None
            ))
            .is_err()
        );
        let mut with_mtu = net(Isolation::Untagged, Some("br9"), None);
        with_mtu.mtu = Some(1450);
        let (_, steps) = plan(&with_mtu)?;
        assert_eq!(strs(&steps[1]), "link set br9 up mtu 1450");
        Ok(())
    }
}
