//! Live migration between two KVM hosts on one machine. The second host is a libvirtd
//! and an agent in namespaces of their own, linked to this one by a veth pair
//! (tests/common/second_host.rs). A guest whose disk sits on a SharedMountPoint pool and
//! whose NIC is on a VXLAN network with a router runs on host A; host B is prepared
//! (its router gets the guest's lease), a migration to an address nobody answers fails
//! and leaves the guest running on A, so do a volume map (storage motion) and a migration
//! slower than its timeout (aborted), then the guest moves to B: gone from A (domain,
//! lease, router, bridge), running and defined on B with its VNC server moved from A's
//! address to B's, with the same memory (a file in its
//! RAM root and its uptime survive) and its gateway reachable through B's router, and
//! neither host reports the move as a change behind its back. A retry succeeds; B destroys
//! the guest and its router.
//!
//! Needs what tests/network.rs needs plus `nsenter` and `unshare` (util-linux).
#![cfg(feature = "kvm")]

mod common;

use std::time::{Duration, Instant};

use common::second_host::SecondHost;
use common::{
    Cleanup, GuestShell, call, clone_template, has_tool, prerequisites, require, scratch, small_vm,
    test_config, wait_for,
};
use strato_agent_proto::{
    AnswerData, Command, ErrorKind, HostEvent, HypervisorDriver, Isolation, NetworkSpec, NicSpec,
    PoolKind, PoolSpec, PowerState, VolumeRef,
};
use strato_hypervisor_kvm::KvmDriver;

const TIMEOUT: Duration = Duration::from_secs(120);
const SHELL: Duration = Duration::from_secs(30);
/// The test below runs itself again as the second host's agent, under this name.
const AGENT_TEST: &str = "second_host_agent";

/// Not a test on its own: the second host's agent, started by the migration test inside
/// the second host's namespaces.
#[test]
#[ignore = "started by the migration test as the second host's agent"]
fn second_host_agent() {
    common::second_host::serve_if_child();
}

/// A `MigrateVm` as the server sends it, from its wire form (fields the test does not
/// set keep their defaults).
fn migrate(name: &str, dest_guid: &str, dest_ip: &str) -> Command {
    serde_json::from_value(serde_json::json!({
        "cmd": "MigrateVm",
        "name": name,
        "dest_host_guid": dest_guid,
        "dest_ip": dest_ip,
    }))
    .expect("a MigrateVm")
}

fn state_of(answer: AnswerData, vm: &str) -> PowerState {
    match answer {
        AnswerData::VmStates { vms } => vms
            .into_iter()
            .find(|v| v.name == vm)
            .map_or(PowerState::Missing, |v| v.state),
        other => panic!("not VM states: {other:?}"),
    }
}

fn pool(uuid: &str, kind: PoolKind, dir: &std::path::Path) -> Command {
    std::fs::create_dir_all(dir).expect("pool directory");
    Command::ModifyStoragePool(PoolSpec {
        uuid: uuid.into(),
        kind,
        host: None,
        path: dir.display().to_string(),
        capacity_bytes: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_guest_migrates_live_to_another_host_and_keeps_running() {
    if !prerequisites()
        || !require(
            "dnsmasq, nft, nsenter and unshare",
            has_tool("dnsmasq") && has_tool("nft") && SecondHost::tools(),
        )
    {
        return;
    }
    let (tpl, work, sfx) = scratch();
    let sfx = sfx.as_str();
    let vni = 2_000_000 + u32::from_str_radix(&sfx[..5], 16).expect("hex");
    let bridge = format!("brvx-{vni}");
    let vm = format!("stm-{sfx}-vm");
    let mac = format!("52:54:00:{}:{}:{}", &sfx[0..2], &sfx[2..4], &sfx[4..6]);
    // Dropped after the second host (declared first).
    let _cleanup = Cleanup {
        domains: vec![vm.clone()],
        links: vec![bridge.clone(), format!("vxlan{vni}")],
        netns: vec![format!("strato-r-{bridge}")],
        routers: Some(work.path().join("state/routers")),
    };
    let started = Instant::now();
    let b = SecondHost::start(sfx, work.path(), &tpl, AGENT_TEST)
        .await
        .unwrap_or_else(|e| panic!("cannot set up the second host: {e}"));
    eprintln!(
        "second host (netns, veth, libvirtd, agent) up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let guid_a = format!("host-a-{sfx}");
    // A's VNC servers listen on its own address on the link (only A has it).
    let config_a = || {
        let mut c = test_config(&guid_a, work.path(), &tpl);
        c.private_ip = Some(b.peer_ip.clone());
        c.vnc_listen = b.peer_ip.clone();
        c
    };
    let a = KvmDriver::new(config_a()).await.expect("driver A");
    let ask_b = async |command: Command| {
        let name = command.name();
        b.handle(command)
            .await
            .unwrap_or_else(|e| panic!("{name} on host B failed: {e}"))
    };

    // The shared pool, the same directory on both hosts.
    let shared_pool = pool(
        "pool-shared",
        PoolKind::SharedMountPoint,
        &work.path().join("shared"),
    );
    call(&a, &guid_a, shared_pool.clone()).await;
    ask_b(shared_pool.clone()).await;
    let root = VolumeRef {
        pool_uuid: "pool-shared".into(),
        volume_uuid: "root-mig".into(),
    };
    clone_template(&a, &guid_a, &root, &tpl, 64 << 20).await;
    // Its VXLAN rides on the veth link (named alike on both hosts).
    let network = NetworkSpec {
        isolation: Isolation::Vxlan { vni },
        bridge: None,
        physical_interface: Some(b.link.clone()),
        mtu: None,
        dhcp: None,
    };
    let spec = small_vm(
        &vm,
        &root,
        NicSpec {
            device_id: 0,
            mac: mac.clone(),
            ip: Some("10.1.1.10".into()),
            netmask: Some("255.255.255.0".into()),
            gateway: Some("10.1.1.1".into()),
            network,
            default: true,
        },
    );
    call(&a, &guid_a, Command::StartVm(spec.clone())).await;
    let log_a = a.console_log(&vm);
    wait_for(&log_a, "STRATO-GUEST-DHCP 10.1.1.10/24", TIMEOUT)
        .await
        .unwrap_or_else(|| {
            panic!(
                "no DHCP lease on A: {}",
                std::fs::read_to_string(&log_a).unwrap_or_default()
            )
        });
    let mut shell_a = GuestShell::connect(&a.console_socket(&vm), &log_a).await;
    // State only the running guest has: a file in its RAM root, its uptime.
    // (A subshell: the shell helper sends the command's own output to /dev/null.)
    let mark = "(echo moved > /tmp/strato-mig && cut -d. -f1 /proc/uptime > /tmp/strato-up)";
    assert_eq!(shell_a.run(mark, SHELL).await, Some(0));

    // B: a volume on a pool only B has is refused; the real spec gets B's lease.
    let local = pool(
        "pool-local",
        PoolKind::Filesystem,
        &work.path().join("local-b"),
    );
    ask_b(local).await;
    let mut on_local = spec.clone();
    on_local.volumes[0].source = strato_agent_proto::DiskSource::Volume(VolumeRef {
        pool_uuid: "pool-local".into(),
        volume_uuid: "root-mig".into(),
    });
    let refused = b.handle(Command::PrepareForMigration(on_local)).await;
    assert_eq!(
        refused.as_ref().err().map(|e| e.kind),
        Some(ErrorKind::Unsupported),
        "{refused:?}"
    );
    ask_b(Command::PrepareForMigration(spec.clone())).await;
    let hosts_b = std::fs::read_to_string(b.state_path(&format!("routers/{bridge}/hosts")))
        .unwrap_or_default();
    assert!(
        hosts_b.contains(&mac) && hosts_b.contains("10.1.1.10"),
        "B's router has the guest's lease: {hosts_b:?}"
    );

    // An address nobody answers: a clear error, and the guest stays on A.
    let nobody = format!("{}.3", b.ip.rsplit_once('.').expect("IPv4").0);
    let t = Instant::now();
    let failed = a
        .handle(&guid_a, migrate(&vm, &b.guid, &nobody))
        .await
        .expect_err("a migration to nowhere fails");
    eprintln!(
        "migration to an unreachable address failed in {:.1} s: {failed}",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(failed.kind, ErrorKind::Failed);
    assert!(
        failed.message.contains(&format!("{nobody}:16509")) && failed.message.contains(&b.guid),
        "{failed}"
    );
    let names = || Command::GetVmState {
        names: vec![vm.clone()],
    };
    assert_eq!(
        state_of(call(&a, &guid_a, names()).await, &vm),
        PowerState::Running
    );
    assert_eq!(
        shell_a.run("true", SHELL).await,
        Some(0),
        "still answers on A"
    );

    // Storage motion is not the KVM agent's: refused, nothing moves.
    let mut with_volumes = serde_json::to_value(migrate(&vm, &b.guid, &b.ip)).expect("JSON");
    with_volumes["volume_map"] = serde_json::json!([{
        "src": root,
        "dest": {"pool_uuid": "pool-local", "volume_uuid": "root-mig"},
    }]);
    let refused = a
        .handle(
            &guid_a,
            serde_json::from_value(with_volumes).expect("a MigrateVm"),
        )
        .await;
    assert_eq!(
        refused.as_ref().err().map(|e| e.kind),
        Some(ErrorKind::Unsupported),
        "{refused:?}"
    );

    // Too slow (1 MiB/s for a 1 s timeout, through a second agent on host A): aborted,
    // the guest stays on A and B has nothing.
    let mut hasty = config_a();
    hasty.migrate_timeout = Duration::from_secs(1);
    let hasty = KvmDriver::new(hasty).await.expect("second driver on A");
    call(&hasty, &guid_a, shared_pool.clone()).await;
    let virsh_a = |args: &[&str]| {
        let mut all = vec!["-q", "-c", "qemu:///system"];
        all.extend_from_slice(args);
        common::run("virsh", &all)
    };
    let speed = virsh_a(&["migrate-getspeed", &vm]);
    virsh_a(&["migrate-setspeed", &vm, "1"]);
    let t = Instant::now();
    let aborted = hasty
        .handle(&guid_a, migrate(&vm, &b.guid, &b.ip))
        .await
        .expect_err("a migration slower than its timeout is aborted");
    eprintln!(
        "slow migration aborted after {:.1} s: {aborted}",
        t.elapsed().as_secs_f64()
    );
    assert!(aborted.message.contains("aborted"), "{aborted}");
    virsh_a(&["migrate-setspeed", &vm, speed.trim()]);
    drop(hasty);
    assert_eq!(
        state_of(call(&a, &guid_a, names()).await, &vm),
        PowerState::Running
    );
    assert!(b.virsh(&["dominfo", &vm]).is_err(), "nothing left on B");
    assert_eq!(
        shell_a.run("true", SHELL).await,
        Some(0),
        "still answers on A"
    );

    // The migration.
    let mut events_a = a.subscribe();
    let t = Instant::now();
    let done = call(&a, &guid_a, migrate(&vm, &b.guid, &b.ip)).await;
    let took = t.elapsed();
    eprintln!("live migration A -> B took {:.1} s", took.as_secs_f64());
    assert_eq!(done, AnswerData::Done);

    // Gone from A: domain, lease, router, bridge.
    assert_eq!(
        state_of(call(&a, &guid_a, names()).await, &vm),
        PowerState::Missing
    );
    assert!(
        !std::process::Command::new("virsh")
            .args(["-q", "-c", "qemu:///system", "dominfo", &vm])
            .output()
            .expect("virsh")
            .status
            .success(),
        "A's libvirt no longer knows {vm}"
    );
    assert!(
        a.router(&bridge).is_none(),
        "A's router went with its last lease"
    );
    assert!(
        !std::path::Path::new("/sys/class/net")
            .join(&bridge)
            .exists(),
        "A's idle bridge went"
    );

    // Running and defined on B.
    assert_eq!(
        b.virsh(&["domstate", &vm]).map(|s| s.trim().to_owned()),
        Ok("running".into())
    );
    let info = b.virsh(&["dominfo", &vm]).unwrap_or_default();
    assert!(
        info.lines()
            .any(|l| l.starts_with("Persistent:") && l.ends_with("yes")),
        "{info}"
    );
    assert_eq!(state_of(ask_b(names()).await, &vm), PowerState::Running);
    match ask_b(Command::GetVncPort { name: vm.clone() }).await {
        AnswerData::Vm(info) => assert!(info.vnc_port.is_some(), "{info:?}"),
        other => panic!("not a VM: {other:?}"),
    }
    // Its VNC server moved to B's address, now and in its definition.
    for args in [vec!["dumpxml", &vm], vec!["dumpxml", "--inactive", &vm]] {
        let xml = b.virsh(&args).unwrap_or_default();
        assert!(
            xml.contains(&format!("listen='{}'", b.ip)) && !xml.contains(&b.peer_ip),
            "{args:?}: {xml}"
        );
    }

    // The same guest, not a new boot: its RAM file and uptime survived.
    let (sock_b, log_b) = (
        b.state_path(&format!("console/{vm}.sock")),
        b.state_path(&format!("console/{vm}.log")),
    );
    let mut shell_b = GuestShell::connect(&sock_b, &log_b).await;
    assert_eq!(
        shell_b.run("grep -qx moved /tmp/strato-mig", SHELL).await,
        Some(0)
    );
    let uptime = "[ $(cut -d. -f1 /proc/uptime) -ge $(cat /tmp/strato-up) ]";
    assert_eq!(shell_b.run(uptime, SHELL).await, Some(0));
    let printed = std::fs::read_to_string(&log_b).unwrap_or_default();
    assert!(
        !printed.contains("STRATO-GUEST-UP"),
        "the guest booted again on B: {printed}"
    );
    // Its gateway, now B's router (the guest first forgets A's router's MAC).
    let t = Instant::now();
    let mut reached = false;
    while !reached && t.elapsed() < TIMEOUT {
        reached = shell_b.run("ping -c 1 -W 2 10.1.1.1", SHELL).await == Some(0);
    }
    assert!(reached, "the guest reaches its gateway on B");
    eprintln!(
        "gateway reachable from B after {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Neither host took the move for a change behind its back (after a few polls).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(state_of(ask_b(names()).await, &vm), PowerState::Running);
    let about_vm =
        |e: &HostEvent| matches!(e, HostEvent::VmPowerChanged { vm_name, .. } if *vm_name == vm);
    let on_b: Vec<HostEvent> = b.events().into_iter().filter(about_vm).collect();
    assert!(on_b.is_empty(), "B reported {on_b:?}");
    while let Ok(e) = events_a.try_recv() {
        assert!(!about_vm(&e.event), "A reported {e:?}");
    }

    // A retried migration (its answer lost) succeeds; an unknown VM is not found.
    assert_eq!(
        call(&a, &guid_a, migrate(&vm, &b.guid, &b.ip)).await,
        AnswerData::Done
    );
    let unknown = a
        .handle(&guid_a, migrate(&format!("stm-{sfx}-none"), &b.guid, &b.ip))
        .await;
    assert_eq!(unknown.err().map(|e| e.kind), Some(ErrorKind::NotFound));

    // B destroys it, and its router with it.
    ask_b(Command::DestroyVm { name: vm.clone() }).await;
    assert!(b.virsh(&["dominfo", &vm]).is_err());
    assert!(!b.state_path(&format!("routers/{bridge}")).exists());
}
