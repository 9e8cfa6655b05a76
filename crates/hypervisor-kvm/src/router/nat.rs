//! Source NAT, in two nftables tables (each script replaces its table atomically, so
//! applying it again changes nothing):
//!
//! - in the router's namespace (`ip strato_router`): guests' traffic leaving through the
//!   public side is masqueraded to the router's link address; forwarding admits only
//!   guest → public and the replies (nothing from outside reaches a guest);
//! - on the host (`ip strato_routers`): traffic from the routers' link range is
//!   masqueraded to whatever host interface it leaves by (the uplink); routers may not
//!   open connections to the host itself nor reach each other. Two NATs because guest subnets of different accounts overlap: the
//!   host could not route replies to two `10.1.1.0/24`s.

use std::ffi::OsString;
use std::path::Path;

use strato_agent_proto::AgentError;

use super::spec::{GUEST_IF, LINK_NET, LINK_PREFIX, PUBLIC_IF, RouterSpec};
use crate::network::run;

/// A script that replaces table `ip <name>` with `chains` in one transaction (the table
/// is declared first so deleting it never fails).
fn replace_table(name: &str, chains: &str) -> String {
    format!("table ip {name}\ndelete table ip {name}\ntable ip {name} {{\n{chains}}}\n")
}

/// The router namespace's table.
pub fn router_script(spec: &RouterSpec) -> String {
    let cidr = spec.cidr();
    replace_table(
        "strato_router",
        &format!(
            "\tchain postrouting {{\n\
             \t\ttype nat hook postrouting priority srcnat; policy accept;\n\
             \t\toifname \"{PUBLIC_IF}\" ip saddr {cidr} masquerade\n\
             \t}}\n\
             \tchain forward {{\n\
             \t\ttype filter hook forward priority filter; policy drop;\n\
             \t\tct state established,related accept\n\
             \t\tiifname \"{GUEST_IF}\" oifname \"{PUBLIC_IF}\" ip saddr {cidr} accept\n\
             \t}}\n"
        ),
    )
}

/// The host's table (the same for every router). Routers reach the uplink, not the
/// host itself (its VNC consoles, the agent) and not each other.
pub fn host_script() -> String {
    replace_table(
        "strato_routers",
        &format!(
            "\tchain postrouting {{\n\
             \t\ttype nat hook postrouting priority srcnat; policy accept;\n\
             \t\tip saddr {LINK_NET}/{LINK_PREFIX} oifname != \"vr*\" masquerade\n\
             \t}}\n\
             \tchain input {{\n\
             \t\ttype filter hook input priority filter; policy accept;\n\
             \t\tiifname \"vr*\" ct state established,related accept\n\
             \t\tiifname \"vr*\" drop\n\
             \t}}\n\
             \tchain forward {{\n\
             \t\ttype filter hook forward priority filter; policy accept;\n\
             \t\tiifname \"vr*\" oifname \"vr*\" drop\n\
             \t}}\n"
        ),
    )
}

/// Loads a script with `nft -f`, in `netns` or on the host. The script is kept as a file
/// next to the router's other files so an operator can read what was applied.
pub async fn apply(netns: Option<&str>, script: &str, file: &Path) -> Result<(), AgentError> {
    super::write_file(file, script)?;
    let mut args: Vec<OsString> = Vec::new();
    let program = match netns {
        Some(ns) => {
            args.extend(["netns", "exec", ns, "nft"].map(OsString::from));
            "ip"
        }
        None => "nft",
    };
    args.push("-f".into());
    args.push(file.as_os_str().to_owned());
    run(program, &args).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn scripts_replace_their_table_and_name_the_subnet() {
        let spec = RouterSpec {
            bridge: "brvx-7".into(),
            gateway: Ipv4Addr::new(10, 1, 1, 1),
            prefix: 24,
            dns: vec![],
            domain: None,
        };
        let s = router_script(&spec);
        assert!(s.starts_with("table ip strato_router\ndelete table ip strato_router\n"));
        assert!(s.contains("oifname \"pub0\" ip saddr 10.1.1.0/24 masquerade"));
        assert!(s.contains("policy drop;"));
        let host = host_script();
        assert!(host.contains("ip saddr 100.64.0.0/10 oifname != \"vr*\" masquerade"));
        assert!(host.contains("iifname \"vr*\" oifname \"vr*\" drop"));
    }
}
