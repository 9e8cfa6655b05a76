//! Real guests through libvirt (TCG on machines whose /dev/kvm cannot boot stock
//! kernels): boots the small template from scripts/build-small-template.sh, waits for its
//! marker on the serial log, hot-plugs a disk and an ISO, stops it with ACPI, and sees a
//! guest destroyed behind the driver's back reported as an event. Also the trial boot
//! behind the KVM/TCG decision.
//!
//! Needs libvirtd (qemu:///system), QEMU and qemu-img: scripts/setup-kvm-host.sh. Without
//! them the tests skip, or fail with STRATO_REQUIRE_KVM=1. Set STRATO_TEST_TEMPLATE to a
//! built template to skip building one (otherwise it is built once into the target dir).
#![cfg(feature = "kvm")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Cleanup, call, clone_template, has_tool, mount_pool, prerequisites, require, run, scratch,
    small_vm, template, test_config, wait_for,
};
use strato_agent_proto::{
    AnswerData, Command, ErrorKind, HostEvent, HypervisorDriver, IsoRef, Isolation, NetworkSpec,
    NicSpec, PowerState, VolumeRef,
};
use strato_hypervisor_kvm::KvmDriver;
use strato_hypervisor_kvm::accel::{self, Accel, AccelChoice, PROBE_MARKER};

fn domblklist(name: &str) -> String {
    run("virsh", &["-q", "-c", "qemu:///system", "domblklist", name])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boots_the_small_template_and_manages_its_life() {
    if !prerequisites() {
        return;
    }
    let (tpl, work, suffix) = scratch();
    let suffix = suffix.as_str();
    let vm_name = format!("strato-test-{suffix}");
    let bridge = format!("stt{suffix}");
    let _cleanup = Cleanup {
        domains: vec![vm_name.clone()],
        links: vec![bridge.clone()],
        netns: vec![],
        routers: None,
    };
    let guid = format!("kvm-test-{suffix}");
    let config = test_config(&guid, work.path(), &tpl);
    let driver = KvmDriver::new(config).await.expect("driver");
    eprintln!(
        "accelerator: {} ({})",
        driver.accel().as_str(),
        driver.accel_reason()
    );
    let info = driver.host_info(&guid).expect("host info");
    assert_eq!(info.hypervisor.as_str(), "KVM");
    assert!(info.cpus >= 1 && info.memory_bytes > 0 && info.local_storage_bytes > 0);
    assert!(
        info.capabilities.iter().any(|c| c.starts_with("accel:")),
        "{:?}",
        info.capabilities
    );
    let mut events = driver.subscribe();

    // Storage: a pool, a root clone of the template, a data volume.
    let pool_dir = work.path().join("pool");
    mount_pool(&driver, &guid, "pool-1", &pool_dir).await;
    let root = VolumeRef {
        pool_uuid: "pool-1".into(),
        volume_uuid: format!("root-{suffix}"),
    };
    let data = VolumeRef {
        pool_uuid: "pool-1".into(),
        volume_uuid: format!("data-{suffix}"),
    };
    clone_template(&driver, &guid, &root, &tpl, 1 << 30).await;
    call(
        &driver,
        &guid,
        Command::CreateVolume {
            pool_uuid: data.pool_uuid.clone(),
            volume_uuid: data.volume_uuid.clone(),
            size_bytes: 64 << 20,
            template: None,
            provisioning: None,
        },
    )
    .await;

    // Start: marker on the serial console.
    let mut spec = small_vm(
        &vm_name,
        &root,
        NicSpec {
            device_id: 0,
            mac: "52:54:00:5a:00:01".into(),
            ip: None,
            netmask: None,
            gateway: None,
            network: NetworkSpec {
                isolation: Isolation::Untagged,
                bridge: Some(bridge.clone()),
                physical_interface: None,
                mtu: None,
                dhcp: None,
            },
            default: true,
        },
    );
    spec.vnc_password = Some("s3cr3tpw".into());
    let log = driver.console_log(&vm_name);
    let started = Instant::now();
    let AnswerData::Vm(vm) = call(&driver, &guid, Command::StartVm(spec.clone())).await else {
        panic!("StartVm answers a VM");
    };
    let define_and_start = started.elapsed();
    assert_eq!(vm.state, PowerState::Running);
    assert!(vm.vnc_port.is_some_and(|p| p >= 5900), "{vm:?}");
    let to_marker = wait_for(&log, PROBE_MARKER, Duration::from_secs(90))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no {PROBE_MARKER} on the console within 90 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    eprintln!(
        "StartVm returned in {:.2} s; marker after {:.2} s ({} under {})",
        define_and_start.as_secs_f64(),
        (define_and_start + to_marker).as_secs_f64(),
        vm_name,
        driver.accel().as_str()
    );
    assert!(
        std::path::Path::new("/sys/class/net")
            .join(&bridge)
            .exists(),
        "the NIC's bridge was created"
    );
    // Idempotent: the running VM is answered as is; the same name under another uuid
    // is refused.
    let AnswerData::Vm(again) = call(&driver, &guid, Command::StartVm(spec.clone())).await else {
        panic!("StartVm answers a VM");
    };
    assert_eq!(again.vnc_port, vm.vnc_port);
    let mut other = spec.clone();
    other.uuid = uuid::Uuid::new_v4().to_string();
    let refused = driver.handle(&guid, Command::StartVm(other)).await;
    assert_eq!(
        refused.map_err(|e| e.kind).err(),
        Some(ErrorKind::InvalidState)
    );

    let AnswerData::VmStates { vms } = call(
        &driver,
        &guid,
        Command::GetVmState {
            names: vec![vm_name.clone(), "nope".into()],
        },
    )
    .await
    else {
        panic!("VmStates");
    };
    assert_eq!(vms[0].state, PowerState::Running);
    assert_eq!(vms[0].uuid, spec.uuid);
    assert_eq!(vms[1].state, PowerState::Missing);
    call(&driver, &guid, Command::GetVmStats { names: vec![] }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let AnswerData::VmStats { vms: stats } = call(
        &driver,
        &guid,
        Command::GetVmStats {
            names: vec![vm_name.clone()],
        },
    )
    .await
    else {
        panic!("VmStats");
    };
    eprintln!("stats: {:?}", stats[0]);
    assert!(stats[0].memory_bytes > 0);
    assert!(
        stats[0].disk_read_bytes > 0,
        "the guest booted from its disk"
    );
    let AnswerData::HostStats(host) = call(&driver, &guid, Command::GetHostStats).await else {
        panic!("HostStats");
    };
    assert!(host.running_vms >= 1);

    // Hot-plug a data disk and an ISO, then take them out again.
    call(
        &driver,
        &guid,
        Command::AttachVolume {
            vm_name: vm_name.clone(),
            volume: data.clone(),
            device_id: 1,
        },
    )
    .await;
    let data_path = driver
        .volume_path(&data)
        .expect("path")
        .display()
        .to_string();
    assert!(
        domblklist(&vm_name).contains(&data_path),
        "{}",
        domblklist(&vm_name)
    );
    // The guest sees it (the template reports its set of virtio disks).
    assert!(
        wait_for(&log, "STRATO-GUEST-DISKS vda vdb", Duration::from_secs(60))
            .await
            .is_some(),
        "the guest never saw vdb: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // Deleting or snapshotting a volume a running VM holds is refused.
    let busy = driver
        .handle(
            &guid,
            Command::DeleteVolume {
                volume: data.clone(),
            },
        )
        .await;
    assert_eq!(
        busy.map_err(|e| e.kind).err(),
        Some(ErrorKind::InvalidState)
    );
    // A live resize grows it.
    let AnswerData::Volume(grown) = call(
        &driver,
        &guid,
        Command::ResizeVolume {
            volume: data.clone(),
            new_size_bytes: 128 << 20,
            shrink_ok: false,
        },
    )
    .await
    else {
        panic!("Volume");
    };
    assert_eq!(grown.size_bytes, 128 << 20);
    // A live snapshot of the running root disk: the VM is back on its own file after.
    let root_path = driver.volume_path(&root).expect("path");
    let started = Instant::now();
    let AnswerData::Snapshot(live_snap) = call(
        &driver,
        &guid,
        Command::CreateSnapshot {
            volume: root.clone(),
            snapshot_uuid: "live-1".into(),
        },
    )
    .await
    else {
        panic!("Snapshot");
    };
    eprintln!(
        "live snapshot took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert!(pool_dir.join(&live_snap.path).exists(), "{live_snap:?}");
    let blk = domblklist(&vm_name);
    assert!(blk.contains(&root_path.display().to_string()), "{blk}");
    assert!(!blk.contains(".live-"), "{blk}");
    let inactive = run(
        "virsh",
        &[
            "-q",
            "-c",
            "qemu:///system",
            "dumpxml",
            "--inactive",
            &vm_name,
        ],
    );
    assert!(
        inactive.contains(&root_path.display().to_string()),
        "{inactive}"
    );
    assert!(!inactive.contains(".live-"), "{inactive}");
    let again = call(
        &driver,
        &guid,
        Command::CreateSnapshot {
            volume: root.clone(),
            snapshot_uuid: "live-1".into(),
        },
    )
    .await;
    assert_eq!(again, AnswerData::Snapshot(live_snap.clone()));
    let revert_running = driver
        .handle(
            &guid,
            Command::RevertSnapshot {
                volume: root.clone(),
                snapshot_uuid: "live-1".into(),
            },
        )
        .await;
    assert_eq!(
        revert_running.map_err(|e| e.kind).err(),
        Some(ErrorKind::InvalidState)
    );

    let iso_dir = work.path().join("iso");
    std::fs::create_dir_all(&iso_dir).expect("mkdir");
    let iso = iso_dir.join("tools.iso");
    std::fs::write(&iso, vec![0u8; 1 << 20]).expect("iso");
    call(
        &driver,
        &guid,
        Command::AttachIso {
            vm_name: vm_name.clone(),
            iso: IsoRef {
                uuid: "iso-1".into(),
                path: iso.display().to_string(),
            },
        },
    )
    .await;
    assert!(domblklist(&vm_name).contains("tools.iso"));
    let not_allowed = driver
        .handle(
            &guid,
            Command::AttachIso {
                vm_name: vm_name.clone(),
                iso: IsoRef {
                    uuid: "shadow".into(),
                    path: "/etc/shadow".into(),
                },
            },
        )
        .await;
    assert_eq!(
        not_allowed.map_err(|e| e.kind).err(),
        Some(ErrorKind::InvalidArgument)
    );
    call(
        &driver,
        &guid,
        Command::DetachIso {
            vm_name: vm_name.clone(),
        },
    )
    .await;
    assert!(!domblklist(&vm_name).contains("tools.iso"));
    call(
        &driver,
        &guid,
        Command::DetachVolume {
            vm_name: vm_name.clone(),
            volume: data.clone(),
        },
    )
    .await;
    // ... and sees it go: a plain `vda` set after the last `vda vdb`.
    let unplugged = |log: &str| {
        log.rsplit_once("STRATO-GUEST-DISKS vda vdb")
            .is_some_and(|(_, after)| {
                after
                    .lines()
                    .any(|l| l.trim_end().ends_with("STRATO-GUEST-DISKS vda"))
            })
    };
    let started = Instant::now();
    while !unplugged(&std::fs::read_to_string(&log).unwrap_or_default())
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        unplugged(&std::fs::read_to_string(&log).unwrap_or_default()),
        "the guest never reported vdb gone: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // Reboot: the guest comes up a second time in the same QEMU (the log goes on).
    let started = Instant::now();
    call(
        &driver,
        &guid,
        Command::RebootVm {
            name: vm_name.clone(),
        },
    )
    .await;
    let mut rebooted = false;
    while started.elapsed() < Duration::from_secs(90) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.matches(PROBE_MARKER).count() >= 2 {
            rebooted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(rebooted, "no second {PROBE_MARKER} after RebootVm");
    eprintln!(
        "RebootVm: up again after {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let quiet = tokio::time::timeout(Duration::from_secs(1), events.recv()).await;
    assert!(quiet.is_err(), "our own reboot is no event: {quiet:?}");

    // Stop: ACPI power button, the guest powers itself off.
    let started = Instant::now();
    call(
        &driver,
        &guid,
        Command::StopVm {
            name: vm_name.clone(),
            force: false,
        },
    )
    .await;
    eprintln!(
        "StopVm (ACPI) took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the guest powered itself off (no destroy after the 30 s timeout)"
    );
    assert!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("STRATO-GUEST-POWEROFF")
            .count()
            >= 2,
        "the guest saw the power button (once for the reboot, once for the stop)"
    );
    let AnswerData::VmStates { vms } = call(
        &driver,
        &guid,
        Command::GetVmState {
            names: vec![vm_name.clone()],
        },
    )
    .await
    else {
        panic!("VmStates");
    };
    assert_eq!(vms[0].state, PowerState::Stopped);
    call(
        &driver,
        &guid,
        Command::StopVm {
            name: vm_name.clone(),
            force: false,
        },
    )
    .await;
    // Offline now: snapshot and revert work.
    call(
        &driver,
        &guid,
        Command::CreateSnapshot {
            volume: root.clone(),
            snapshot_uuid: "snap-1".into(),
        },
    )
    .await;
    call(
        &driver,
        &guid,
        Command::RevertSnapshot {
            volume: root.clone(),
            snapshot_uuid: "snap-1".into(),
        },
    )
    .await;

    // The live snapshot boots.
    call(
        &driver,
        &guid,
        Command::RevertSnapshot {
            volume: root.clone(),
            snapshot_uuid: "live-1".into(),
        },
    )
    .await;
    call(
        &driver,
        &guid,
        Command::DeleteSnapshot {
            volume: root.clone(),
            snapshot_uuid: "snap-1".into(),
        },
    )
    .await;

    // A guest killed behind the driver's back is reported.
    call(&driver, &guid, Command::StartVm(spec.clone())).await;
    wait_for(&log, PROBE_MARKER, Duration::from_secs(90))
        .await
        .expect("the VM boots from the reverted live snapshot");
    while events.try_recv().is_ok() {}
    run(
        "virsh",
        &["-q", "-c", "qemu:///system", "destroy", &vm_name],
    );
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("event");
    assert_eq!(event.host_guid, guid);
    assert_eq!(
        event.event,
        HostEvent::VmPowerChanged {
            vm_name: vm_name.clone(),
            state: PowerState::Stopped
        }
    );

    // Destroy: gone, and again succeeds; then the volumes go.
    call(
        &driver,
        &guid,
        Command::DestroyVm {
            name: vm_name.clone(),
        },
    )
    .await;
    call(
        &driver,
        &guid,
        Command::DestroyVm {
            name: vm_name.clone(),
        },
    )
    .await;
    let AnswerData::VmStates { vms } = call(
        &driver,
        &guid,
        Command::GetVmState {
            names: vec![vm_name.clone()],
        },
    )
    .await
    else {
        panic!("VmStates");
    };
    assert_eq!(vms[0].state, PowerState::Missing);
    call(
        &driver,
        &guid,
        Command::DeleteVolume {
            volume: root.clone(),
        },
    )
    .await;
    call(
        &driver,
        &guid,
        Command::DeleteVolume {
            volume: data.clone(),
        },
    )
    .await;
    call(
        &driver,
        &guid,
        Command::DeleteStoragePool {
            pool_uuid: "pool-1".into(),
        },
    )
    .await;
    assert!(!driver.volume_path(&root).is_ok_and(|p| p.exists()));
}

#[tokio::test]
async fn the_trial_boot_tells_tcg_from_a_kvm_that_cannot_boot() {
    if !require(
        "qemu-system-x86_64",
        has_tool("qemu-system-x86_64") && has_tool("qemu-img"),
    ) {
        return;
    }
    let tpl = template();
    let qemu = Path::new(accel::QEMU_SYSTEM);
    let tcg = accel::trial_boot(qemu, &tpl, Accel::Tcg, Duration::from_secs(60)).await;
    let took = tcg.expect("TCG boots the probe image");
    eprintln!(
        "trial boot under TCG reached userspace in {:.2} s",
        took.as_secs_f64()
    );
    let cpu = strato_hypervisor_kvm::host::cpu_facts().expect("cpuinfo");
    let signals = accel::KvmSignals::read(&cpu);
    if signals.pvm && !signals.virt_extensions {
        // This machine's /dev/kvm is PVM: a stock kernel never reaches userspace.
        let kvm = accel::trial_boot(qemu, &tpl, Accel::Kvm, Duration::from_secs(8)).await;
        eprintln!("trial boot under KVM: {kvm:?}");
        assert!(kvm.is_err(), "PVM cannot boot the stock kernel");
        let decision = accel::decide(AccelChoice::Auto, signals, Some(&tpl)).await;
        assert_eq!(decision.accel, Accel::Tcg, "{}", decision.reason);
    }
}
