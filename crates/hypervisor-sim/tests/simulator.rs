//! The simulator through the driver trait, as the agent drives it: VM lifecycle and
//! idempotency, capacity, storage, migration, networks, mocks and events.

use std::time::{Duration, Instant};

use strato_agent_proto::{
    AgentError, Answer, AnswerData, Command, DiskKind, DiskSource, DiskSpec, ErrorKind, HostEvent,
    HypervisorDriver, IsoRef, Isolation, NetworkSpec, NicSpec, Placement, PoolKind, PoolSpec,
    PowerState, TemplateRef, VmSpec, VolumeMigration, VolumeRef,
};
use strato_hypervisor_sim::{MockRule, MockScope, SimHostSpec, Simulator, parse_sim_url};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const GIB: u64 = 1 << 30;

fn sim_with(hosts: &[&str]) -> Simulator {
    let sim = Simulator::new();
    for guid in hosts {
        let mut spec = SimHostSpec::new(*guid, format!("SimulatedAgent.{guid}"));
        spec.placement = Placement {
            zone_id: Some("z1".into()),
            pod_id: Some("p1".into()),
            cluster_id: Some(format!("c-{guid}")),
        };
        sim.add_host(spec);
    }
    sim
}

async fn run(sim: &Simulator, host: &str, command: Command) -> Answer {
    sim.handle(host, command).await
}

fn kind(answer: &Answer) -> Option<ErrorKind> {
    answer.as_ref().err().map(|e| e.kind)
}

fn vm(name: &str, memory: u64) -> VmSpec {
    VmSpec {
        name: name.into(),
        uuid: format!("uuid-{name}"),
        cpus: 1,
        cpu_speed_mhz: 1000,
        memory_bytes: memory,
        os_type: None,
        nics: vec![],
        volumes: vec![],
        boot: vec![],
        vnc_password: None,
        details: Default::default(),
    }
}

fn vol(pool: &str, uuid: &str) -> VolumeRef {
    VolumeRef {
        pool_uuid: pool.into(),
        volume_uuid: uuid.into(),
    }
}

fn nfs(uuid: &str) -> Command {
    Command::ModifyStoragePool(PoolSpec {
        uuid: uuid.into(),
        kind: PoolKind::NetworkFilesystem,
        host: Some("10.147.28.6".into()),
        path: "/export/home/sandbox/primary0".into(),
        capacity_bytes: None,
    })
}

fn create(pool: &str, uuid: &str, size: u64) -> Command {
    Command::CreateVolume {
        pool_uuid: pool.into(),
        volume_uuid: uuid.into(),
        size_bytes: size,
        template: None,
        provisioning: None,
    }
}

fn with_root(mut spec: VmSpec, root: VolumeRef) -> VmSpec {
    spec.volumes.push(DiskSpec {
        device_id: 0,
        kind: DiskKind::Root,
        source: DiskSource::Volume(root),
    });
    spec
}

#[tokio::test]
async fn vm_lifecycle_is_idempotent() -> TestResult {
    let sim = sim_with(&["h1"]);
    let started = run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    let AnswerData::Vm(info) = started else {
        return Err(format!("unexpected {started:?}").into());
    };
    assert_eq!(
        (info.state, info.vnc_port),
        (PowerState::Running, Some(5900))
    );
    // Start again: same answer, nothing duplicated.
    let again = run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    assert_eq!(again, AnswerData::Vm(info));
    // Same name, another VM: refused.
    let mut other = vm("i-1", GIB);
    other.uuid = "someone-else".into();
    let clash = run(&sim, "h1", Command::StartVm(other)).await;
    assert_eq!(kind(&clash), Some(ErrorKind::InvalidState));

    run(&sim, "h1", Command::RebootVm { name: "i-1".into() }).await?;
    let stop = || Command::StopVm {
        name: "i-1".into(),
        force: false,
    };
    run(&sim, "h1", stop()).await?;
    run(&sim, "h1", stop()).await?;
    assert_eq!(sim.vm_state("h1", "i-1"), Some(PowerState::Stopped));
    let reboot = run(&sim, "h1", Command::RebootVm { name: "i-1".into() }).await;
    assert_eq!(kind(&reboot), Some(ErrorKind::InvalidState));
    let reboot = run(
        &sim,
        "h1",
        Command::RebootVm {
            name: "nope".into(),
        },
    )
    .await;
    assert_eq!(kind(&reboot), Some(ErrorKind::NotFound));
    // Stopping an unknown VM is fine (a retried stop after the VM was cleaned up).
    run(
        &sim,
        "h1",
        Command::StopVm {
            name: "ghost".into(),
            force: true,
        },
    )
    .await?;
    // Restart after stop.
    run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    run(&sim, "h1", Command::DestroyVm { name: "i-1".into() }).await?;
    run(&sim, "h1", Command::DestroyVm { name: "i-1".into() }).await?;
    assert_eq!(sim.vm_state("h1", "i-1"), None);
    Ok(())
}

#[tokio::test]
async fn bad_specs_and_unknown_hosts_are_refused() -> TestResult {
    let sim = sim_with(&["h1"]);
    let no_mem = run(&sim, "h1", Command::StartVm(vm("i-1", 0))).await;
    assert_eq!(kind(&no_mem), Some(ErrorKind::InvalidArgument));
    let unnamed = run(&sim, "h1", Command::StartVm(vm(" ", GIB))).await;
    assert_eq!(kind(&unnamed), Some(ErrorKind::InvalidArgument));
    let unknown = run(&sim, "h9", Command::ReadyCheck).await;
    assert_eq!(kind(&unknown), Some(ErrorKind::UnknownHost));
    Ok(())
}

#[tokio::test]
async fn vm_states_and_stats() -> TestResult {
    let sim = sim_with(&["h1"]);
    run(&sim, "h1", Command::StartVm(vm("a", GIB))).await?;
    run(&sim, "h1", Command::StartVm(vm("b", 2 * GIB))).await?;
    run(
        &sim,
        "h1",
        Command::StopVm {
            name: "b".into(),
            force: false,
        },
    )
    .await?;
    let all = run(&sim, "h1", Command::GetVmState { names: vec![] }).await?;
    let AnswerData::VmStates { vms } = all else {
        return Err("not states".into());
    };
    let states: Vec<_> = vms.iter().map(|v| (v.name.as_str(), v.state)).collect();
    assert_eq!(
        states,
        [("a", PowerState::Running), ("b", PowerState::Stopped)]
    );
    let some = run(
        &sim,
        "h1",
        Command::GetVmState {
            names: vec!["zz".into()],
        },
    )
    .await?;
    assert!(
        matches!(some, AnswerData::VmStates { ref vms } if vms[0].state == PowerState::Missing)
    );
    let stats = run(&sim, "h1", Command::GetVmStats { names: vec![] }).await?;
    assert!(
        matches!(stats, AnswerData::VmStats { ref vms } if vms.len() == 1 && vms[0].memory_bytes == GIB)
    );
    let host = run(&sim, "h1", Command::GetHostStats).await?;
    let AnswerData::HostStats(host) = host else {
        return Err("not host stats".into());
    };
    assert_eq!(host.memory_used_bytes, GIB);
    assert_eq!(host.memory_total_bytes, 8 * GIB);
    assert_eq!(host.cpu_total_mhz, 4 * 8000);
    assert_eq!((host.cpu_allocated_mhz, host.running_vms), (1000, 1));
    let health = run(&sim, "h1", Command::CheckHealth).await?;
    assert!(matches!(health, AnswerData::Health { healthy: true, .. }));
    Ok(())
}

#[tokio::test]
async fn memory_capacity_is_enforced() -> TestResult {
    let sim = Simulator::new();
    let mut spec = SimHostSpec::new("small", "small");
    spec.capacity = parse_sim_url("http://sim/c0/memory=4294967296&cpucore=2")?;
    let info = sim.add_host(spec);
    assert_eq!((info.memory_bytes, info.cpus), (4 * GIB, 2));
    run(&sim, "small", Command::StartVm(vm("big", 3 * GIB))).await?;
    let too_much = run(&sim, "small", Command::StartVm(vm("more", 2 * GIB))).await;
    let err = too_much.err().ok_or("second VM should not fit")?;
    assert_eq!(err.kind, ErrorKind::InsufficientCapacity);
    assert!(
        err.message.contains("1024 MiB of 4096 MiB memory free"),
        "{}",
        err.message
    );
    assert!(err.message.contains("needs 2048 MiB"), "{}", err.message);
    run(
        &sim,
        "small",
        Command::StopVm {
            name: "big".into(),
            force: false,
        },
    )
    .await?;
    run(&sim, "small", Command::StartVm(vm("more", 2 * GIB))).await?;
    Ok(())
}

#[tokio::test]
async fn volumes_on_pools() -> TestResult {
    let sim = sim_with(&["h1", "h2"]);
    let not_mounted = run(&sim, "h1", create("p1", "v1", GIB)).await;
    assert_eq!(kind(&not_mounted), Some(ErrorKind::NotFound));
    let pool = run(&sim, "h1", nfs("p1")).await?;
    assert!(
        matches!(pool, AnswerData::Pool(ref p) if p.capacity_bytes == 5 << 40 && p.allocated_bytes == 0)
    );
    run(&sim, "h1", nfs("p1")).await?;

    let first = run(&sim, "h1", create("p1", "v1", GIB)).await?;
    let again = run(&sim, "h1", create("p1", "v1", GIB)).await?;
    assert_eq!(first, again, "creating twice answers the same volume");
    let no_size = run(&sim, "h1", create("p1", "v0", 0)).await;
    assert_eq!(kind(&no_size), Some(ErrorKind::InvalidArgument));
    // From a template: at least the template's size.
    let from_template = Command::CreateVolume {
        pool_uuid: "p1".into(),
        volume_uuid: "root".into(),
        size_bytes: 0,
        template: Some(TemplateRef {
            uuid: "tmpl".into(),
            url: None,
            size_bytes: 2 * GIB,
            format: Some("QCOW2".into()),
        }),
        provisioning: None,
    };
    run(&sim, "h1", from_template).await?;
    let view = sim
        .volume(&vol("p1", "root"))
        .ok_or("root volume missing")?;
    assert_eq!(
        (view.size_bytes, view.template.as_deref()),
        (2 * GIB, Some("tmpl"))
    );

    let grow = Command::ResizeVolume {
        volume: vol("p1", "v1"),
        new_size_bytes: 3 * GIB,
        shrink_ok: false,
    };
    run(&sim, "h1", grow).await?;
    let shrink = |ok| Command::ResizeVolume {
        volume: vol("p1", "v1"),
        new_size_bytes: GIB,
        shrink_ok: ok,
    };
    assert_eq!(
        kind(&run(&sim, "h1", shrink(false)).await),
        Some(ErrorKind::InvalidArgument)
    );
    run(&sim, "h1", shrink(true)).await?;

    // h2 has not mounted p1 yet; once it has, it sees the same volumes.
    let copy = Command::CopyVolume {
        src: vol("p1", "v1"),
        dest: vol("p1", "v1-copy"),
    };
    assert_eq!(
        kind(&run(&sim, "h2", copy.clone()).await),
        Some(ErrorKind::NotFound)
    );
    run(&sim, "h2", nfs("p1")).await?;
    run(&sim, "h2", copy.clone()).await?;
    run(&sim, "h2", copy).await?;

    let delete = || Command::DeleteVolume {
        volume: vol("p1", "v1"),
    };
    run(&sim, "h2", delete()).await?;
    run(&sim, "h1", delete()).await?;
    assert!(sim.volume(&vol("p1", "v1")).is_none());
    Ok(())
}

#[tokio::test]
async fn volumes_in_use_are_protected() -> TestResult {
    let sim = sim_with(&["h1"]);
    run(&sim, "h1", nfs("p1")).await?;
    let missing_disk = with_root(vm("i-1", GIB), vol("p1", "root"));
    assert_eq!(
        kind(&run(&sim, "h1", Command::StartVm(missing_disk.clone())).await),
        Some(ErrorKind::NotFound)
    );
    run(&sim, "h1", create("p1", "root", GIB)).await?;
    run(&sim, "h1", Command::StartVm(missing_disk)).await?;
    let delete = Command::DeleteVolume {
        volume: vol("p1", "root"),
    };
    assert_eq!(
        kind(&run(&sim, "h1", delete.clone()).await),
        Some(ErrorKind::InvalidState)
    );
    // Another VM cannot boot from the same disk.
    let thief = with_root(vm("i-2", GIB), vol("p1", "root"));
    assert_eq!(
        kind(&run(&sim, "h1", Command::StartVm(thief)).await),
        Some(ErrorKind::InvalidState)
    );
    let unmount = Command::DeleteStoragePool {
        pool_uuid: "p1".into(),
    };
    assert_eq!(
        kind(&run(&sim, "h1", unmount.clone()).await),
        Some(ErrorKind::InvalidState)
    );
    run(
        &sim,
        "h1",
        Command::StopVm {
            name: "i-1".into(),
            force: false,
        },
    )
    .await?;
    run(&sim, "h1", delete).await?;
    run(&sim, "h1", unmount.clone()).await?;
    run(&sim, "h1", unmount).await?;
    Ok(())
}

#[tokio::test]
async fn local_pools_belong_to_one_host() -> TestResult {
    let sim = sim_with(&["h1", "h2"]);
    let local = Command::ModifyStoragePool(PoolSpec {
        uuid: "local-h1".into(),
        kind: PoolKind::Filesystem,
        host: None,
        path: "/var/lib/libvirt/images".into(),
        capacity_bytes: None,
    });
    let info = run(&sim, "h1", local.clone()).await?;
    assert!(
        matches!(info, AnswerData::Pool(ref p) if p.capacity_bytes == 1 << 40 && p.local_path == "/var/lib/libvirt/images")
    );
    assert_eq!(
        kind(&run(&sim, "h2", local).await),
        Some(ErrorKind::InvalidState)
    );
    run(&sim, "h1", create("local-h1", "v", 10 * GIB)).await?;
    let stats = run(&sim, "h1", Command::GetHostStats).await?;
    assert!(
        matches!(stats, AnswerData::HostStats(ref s) if s.local_storage_used_bytes == 10 * GIB)
    );
    Ok(())
}

#[tokio::test]
async fn migration_moves_vms_between_hosts() -> TestResult {
    let sim = sim_with(&["h1", "h2", "h3"]);
    for h in ["h1", "h2"] {
        run(&sim, h, nfs("shared")).await?;
    }
    run(&sim, "h1", create("shared", "root", GIB)).await?;
    let spec = with_root(vm("i-1", GIB), vol("shared", "root"));
    run(&sim, "h1", Command::StartVm(spec.clone())).await?;
    run(&sim, "h2", Command::PrepareForMigration(spec.clone())).await?;
    let to = |dest: &str| Command::MigrateVm {
        name: "i-1".into(),
        dest_host_guid: dest.into(),
        dest_ip: None,
        volume_map: Vec::new(),
    };
    // h3 has not mounted the pool.
    assert_eq!(
        kind(&run(&sim, "h3", Command::PrepareForMigration(spec)).await),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(
        kind(&run(&sim, "h1", to("h3")).await),
        Some(ErrorKind::InvalidState)
    );
    assert_eq!(
        kind(&run(&sim, "h1", to("nowhere")).await),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(
        kind(&run(&sim, "h1", to("h1")).await),
        Some(ErrorKind::InvalidArgument)
    );
    run(&sim, "h1", to("h2")).await?;
    assert_eq!(sim.vm_state("h1", "i-1"), None);
    assert_eq!(sim.vm_state("h2", "i-1"), Some(PowerState::Running));
    // A retry after a lost answer succeeds.
    run(&sim, "h1", to("h2")).await?;
    // A VM that is nowhere cannot migrate.
    let ghost = Command::MigrateVm {
        name: "ghost".into(),
        dest_host_guid: "h2".into(),
        dest_ip: None,
        volume_map: Vec::new(),
    };
    assert_eq!(
        kind(&run(&sim, "h1", ghost).await),
        Some(ErrorKind::NotFound)
    );
    Ok(())
}

#[tokio::test]
async fn migration_with_storage_moves_the_disks_to_the_destination_pools() -> TestResult {
    let sim = sim_with(&["h1", "h2"]);
    run(&sim, "h1", nfs("a")).await?;
    run(&sim, "h2", nfs("b")).await?;
    run(&sim, "h1", create("a", "root", 4 * GIB)).await?;
    run(
        &sim,
        "h1",
        Command::StartVm(with_root(vm("i-1", GIB), vol("a", "root"))),
    )
    .await?;
    let moving = |dest: &str| VolumeMigration {
        src: vol("a", "root"),
        dest: vol(dest, "root"),
    };
    let to_h2 = |volume_map| Command::MigrateVm {
        name: "i-1".into(),
        dest_host_guid: "h2".into(),
        dest_ip: None,
        volume_map,
    };
    // Without the map, or before the destination volume exists, h2 cannot run it.
    assert_eq!(
        kind(&run(&sim, "h1", to_h2(vec![])).await),
        Some(ErrorKind::InvalidState)
    );
    assert_eq!(
        kind(&run(&sim, "h1", to_h2(vec![moving("b")])).await),
        Some(ErrorKind::InvalidState)
    );
    let stranger = VolumeMigration {
        src: vol("a", "other"),
        dest: vol("b", "other"),
    };
    assert_eq!(
        kind(&run(&sim, "h1", to_h2(vec![stranger])).await),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(sim.vm_state("h1", "i-1"), Some(PowerState::Running));

    run(&sim, "h2", create("b", "root", 1)).await?;
    let arrived = with_root(vm("i-1", GIB), vol("b", "root"));
    run(&sim, "h2", Command::PrepareForMigration(arrived)).await?;
    run(&sim, "h1", to_h2(vec![moving("b")])).await?;
    run(&sim, "h1", to_h2(vec![moving("b")])).await?;
    assert_eq!(sim.vm_state("h1", "i-1"), None);
    assert_eq!(sim.vm_state("h2", "i-1"), Some(PowerState::Running));
    // The copy has the source's size; the VM runs from it, so the source can go but
    // the copy cannot.
    let copy = run(&sim, "h2", create("b", "root", 1)).await?;
    assert!(
        matches!(copy, AnswerData::Volume(ref v) if v.size_bytes == 4 * GIB),
        "{copy:?}"
    );
    let delete = |pool: &str| Command::DeleteVolume {
        volume: vol(pool, "root"),
    };
    assert_eq!(
        kind(&run(&sim, "h2", delete("b")).await),
        Some(ErrorKind::InvalidState)
    );
    run(&sim, "h1", delete("a")).await?;
    Ok(())
}

#[tokio::test]
async fn migration_checks_destination_memory() -> TestResult {
    let sim = sim_with(&["h1", "h2"]);
    run(&sim, "h2", Command::StartVm(vm("hog", 7 * GIB))).await?;
    run(&sim, "h1", Command::StartVm(vm("i-1", 2 * GIB))).await?;
    let migrate = Command::MigrateVm {
        name: "i-1".into(),
        dest_host_guid: "h2".into(),
        dest_ip: None,
        volume_map: Vec::new(),
    };
    assert_eq!(
        kind(&run(&sim, "h1", migrate).await),
        Some(ErrorKind::InsufficientCapacity)
    );
    assert_eq!(
        sim.vm_state("h1", "i-1"),
        Some(PowerState::Running),
        "still at the source"
    );
    Ok(())
}

#[tokio::test]
async fn snapshots() -> TestResult {
    let sim = sim_with(&["h1"]);
    run(&sim, "h1", nfs("p")).await?;
    run(&sim, "h1", create("p", "v", GIB)).await?;
    let snap = |uuid: &str| Command::CreateSnapshot {
        volume: vol("p", "v"),
        snapshot_uuid: uuid.into(),
    };
    let first = run(&sim, "h1", snap("s1")).await?;
    assert_eq!(run(&sim, "h1", snap("s1")).await?, first);
    let grow = Command::ResizeVolume {
        volume: vol("p", "v"),
        new_size_bytes: 4 * GIB,
        shrink_ok: false,
    };
    run(&sim, "h1", grow).await?;
    let revert = |uuid: &str| Command::RevertSnapshot {
        volume: vol("p", "v"),
        snapshot_uuid: uuid.into(),
    };
    let reverted = run(&sim, "h1", revert("s1")).await?;
    assert!(matches!(reverted, AnswerData::Volume(ref v) if v.size_bytes == GIB));
    assert_eq!(
        kind(&run(&sim, "h1", revert("nope")).await),
        Some(ErrorKind::NotFound)
    );
    let backup = Command::BackupSnapshot {
        volume: vol("p", "v"),
        snapshot_uuid: "s1".into(),
        secondary_url: "nfs://10.147.28.6/export/home/sandbox/secondary".into(),
    };
    let backed = run(&sim, "h1", backup).await?;
    assert!(
        matches!(backed, AnswerData::SnapshotBackup { ref path, .. } if path == "snapshots/v/s1")
    );
    let view = sim.volume(&vol("p", "v")).ok_or("volume gone")?;
    assert_eq!(
        view.snapshots,
        [("s1".to_owned(), Some("snapshots/v/s1".to_owned()))]
    );
    let delete = || Command::DeleteSnapshot {
        volume: vol("p", "v"),
        snapshot_uuid: "s1".into(),
    };
    run(&sim, "h1", delete()).await?;
    run(&sim, "h1", delete()).await?;
    Ok(())
}

#[tokio::test]
async fn attach_and_detach_volumes_and_isos() -> TestResult {
    let sim = sim_with(&["h1"]);
    run(&sim, "h1", nfs("p")).await?;
    run(&sim, "h1", create("p", "data", GIB)).await?;
    run(&sim, "h1", Command::StartVm(vm("a", GIB))).await?;
    run(&sim, "h1", Command::StartVm(vm("b", GIB))).await?;
    let attach = |vm: &str, device_id| Command::AttachVolume {
        vm_name: vm.into(),
        volume: vol("p", "data"),
        device_id,
    };
    run(&sim, "h1", attach("a", 1)).await?;
    run(&sim, "h1", attach("a", 1)).await?;
    assert_eq!(
        kind(&run(&sim, "h1", attach("b", 1)).await),
        Some(ErrorKind::InvalidState)
    );
    assert_eq!(
        kind(&run(&sim, "h1", attach("nobody", 1)).await),
        Some(ErrorKind::NotFound)
    );
    let spec = sim.vm_spec("h1", "a").ok_or("vm a missing")?;
    assert_eq!(spec.volumes.len(), 1);
    let detach = Command::DetachVolume {
        vm_name: "a".into(),
        volume: vol("p", "data"),
    };
    run(&sim, "h1", detach.clone()).await?;
    run(&sim, "h1", detach).await?;
    run(&sim, "h1", attach("b", 1)).await?;

    let iso = |uuid: &str| Command::AttachIso {
        vm_name: "a".into(),
        iso: IsoRef {
            uuid: uuid.into(),
            path: format!("iso/{uuid}.iso"),
        },
    };
    run(&sim, "h1", iso("x")).await?;
    run(&sim, "h1", iso("x")).await?;
    assert_eq!(
        kind(&run(&sim, "h1", iso("y")).await),
        Some(ErrorKind::InvalidState)
    );
    run(
        &sim,
        "h1",
        Command::DetachIso {
            vm_name: "a".into(),
        },
    )
    .await?;
    run(
        &sim,
        "h1",
        Command::DetachIso {
            vm_name: "a".into(),
        },
    )
    .await?;
    run(&sim, "h1", iso("y")).await?;
    Ok(())
}

#[tokio::test]
async fn networks_get_cloudstack_bridge_names() -> TestResult {
    let sim = sim_with(&["h1"]);
    let net = |isolation| {
        Command::SetupNetwork(NetworkSpec {
            isolation,
            bridge: None,
            physical_interface: None,
            mtu: None,
            dhcp: None,
        })
    };
    let vx = run(&sim, "h1", net(Isolation::Vxlan { vni: 5001 })).await?;
    assert_eq!(
        vx,
        AnswerData::Network {
            bridge: "brvx-5001".into()
        }
    );
    let vlan = run(&sim, "h1", net(Isolation::Vlan { id: 100 })).await?;
    assert_eq!(
        vlan,
        AnswerData::Network {
            bridge: "breth0-100".into()
        }
    );
    assert_eq!(
        kind(&run(&sim, "h1", net(Isolation::Vlan { id: 4095 })).await),
        Some(ErrorKind::InvalidArgument)
    );
    // Starting a VM plugs its NICs' bridges too.
    let mut spec = vm("i-1", GIB);
    spec.nics.push(NicSpec {
        device_id: 0,
        mac: "02:00:00:00:00:01".into(),
        ip: Some("10.1.1.10".into()),
        netmask: None,
        gateway: None,
        network: NetworkSpec {
            isolation: Isolation::Vlan { id: 200 },
            bridge: None,
            physical_interface: Some("bond0".into()),
            mtu: None,
            dhcp: None,
        },
        default: true,
    });
    run(&sim, "h1", Command::StartVm(spec)).await?;
    assert_eq!(
        sim.bridges("h1"),
        ["brbond0-200", "breth0-100", "brvx-5001"]
    );
    Ok(())
}

#[tokio::test]
async fn mocks_fail_fault_delay_and_count_down() -> TestResult {
    let sim = sim_with(&["h1", "h2"]);
    // Fail StartCommand on h1's cluster only, twice.
    let rec = sim.configure_mock(MockRule {
        name: "StartCommand".into(),
        value: "result:fail".into(),
        scope: MockScope {
            cluster_id: Some("c-h1".into()),
            ..MockScope::default()
        },
        count: Some(2),
        json_response: None,
    })?;
    for _ in 0..2 {
        let failed = run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await;
        assert_eq!(
            failed,
            Err(AgentError::new(ErrorKind::Failed, "Simulated failure"))
        );
    }
    assert_eq!(
        sim.vm_state("h1", "i-1"),
        None,
        "a failed start leaves nothing"
    );
    run(&sim, "h2", Command::StartVm(vm("i-2", GIB))).await?;
    run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    assert_eq!(sim.query_mock(rec.id).and_then(|m| m.count), Some(0));
    assert!(sim.cleanup_mock(rec.id));

    sim.configure_mock(MockRule {
        name: "StopVm".into(),
        value: "wait:150|result:fault".into(),
        ..MockRule::default()
    })?;
    let started = Instant::now();
    let faulted = run(
        &sim,
        "h2",
        Command::StopVm {
            name: "i-2".into(),
            force: false,
        },
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(kind(&faulted), Some(ErrorKind::Internal));
    assert_eq!(sim.vm_state("h2", "i-2"), Some(PowerState::Running));

    sim.configure_mock(MockRule {
        name: "GetHostStatsCommand".into(),
        value: String::new(),
        json_response: Some(r#"{"kind": "Health", "healthy": false}"#.into()),
        ..MockRule::default()
    })?;
    let canned = run(&sim, "h2", Command::GetHostStats).await?;
    assert!(matches!(canned, AnswerData::Health { healthy: false, .. }));
    assert_eq!(sim.list_mocks().len(), 2);
    Ok(())
}

#[tokio::test]
async fn out_of_band_power_changes_emit_events() -> TestResult {
    let sim = sim_with(&["h1"]);
    let mut events = sim.subscribe();
    run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    sim.set_power_out_of_band("h1", "i-1", false)?;
    let event = tokio::time::timeout(Duration::from_secs(1), events.recv()).await??;
    assert_eq!(event.host_guid, "h1");
    assert_eq!(
        event.event,
        HostEvent::VmPowerChanged {
            vm_name: "i-1".into(),
            state: PowerState::Stopped
        }
    );
    assert_eq!(sim.vm_state("h1", "i-1"), Some(PowerState::Stopped));
    sim.set_power_out_of_band("h1", "i-1", true)?;
    assert_eq!(sim.vm_state("h1", "i-1"), Some(PowerState::Running));
    assert!(sim.set_power_out_of_band("h1", "ghost", true).is_err());
    Ok(())
}

#[tokio::test]
async fn hosts_can_be_added_updated_and_removed() -> TestResult {
    let sim = sim_with(&["h1"]);
    run(&sim, "h1", Command::StartVm(vm("i-1", GIB))).await?;
    let mut bigger = SimHostSpec::new("h1", "renamed");
    bigger.capacity.memory_bytes = 64 * GIB;
    sim.add_host(bigger);
    assert_eq!(
        sim.vm_state("h1", "i-1"),
        Some(PowerState::Running),
        "VMs kept"
    );
    let info = sim.host_info("h1").ok_or("h1 gone")?;
    assert_eq!(
        (info.name.as_str(), info.memory_bytes),
        ("renamed", 64 * GIB)
    );
    assert!(info.private_mac.is_some_and(|m| m.starts_with("02:00:")));
    assert!(sim.set_placement("h1", Placement::default()));
    assert!(sim.remove_host("h1"));
    assert!(!sim.remove_host("h1"));
    assert_eq!(
        kind(&run(&sim, "h1", Command::ReadyCheck).await),
        Some(ErrorKind::UnknownHost)
    );
    Ok(())
}

#[tokio::test]
async fn ten_thousand_hosts_in_one_simulator() -> TestResult {
    let sim = Simulator::new();
    for i in 0..10_000 {
        sim.add_host(SimHostSpec::new(format!("g{i}"), format!("h{i}")));
    }
    assert_eq!(sim.host_count(), 10_000);
    let started = Instant::now();
    for i in (0..10_000).step_by(7) {
        let guid = format!("g{i}");
        run(&sim, &guid, Command::ReadyCheck).await?;
        run(&sim, &guid, Command::StartVm(vm("i-1", GIB))).await?;
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.hosts().len(), 10_000);
    Ok(())
}
