//! prepareHostForMaintenance evacuates: running VMs move to the cluster's other hosts by
//! live migration, their capacity with them; when a VM cannot move the host stays out of
//! maintenance (ErrorInMaintenance) and the VM keeps running where it was.

use serde_json::Value;

use crate::common::{Client, TestCloud};
use crate::vms::{deploy, sim_zone};

async fn host(admin: &Client, id: &str) -> Value {
    admin.ok("listHosts", &[("id", id)]).await["host"][0].clone()
}

async fn vm(admin: &Client, id: &str) -> Value {
    admin
        .ok("listVirtualMachines", &[("id", id), ("listall", "true")])
        .await["virtualmachine"][0]
        .clone()
}

#[tokio::test]
async fn maintenance_moves_running_vms_away_or_refuses() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &["", ""]).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let job = deploy(&admin, &z, &[("name", &format!("evac-{i}"))]).await;
        assert_eq!(job["jobstatus"], 1, "{job}");
        ids.push(
            job["jobresult"]["virtualmachine"]["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    // Maintenance on the host of the first VM: every VM ends on the other host.
    let first = vm(&admin, &ids[0]).await;
    let busy = first["hostid"].as_str().expect("host").to_string();
    let job = admin
        .wait_job("prepareHostForMaintenance", &[("id", &busy)])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(job["jobresult"]["host"]["resourcestate"], "Maintenance");
    let mut other = None;
    for id in &ids {
        let v = vm(&admin, id).await;
        assert_eq!(v["state"], "Running", "{v}");
        assert_ne!(v["hostid"], busy.as_str(), "{v}");
        other = v["hostid"].as_str().map(str::to_string);
    }
    let other = other.expect("the other host");
    assert_eq!(host(&admin, &busy).await["memoryallocated"], 0);
    assert_eq!(
        host(&admin, &other).await["memoryallocated"],
        4_i64 * (512 << 20)
    );

    // The other host has nowhere to send its VMs: it refuses and keeps them.
    let job = admin
        .wait_job("prepareHostForMaintenance", &[("id", &other)])
        .await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], 534, "{job}");
    let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
    assert!(text.contains("evac-0"), "names the VMs that stayed: {text}");
    assert_eq!(
        host(&admin, &other).await["resourcestate"],
        "ErrorInMaintenance"
    );
    for id in &ids {
        let v = vm(&admin, id).await;
        assert_eq!(v["state"], "Running", "{v}");
        assert_eq!(v["hostid"], other.as_str(), "{v}");
    }
    assert_eq!(
        host(&admin, &other).await["memoryallocated"],
        4_i64 * (512 << 20)
    );

    // Back from maintenance, the first host takes VMs again.
    for h in [&busy, &other] {
        let job = admin.wait_job("cancelHostMaintenance", &[("id", h)]).await;
        assert_eq!(job["jobstatus"], 1, "{job}");
    }
    let job = admin
        .wait_job("prepareHostForMaintenance", &[("id", &other)])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    for id in &ids {
        assert_eq!(vm(&admin, id).await["hostid"], busy.as_str());
    }
    cloud.stop().await;
}
