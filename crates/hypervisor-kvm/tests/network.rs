//! Guest networking with real TCG guests: each guest network's router (a namespace with
//! the gateway address, dnsmasq and source NAT) gives guests exactly the addresses the
//! server assigned, guests on one network reach each other and the outside, a guest on
//! another network (another account's) cannot reach them, a restarted agent reuses what
//! runs, and the last VM's DestroyVm removes the router.
//!
//! Needs what tests/kvm.rs needs (scripts/setup-kvm-host.sh) plus dnsmasq and nft.
#![cfg(feature = "kvm")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Cleanup, GuestShell, call, clone_template, has_tool, mount_pool, prerequisites, require, run,
    scratch, small_vm, test_config, wait_for,
};
use strato_agent_proto::{
    AnswerData, Command, DhcpSpec, ErrorKind, HypervisorDriver, Isolation, NetworkSpec, NicSpec,
    VmSpec, VolumeRef,
};
use strato_hypervisor_kvm::KvmDriver;
use strato_hypervisor_kvm::router::spec::link_addrs;

const TIMEOUT: Duration = Duration::from_secs(120);
/// The "outside" the guests reach through their router (a namespace on the host side).
const OUTSIDE: &str = "198.51.100.2";

fn tools() -> bool {
    prerequisites() && require("dnsmasq and nft", has_tool("dnsmasq") && has_tool("nft"))
}

/// A VXLAN network whose VXLAN device sits on `underlay` (a bridge of the test with no
/// ports, so no encapsulated frame leaves the machine).
fn vxlan(vni: u32, underlay: &str) -> NetworkSpec {
    NetworkSpec {
        isolation: Isolation::Vxlan { vni },
        bridge: None,
        physical_interface: Some(underlay.into()),
        mtu: None,
        dhcp: None,
    }
}

fn vm_spec(name: &str, mac: &str, ip: &str, network: NetworkSpec, root: &VolumeRef) -> VmSpec {
    let nic = NicSpec {
        device_id: 0,
        mac: mac.into(),
        ip: Some(ip.into()),
        netmask: Some("255.255.255.0".into()),
        gateway: Some("10.1.1.1".into()),
        network,
        default: true,
    };
    small_vm(name, root, nic)
}

async fn root_volume(driver: &KvmDriver, guid: &str, tpl: &Path, uuid: &str) -> VolumeRef {
    let v = VolumeRef {
        pool_uuid: "pool-net".into(),
        volume_uuid: uuid.into(),
    };
    clone_template(driver, guid, &v, tpl, 64 << 20).await;
    v
}

async fn dhcp_marker(driver: &KvmDriver, vm: &str, ip: &str) -> Duration {
    let log = driver.console_log(vm);
    let want = format!("STRATO-GUEST-DHCP {ip}/24");
    wait_for(&log, &want, TIMEOUT).await.unwrap_or_else(|| {
        panic!(
            "{vm}: no {want:?} within {TIMEOUT:?}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    })
}

async fn shell(driver: &KvmDriver, vm: &str) -> GuestShell {
    GuestShell::connect(&driver.console_socket(vm), &driver.console_log(vm)).await
}

fn ip_cmd(args: &[&str]) {
    run("ip", args);
}

/// Devices enslaved to a bridge.
fn ports(bridge: &str) -> Vec<String> {
    let mut p: Vec<String> = std::fs::read_dir(format!("/sys/class/net/{bridge}/brif"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    p.sort();
    p
}

fn dnsmasq_count(conf: &Path) -> usize {
    let out = std::process::Command::new("pgrep")
        .args(["-f", "--", &format!("--conf-file={}", conf.display())])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_get_their_addresses_reach_each_other_and_not_another_network() {
    if !tools() {
        return;
    }
    let (tpl, work, sfx) = scratch();
    let sfx = sfx.as_str();
    let n = u32::from_str_radix(&sfx[..5], 16).expect("hex");
    // Random VNIs and names: other tests (and other agents) may share this host.
    let (vni_a, vni_b) = (1_000_000 + n * 2, 1_000_001 + n * 2);
    let (bridge_a, bridge_b) = (format!("brvx-{vni_a}"), format!("brvx-{vni_b}"));
    let underlay = format!("stu{sfx}");
    let outside_ns = format!("stt-out-{sfx}");
    let outside_if = format!("sto{sfx}");
    let names = ["a", "b", "c"].map(|x| format!("stn-{sfx}-{x}"));
    let _cleanup = Cleanup {
        domains: names.to_vec(),
        links: vec![
            bridge_a.clone(),
            bridge_b.clone(),
            format!("vxlan{vni_a}"),
            format!("vxlan{vni_b}"),
            underlay.clone(),
            outside_if.clone(),
        ],
        netns: vec![
            format!("strato-r-{bridge_a}"),
            format!("strato-r-{bridge_b}"),
            outside_ns.clone(),
        ],
        routers: Some(work.path().join("state/routers")),
    };
    ip_cmd(&["link", "add", &underlay, "type", "bridge"]);
    ip_cmd(&["link", "set", &underlay, "up"]);
    // The outside: a namespace that knows only its own /24 (so a reply reaches a guest
    // only if the host and the router translated the source).
    ip_cmd(&["netns", "add", &outside_ns]);
    ip_cmd(&[
        "link",
        "add",
        &outside_if,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        &outside_ns,
    ]);
    ip_cmd(&["addr", "add", "198.51.100.1/24", "dev", &outside_if]);
    ip_cmd(&["link", "set", &outside_if, "up"]);
    ip_cmd(&[
        "-n",
        &outside_ns,
        "addr",
        "add",
        &format!("{OUTSIDE}/24"),
        "dev",
        "eth0",
    ]);
    ip_cmd(&["-n", &outside_ns, "link", "set", "eth0", "up"]);

    let guid = format!("kvm-net-{sfx}");
    let cfg = test_config(&guid, work.path(), &tpl);
    let driver = KvmDriver::new(cfg.clone()).await.expect("driver");
    mount_pool(&driver, &guid, "pool-net", &work.path().join("pool")).await;
    let mut roots = Vec::new();
    for x in &names {
        roots.push(root_volume(&driver, &guid, &tpl, &format!("root-{x}")).await);
    }
    let mac = |i: u8| format!("52:54:00:{}:{}:{i:02x}", &sfx[0..2], &sfx[2..4]);
    // A and B: one account's network, described whole (`dhcp`: as the server sends it;
    // set up first, as SetupNetwork); C: another account's, with the same subnet (guest
    // subnets of different accounts overlap in CloudStack), known only from its NIC.
    let mut net_a = vxlan(vni_a, &underlay);
    net_a.dhcp = Some(DhcpSpec {
        network_uuid: format!("net-{sfx}"),
        cidr: "10.1.1.0/24".into(),
        gateway: "10.1.1.1".into(),
        dns: vec![],
        domain: Some("net-a.internal".into()),
    });
    let setup = Instant::now();
    call(&driver, &guid, Command::SetupNetwork(net_a.clone())).await;
    let empty = driver
        .router(&bridge_a)
        .expect("SetupNetwork made the router");
    eprintln!(
        "SetupNetwork (bridge, VXLAN, router, dnsmasq) took {:.0} ms",
        setup.elapsed().as_secs_f64() * 1000.0
    );
    assert!(empty.leases.is_empty() && empty.dnsmasq_pid.is_some());
    let a = vm_spec(&names[0], &mac(1), "10.1.1.10", net_a.clone(), &roots[0]);
    let b = vm_spec(&names[1], &mac(2), "10.1.1.11", net_a.clone(), &roots[1]);
    let c = vm_spec(
        &names[2],
        &mac(3),
        "10.1.1.12",
        vxlan(vni_b, &underlay),
        &roots[2],
    );

    let started = Instant::now();
    tokio::join!(
        call(&driver, &guid, Command::StartVm(a.clone())),
        call(&driver, &guid, Command::StartVm(b.clone())),
        call(&driver, &guid, Command::StartVm(c.clone())),
    );
    let (ta, tb, tc) = tokio::join!(
        dhcp_marker(&driver, &names[0], "10.1.1.10"),
        dhcp_marker(&driver, &names[1], "10.1.1.11"),
        dhcp_marker(&driver, &names[2], "10.1.1.12"),
    );
    eprintln!(
        "3 guests started together; DHCP leases after {:.1} / {:.1} / {:.1} s (all in {:.1} s)",
        ta.as_secs_f64(),
        tb.as_secs_f64(),
        tc.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let router_a = driver.router(&bridge_a).expect("router of network A");
    assert_eq!(router_a.netns, format!("strato-r-{bridge_a}"));
    assert_eq!(router_a.leases.len(), 2);
    let pid_a = router_a.dnsmasq_pid.expect("dnsmasq runs for network A");
    let rss = std::fs::read_to_string(format!("/proc/{pid_a}/status")).unwrap_or_default();
    eprintln!(
        "router dnsmasq {}",
        rss.lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap_or("VmRSS ?")
    );
    assert!(
        driver
            .router(&bridge_b)
            .is_some_and(|r| r.leases.len() == 1)
    );

    let t = Duration::from_secs(30);
    let (mut sa, mut sc) = (
        shell(&driver, &names[0]).await,
        shell(&driver, &names[2]).await,
    );
    let ping = |ip: &str| format!("ping -c 2 -W 2 {ip}");
    let (a_to_b, c_to_gw) = tokio::join!(sa.run(ping("10.1.1.11"), t), sc.run(ping("10.1.1.1"), t));
    assert_eq!(a_to_b, Some(0), "A pings B on their network");
    assert_eq!(c_to_gw, Some(0), "C pings its own router");
    // The router answers DNS with the guests' names.
    let lookup = format!(
        "nslookup {}.net-a.internal 10.1.1.1 | grep -q 'Address.*10\\.1\\.1\\.11$'",
        names[1]
    );
    let (dns, c_to_a) = tokio::join!(sa.run(lookup, t), sc.run(ping("10.1.1.10"), t));
    assert_eq!(dns, Some(0), "the router resolves B's name for A");
    assert_ne!(c_to_a, Some(0), "C (another network) must not reach A");
    assert!(c_to_a.is_some(), "C's ping answered at all");
    let (nat, c_to_b) = tokio::join!(sa.run(ping(OUTSIDE), t), sc.run(ping("10.1.1.11"), t));
    assert_eq!(nat, Some(0), "A reaches the outside through its router");
    assert_ne!(c_to_b, Some(0), "C must not reach B");
    // Nor do guests reach the host itself (its consoles, the agent) or another router.
    let router_b = driver.router(&bridge_b).expect("router of network B");
    let (host_side, _) = link_addrs(router_a.slot);
    let (_, router_b_public) = link_addrs(router_b.slot);
    let (a_to_host, a_to_router_b) = (
        sa.run(ping(&host_side.to_string()), t).await,
        sa.run(ping(&router_b_public.to_string()), t).await,
    );
    assert_eq!(
        a_to_host,
        Some(1),
        "A must not reach the host through its router"
    );
    assert_eq!(
        a_to_router_b,
        Some(1),
        "A must not reach another network's router"
    );
    // Static leases only: C with a MAC the server never assigned gets no address.
    let stranger = "ip link set eth0 down; ip link set eth0 address 52:54:00:ee:ee:ee; \
                    ip link set eth0 up; udhcpc -i eth0 -n -q -t 3 -T 1 -s /bin/true";
    assert_eq!(
        sc.run(stranger, t).await,
        Some(1),
        "a MAC the server did not assign gets no lease"
    );

    // An agent restart (a new driver on the same data dir) finds the router and its
    // dnsmasq, and a repeated StartVm duplicates nothing.
    let ports_before = ports(&bridge_a);
    assert_eq!(
        ports_before.len(),
        4,
        "vxlan, router, 2 guests: {ports_before:?}"
    );
    drop(driver);
    let driver = KvmDriver::new(cfg.clone())
        .await
        .expect("driver after restart");
    // As after an agent's reconnect: the server mounts its pools again.
    mount_pool(&driver, &guid, "pool-net", &work.path().join("pool")).await;
    call(&driver, &guid, Command::StartVm(a.clone())).await;
    let again = driver.router(&bridge_a).expect("router after restart");
    assert_eq!(again.dnsmasq_pid, Some(pid_a), "the same dnsmasq serves on");
    assert_eq!((again.slot, again.leases.len()), (router_a.slot, 2));
    assert_eq!(ports(&bridge_a), ports_before);
    let conf = router_a.dir.join("dnsmasq.conf");
    assert_eq!(dnsmasq_count(&conf), 1);
    let nft = run(
        "ip",
        &[
            "netns",
            "exec",
            &router_a.netns,
            "nft",
            "list",
            "table",
            "ip",
            "strato_router",
        ],
    );
    assert_eq!(nft.matches("masquerade").count(), 1, "{nft}");

    // A dnsmasq that died while the agent was down is started again by the next agent.
    drop(driver);
    run("kill", &[&pid_a.to_string()]);
    let started = Instant::now();
    while dnsmasq_count(&conf) > 0 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let driver = KvmDriver::new(cfg.clone())
        .await
        .expect("driver after dnsmasq died");
    let revived = driver.router(&bridge_a).expect("router");
    assert!(
        revived.dnsmasq_pid.is_some_and(|p| p != pid_a),
        "{revived:?}"
    );
    assert_eq!(dnsmasq_count(&conf), 1);

    // Destroying A keeps the router for B (without A's lease); destroying B removes it.
    call(
        &driver,
        &guid,
        Command::DestroyVm {
            name: names[0].clone(),
        },
    )
    .await;
    let left = driver.router(&bridge_a).expect("router stays for B");
    assert_eq!(left.leases.len(), 1);
    let hosts = std::fs::read_to_string(left.dir.join("hosts")).expect("hosts file");
    assert!(
        !hosts.contains(&mac(1)) && hosts.contains(&mac(2)),
        "{hosts}"
    );
    // A removed lease leaves dnsmasq's lease database too (dnsmasq restarted for it).
    assert!(left.dnsmasq_pid.is_some(), "dnsmasq serves B on");
    let leases = std::fs::read_to_string(left.dir.join("leases")).unwrap_or_default();
    assert!(!leases.contains(&mac(1)), "{leases}");
    for x in [&names[1], &names[2]] {
        call(&driver, &guid, Command::DestroyVm { name: x.clone() }).await;
    }
    assert!(
        driver.router(&bridge_a).is_none(),
        "router of {bridge_a} removed"
    );
    let netns = Path::new("/run/netns").join(&router_a.netns);
    assert!(!netns.exists(), "{} deleted", router_a.netns);
    assert!(!router_a.dir.exists());
    assert_eq!(dnsmasq_count(&conf), 0, "dnsmasq stopped");
    // With nothing plugged in, the networks' bridges and VXLAN devices go too (each
    // VXLAN device holds one of the host's few multicast group memberships).
    for dev in [
        bridge_a.clone(),
        format!("vxlan{vni_a}"),
        bridge_b.clone(),
        format!("vxlan{vni_b}"),
    ] {
        assert!(
            !Path::new("/sys/class/net").join(&dev).exists(),
            "{dev} removed"
        );
    }
    assert!(driver.router(&bridge_b).is_none());
    assert!(
        !Path::new("/run/netns")
            .join(format!("strato-r-{bridge_b}"))
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_shell_metacharacters_are_refused_and_never_run() {
    if !tools() {
        return;
    }
    let (tpl, work, sfx) = scratch();
    let sfx = sfx.as_str();
    let guid = format!("kvm-meta-{sfx}");
    let driver = KvmDriver::new(test_config(&guid, work.path(), &tpl))
        .await
        .expect("driver");
    let witness = work.path().join("pwned");
    let w = witness.display().to_string();
    let evil = [
        format!("b$(touch {w})"),
        format!("b;touch {w}"),
        format!("`touch {w}`"),
        "b|id".to_string(),
        "b&&id".to_string(),
    ];
    for bridge in &evil {
        let mut net = vxlan(4242, "lo");
        net.bridge = Some(bridge.clone());
        let err = driver
            .handle(&guid, Command::SetupNetwork(net.clone()))
            .await
            .expect_err("a bridge name with shell metacharacters is refused");
        assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
        assert!(err.message.contains("not a valid interface name"), "{err}");
        let vm = format!("stm-{sfx}");
        let root = VolumeRef {
            pool_uuid: "none".into(),
            volume_uuid: "none".into(),
        };
        let err = driver
            .handle(
                &guid,
                Command::StartVm(vm_spec(&vm, "52:54:00:00:00:01", "10.1.1.10", net, &root)),
            )
            .await
            .expect_err("a NIC on such a bridge is refused");
        assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
        let uplink = {
            let mut n = vxlan(4242, bridge);
            n.bridge = None;
            n
        };
        let err = driver
            .handle(&guid, Command::SetupNetwork(uplink))
            .await
            .expect_err("an uplink name with shell metacharacters is refused");
        assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
    }
    // Addresses go into dnsmasq's files: anything but an address is refused.
    let root = VolumeRef {
        pool_uuid: "none".into(),
        volume_uuid: "none".into(),
    };
    let mut spec = vm_spec(
        &format!("stm-{sfx}"),
        "52:54:00:00:00:01",
        "10.1.1.10",
        vxlan(4243, "lo"),
        &root,
    );
    spec.nics[0].gateway = Some("10.1.1.1\ndhcp-range=0.0.0.0".into());
    let err = driver
        .handle(&guid, Command::StartVm(spec))
        .await
        .expect_err("a gateway that is not an address is refused");
    assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
    assert!(!witness.exists(), "no shell ever ran the name");
    assert!(
        !Path::new("/sys/class/net/brvx-4243").exists(),
        "nothing was made"
    );
    assert!(driver.router("brvx-4243").is_none());
    let AnswerData::VmStates { vms } = call(
        &driver,
        &guid,
        Command::GetVmState {
            names: vec![format!("stm-{sfx}")],
        },
    )
    .await
    else {
        panic!("VmStates");
    };
    assert_eq!(vms[0].state, strato_agent_proto::PowerState::Missing);
}
