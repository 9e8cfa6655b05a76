//! A VM's life through the API, checked on the host: the domain's state in libvirt, the
//! guest's serial markers, the files in the storage pool.

use crate::harness::{KvmCloud, domstate, qemu_pid, virsh};
use crate::host::{has_pattern, write_pattern};

fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[tokio::test]
async fn deploy_stop_start_reboot_volumes_snapshots_and_expunge_drive_real_guests() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let a = &cloud.admin;
    let vm = cloud.deploy("kvm-life").await;
    assert_eq!(vm["state"], "Running", "{vm}");
    let id = str_of(&vm, "id").to_string();
    let name = str_of(&vm, "instancename").to_string();
    assert_eq!(domstate(&name), "running");
    cloud.wait_marker(&name, "STRATO-GUEST-UP", 1).await;

    // Stop: the guest sees the ACPI power button, the domain stays defined, shut off.
    cloud.job("stopVirtualMachine", &[("id", &id)]).await;
    assert_eq!(domstate(&name), "shut off");
    assert!(
        cloud.console_text(&name).contains("STRATO-GUEST-POWEROFF"),
        "no ACPI power-off on the console:\n{}",
        cloud.console_text(&name)
    );
    let listed = a.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["virtualmachine"][0]["state"], "Stopped", "{listed}");

    // Start: a new boot of the same domain.
    std::fs::write(cloud.console(&name), b"").expect("clear the serial log");
    let started = cloud.job("startVirtualMachine", &[("id", &id)]).await;
    assert_eq!(started["virtualmachine"]["state"], "Running", "{started}");
    assert_eq!(domstate(&name), "running");
    cloud.wait_marker(&name, "STRATO-GUEST-UP", 1).await;

    // Reboot: the guest boots again inside the same QEMU process. (Its init reports
    // its disks after starting acpid: a reboot before that goes unheard.)
    cloud.wait_marker(&name, "STRATO-GUEST-DISKS", 1).await;
    let pid = qemu_pid(&name).expect("QEMU pid");
    cloud.job("rebootVirtualMachine", &[("id", &id)]).await;
    cloud.wait_marker(&name, "STRATO-GUEST-UP", 2).await;
    assert_eq!(
        qemu_pid(&name),
        Some(pid),
        "a reboot keeps the QEMU process"
    );
    assert_eq!(domstate(&name), "running");

    // A data volume, hot-plugged into the running guest.
    let offering = a
        .ok(
            "createDiskOffering",
            &[
                ("name", "kvm-1g"),
                ("displaytext", "kvm-1g"),
                ("disksize", "1"),
            ],
        )
        .await["diskoffering"]["id"]
        .as_str()
        .expect("disk offering")
        .to_string();
    let created = cloud
        .job(
            "createVolume",
            &[
                ("name", "kvm-data"),
                ("zoneid", &cloud.zone),
                ("diskofferingid", &offering),
            ],
        )
        .await;
    let vol = str_of(&created["volume"], "id").to_string();
    cloud
        .job("attachVolume", &[("id", &vol), ("virtualmachineid", &id)])
        .await;
    let disks = virsh(&["domblklist", &name]);
    assert!(
        disks.contains(&vol),
        "the running domain has no disk for volume {vol}:\n{disks}"
    );
    // The guest reports its virtio disks on the console whenever they change.
    cloud
        .wait_marker(&name, "STRATO-GUEST-DISKS vda vdb", 1)
        .await;
    let vol_file = cloud.pool_dir().join(&vol);
    assert!(vol_file.is_file(), "{} missing", vol_file.display());

    // Snapshot and revert (CloudStack reverts volumes of stopped VMs): data written
    // after the snapshot is gone after the revert.
    cloud.job("stopVirtualMachine", &[("id", &id)]).await;
    write_pattern(&vol_file, 0x11);
    let snap = cloud.job("createSnapshot", &[("volumeid", &vol)]).await;
    let snap = str_of(&snap["snapshot"], "id").to_string();
    write_pattern(&vol_file, 0x22);
    assert!(has_pattern(&vol_file, 0x22));
    cloud.job("revertSnapshot", &[("id", &snap)]).await;
    assert!(
        has_pattern(&vol_file, 0x11),
        "revertSnapshot did not bring the snapshot's data back"
    );
    // The reverted disk still boots with the VM.
    std::fs::write(cloud.console(&name), b"").expect("clear the serial log");
    cloud.job("startVirtualMachine", &[("id", &id)]).await;
    cloud
        .wait_marker(&name, "STRATO-GUEST-DISKS vda vdb", 1)
        .await;

    // Destroy with expunge: the domain, its console log and the root volume's file go.
    let root = a
        .ok(
            "listVolumes",
            &[("virtualmachineid", &id), ("type", "ROOT")],
        )
        .await["volume"][0]["id"]
        .as_str()
        .expect("root volume")
        .to_string();
    assert!(cloud.pool_dir().join(&root).is_file());
    cloud.job("detachVolume", &[("id", &vol)]).await;
    cloud
        .job("destroyVirtualMachine", &[("id", &id), ("expunge", "true")])
        .await;
    assert_eq!(domstate(&name), "", "the domain is still defined");
    assert!(
        !cloud.pool_dir().join(&root).exists(),
        "the root volume's file is still in the pool"
    );
    assert!(!cloud.console(&name).exists(), "the console log is left");
    let gone = a.ok("listVirtualMachines", &[("id", &id)]).await;
    assert!(gone.get("virtualmachine").is_none(), "{gone}");
    // The detached data volume is the user's until deleted; then its file goes too.
    a.ok("deleteVolume", &[("id", &vol)]).await;
    wait_gone(&vol_file).await;
}

/// The guest's DHCP marker shows the address the server gave its NIC; after expunge the
/// address is free again (a new VM may ask for it).
#[tokio::test]
async fn guest_gets_the_ip_the_server_assigned_and_expunge_releases_it() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let vm = cloud.deploy("kvm-ip").await;
    let name = str_of(&vm, "instancename").to_string();
    let nic = &vm["nic"][0];
    let ip = nic["ipaddress"]
        .as_str()
        .unwrap_or_else(|| panic!("the deploy gave the VM no NIC address: {vm}"))
        .to_string();
    let network = str_of(nic, "networkid").to_string();
    let prefix = prefix_len(str_of(nic, "netmask"));
    let dhcp = cloud.wait_marker(&name, "STRATO-GUEST-DHCP", 1).await;
    assert_eq!(dhcp[0], format!("STRATO-GUEST-DHCP {ip}/{prefix}"));

    cloud
        .job(
            "destroyVirtualMachine",
            &[("id", str_of(&vm, "id")), ("expunge", "true")],
        )
        .await;
    let again = cloud
        .job(
            "deployVirtualMachine",
            &[
                ("zoneid", &cloud.zone),
                ("templateid", &cloud.template),
                ("serviceofferingid", &cloud.offering),
                ("networkids", &network),
                ("ipaddress", &ip),
                ("name", "kvm-ip-again"),
            ],
        )
        .await;
    assert_eq!(again["virtualmachine"]["nic"][0]["ipaddress"], ip.as_str());
}

fn prefix_len(netmask: &str) -> u32 {
    netmask
        .parse::<std::net::Ipv4Addr>()
        .map(|m| u32::from(m).count_ones())
        .unwrap_or_else(|_| panic!("bad netmask {netmask}"))
}

/// Deletions on the host finish after the API answers (deleteVolume is synchronous in
/// the database, the file goes with the host command).
async fn wait_gone(path: &std::path::Path) {
    let deadline = std::time::Instant::now() + crate::harness::JOB;
    while path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} still exists",
            path.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
