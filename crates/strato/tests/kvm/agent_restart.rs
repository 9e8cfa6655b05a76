//! The agent is only the messenger: killing it leaves the guests running, and a restarted
//! agent brings its host back without touching them. What changed while it was away (a
//! guest powered off) is synced when it returns.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{JOB, KvmCloud, domstate, kill, qemu_pid, virsh};

#[tokio::test]
async fn killing_and_restarting_the_agent_leaves_guests_running_and_syncs_what_changed() {
    let Some(mut cloud) = KvmCloud::start().await else {
        return;
    };
    let mut vms = Vec::new();
    for name in ["kvm-keep-1", "kvm-keep-2"] {
        let vm = cloud.deploy(name).await;
        let id = vm["id"].as_str().expect("id").to_string();
        let instance = vm["instancename"]
            .as_str()
            .expect("instancename")
            .to_string();
        cloud.wait_marker(&instance, "STRATO-GUEST-UP", 1).await;
        let pid = qemu_pid(&instance).expect("QEMU pid");
        vms.push((id, instance, pid));
    }

    // kill -9: no goodbye to the server, no chance to touch the guests.
    let argv = std::fs::read(format!("/proc/{}/cmdline", cloud.agent_pid)).expect("cmdline");
    let argv: Vec<String> = argv
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    kill(cloud.agent_pid);
    let host = wait_host(&cloud, |s| s != "Up").await;
    assert!(
        matches!(host.as_str(), "Alert" | "Disconnected"),
        "host is {host}"
    );
    for (_, instance, pid) in &vms {
        assert_eq!(
            domstate(instance),
            "running",
            "{instance} stopped with the agent"
        );
        assert_eq!(qemu_pid(instance), Some(*pid));
    }

    // While no agent watches, the second guest is powered off behind the server's back.
    let (gone_id, gone, _) = vms.pop().expect("two VMs");
    virsh(&["destroy", &gone]);
    assert_eq!(domstate(&gone), "shut off");

    // The same agent again (same state directory: the same host).
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(cloud.agent_log())
        .expect("agent log");
    let agent = Command::new(&argv[0])
        .args(&argv[1..])
        .env("STRATO_AGENT_TOKEN", &cloud.token)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("restart the agent");
    cloud.restarted_agent = Some(agent);
    assert_eq!(wait_host(&cloud, |s| s == "Up").await, "Up");
    let hosts = cloud.admin.ok("listHosts", &[("type", "Routing")]).await;
    assert_eq!(
        hosts["count"], 1,
        "the restarted agent is the same host: {hosts}"
    );

    // Give the driver's state poller time to look (it reports every 2 s).
    tokio::time::sleep(Duration::from_secs(5)).await;
    for (id, instance, pid) in &vms {
        let listed = cloud.admin.ok("listVirtualMachines", &[("id", id)]).await;
        assert_eq!(listed["virtualmachine"][0]["state"], "Running", "{listed}");
        assert_eq!(domstate(instance), "running");
        assert_eq!(qemu_pid(instance), Some(*pid), "{instance} was restarted");
        let boots = cloud
            .console_text(instance)
            .matches("STRATO-GUEST-UP")
            .count();
        assert_eq!(boots, 1, "{instance} booted again");
    }

    // The guest that went away is Stopped now, as it is on the host.
    let deadline = Instant::now() + JOB;
    loop {
        let listed = cloud
            .admin
            .ok("listVirtualMachines", &[("id", &gone_id)])
            .await;
        if listed["virtualmachine"][0]["state"] == "Stopped" {
            break;
        }
        assert!(Instant::now() < deadline, "not synced: {listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The restarted agent drives the guests it found.
    let (id, instance, _) = &vms[0];
    cloud.job("stopVirtualMachine", &[("id", id)]).await;
    assert_eq!(domstate(instance), "shut off");
}

/// Waits until the only host's state passes `done`; returns it.
async fn wait_host(cloud: &KvmCloud, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + JOB;
    loop {
        let hosts = cloud.admin.ok("listHosts", &[("type", "Routing")]).await;
        let state = hosts["host"][0]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if done(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "host stays {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
