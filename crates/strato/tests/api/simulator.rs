//! The Simulator's own commands (configureSimulator and friends) driving failures on
//! simulated hosts, listCapacity over a simulated zone, and the host alerts raised when
//! an agent goes away.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::{sim_cluster, wait_hosts};

async fn add_host(admin: &Client, zone: &str, pod: &str, cluster: &str, url: &str) -> String {
    admin
        .ok(
            "addHost",
            &[
                ("zoneid", zone),
                ("podid", pod),
                ("clusterid", cluster),
                ("hypervisor", "Simulator"),
                ("url", url),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await["host"][0]["id"]
        .as_str()
        .expect("host id")
        .to_string()
}

/// A zone with a Simulator cluster of two default hosts (4 × 8000 MHz, 8 GiB), both Up.
async fn sim_zone(admin: &Client) -> (String, String, String, [String; 2]) {
    let (zone, pod, cluster) = sim_cluster(admin).await;
    let h0 = add_host(admin, &zone, &pod, &cluster, "http://sim/c0/h0").await;
    let h1 = add_host(admin, &zone, &pod, &cluster, "http://sim/c0/h1").await;
    wait_hosts(
        admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        Duration::from_secs(10),
    )
    .await;
    (zone, pod, cluster, [h0, h1])
}

async fn resource_state(admin: &Client, host: &str) -> String {
    admin.ok("listHosts", &[("id", host)]).await["host"][0]["resourcestate"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Runs prepareHostForMaintenance; returns the job's status and the host's new state.
async fn maintain(admin: &Client, host: &str) -> (i64, String) {
    let job = admin
        .wait_job("prepareHostForMaintenance", &[("id", host)])
        .await;
    let status = job["jobstatus"].as_i64().unwrap_or(-1);
    (status, resource_state(admin, host).await)
}

/// The mock record of a configureSimulator/querySimulatorMock answer: CloudStack puts
/// it under the response name `simulatormock` and the literal key `null`.
fn mock_record(r: &crate::common::Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    let record = body["simulatormock"]["null"].clone();
    assert!(record.is_object(), "{}", r.text);
    record
}

#[tokio::test]
async fn configure_simulator_fails_maintenance_until_cleaned_up() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _pod, cluster, [h0, h1]) = sim_zone(&admin).await;

    // MaintainHost fails on h0 only (CloudStack's class name for it is MaintainCommand).
    let r = admin
        .call(
            "configureSimulator",
            &[
                ("name", "MaintainCommand"),
                ("value", "result:fail"),
                ("hostid", &h0),
            ],
        )
        .await;
    let mock = mock_record(&r);
    assert_eq!(mock["name"], "MaintainCommand");
    assert!(mock["id"].is_u64(), "internal numeric id: {mock}");
    assert!(mock["hostid"].is_u64(), "internal numeric host id: {mock}");
    assert!(
        mock.get("count").is_none(),
        "active until cleaned up: {mock}"
    );
    assert!(mock.get("zoneid").is_none(), "{mock}");
    let mock_id = mock["id"].to_string();

    let (status, state) = maintain(&admin, &h0).await;
    assert_eq!(status, 2, "the job fails");
    assert_eq!(state, "ErrorInMaintenance");
    // The other host is not in the mock's scope.
    assert_eq!(maintain(&admin, &h1).await, (1, "Maintenance".to_string()));
    admin
        .wait_job("cancelHostMaintenance", &[("id", &h1)])
        .await;

    // Still there, unlimited; then cleaned up, and the retry succeeds.
    let r = admin.call("querySimulatorMock", &[("id", &mock_id)]).await;
    assert_eq!(mock_record(&r)["name"], "MaintainCommand");
    let done = admin.ok("cleanupSimulatorMock", &[("id", &mock_id)]).await;
    assert_eq!(done["success"], true);
    let e = admin
        .err("querySimulatorMock", &[("id", &mock_id)], 431)
        .await;
    assert!(e.contains("id"), "{e}");
    admin
        .err("cleanupSimulatorMock", &[("id", &mock_id)], 431)
        .await;
    assert_eq!(maintain(&admin, &h0).await, (1, "Maintenance".to_string()));
    admin
        .wait_job("cancelHostMaintenance", &[("id", &h0)])
        .await;

    // A counted mock, by our command name and cluster scope: used once, then spent.
    let r = admin
        .call(
            "configureSimulator",
            &[
                ("name", "MaintainHost"),
                ("value", "wait:10|result:fail"),
                ("clusterid", &cluster),
                ("zoneid", &zone),
                ("count", "1"),
            ],
        )
        .await;
    let counted = mock_record(&r);
    assert_eq!(counted["count"], 1);
    assert!(counted["clusterid"].is_u64() && counted["zoneid"].is_u64());
    let counted_id = counted["id"].to_string();
    assert_ne!(counted_id, mock_id);
    assert_eq!(maintain(&admin, &h1).await.1, "ErrorInMaintenance");
    let r = admin
        .call("querySimulatorMock", &[("id", &counted_id)])
        .await;
    assert_eq!(mock_record(&r)["count"], 0, "decremented per command");
    assert_eq!(maintain(&admin, &h1).await.1, "Maintenance");

    // Configuring the same name and scope again updates the mock in place.
    let r = admin
        .call(
            "configureSimulator",
            &[
                ("name", "MaintainHost"),
                ("value", "result:fault"),
                ("clusterid", &cluster),
                ("zoneid", &zone),
                ("count", "3"),
            ],
        )
        .await;
    let again = mock_record(&r);
    assert_eq!(again["id"].to_string(), counted_id);
    assert_eq!(again["count"], 3);

    // A canned CloudStack answer: a failure works for any command.
    let r = admin
        .call(
            "configureSimulator",
            &[
                ("name", "StartCommand"),
                ("value", "wait:0"),
                (
                    "jsonresponse",
                    r#"{"com.cloud.agent.api.StartAnswer":{"result":false,"details":"no room"}}"#,
                ),
            ],
        )
        .await;
    mock_record(&r);
    cloud.stop().await;
}

#[tokio::test]
async fn simulator_commands_refuse_bad_input_and_non_admins() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let missing = "5b1c2a4e-0000-4000-8000-000000000000";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("value", "result:fail")], "name"),
        (vec![("name", "StopCommand")], "value"),
        (
            vec![("name", "StopCommand"), ("value", "result:maybe")],
            "value",
        ),
        (
            vec![("name", "StopCommand"), ("value", "wait:soon")],
            "value",
        ),
        (
            vec![("name", "StopCommand"), ("value", "colour:red")],
            "value",
        ),
        (
            vec![
                ("name", "StopCommand"),
                ("value", "result:fail"),
                ("hostid", missing),
            ],
            "hostid",
        ),
        (
            vec![
                ("name", "StopCommand"),
                ("value", "result:fail"),
                ("zoneid", "zone-1"),
            ],
            "zoneid",
        ),
        (
            vec![
                ("name", "StopCommand"),
                ("value", "result:fail"),
                ("count", "-1"),
            ],
            "count",
        ),
        (
            vec![
                ("name", "StopCommand"),
                ("value", "result:fail"),
                ("count", "many"),
            ],
            "count",
        ),
        (
            vec![
                ("name", "StopCommand"),
                ("value", "wait:0"),
                ("jsonresponse", "{not json"),
            ],
            "jsonresponse",
        ),
        // A successful CloudStack answer cannot stand in for a command whose answer
        // carries data (StartVm answers with the VM): refused rather than ignored.
        (
            vec![
                ("name", "StartCommand"),
                ("value", "wait:0"),
                (
                    "jsonresponse",
                    r#"{"com.cloud.agent.api.StartAnswer":{"result":true}}"#,
                ),
            ],
            "jsonresponse",
        ),
    ];
    for (params, param) in cases {
        let e = admin.err("configureSimulator", &params, 431).await;
        assert!(e.contains(param), "{params:?}: {e}");
    }
    let long = "x".repeat(4097);
    let e = admin
        .err(
            "configureSimulator",
            &[
                ("name", "StopCommand"),
                ("value", "wait:0"),
                ("jsonresponse", &long),
            ],
            431,
        )
        .await;
    assert!(e.contains("jsonresponse"), "{e}");
    for cmd in ["querySimulatorMock", "cleanupSimulatorMock"] {
        let e = admin.err(cmd, &[], 431).await;
        assert!(e.contains("id"), "{cmd}: {e}");
        let e = admin.err(cmd, &[("id", "abc")], 431).await;
        assert!(e.contains("id"), "{cmd}: {e}");
        admin.err(cmd, &[("id", "-4")], 431).await;
    }

    // Root admins only: a plain user and a domain admin get 432.
    let (user, _) = new_account(&admin, "simuser", None, "0").await;
    let (domain_admin, _) = new_account(&admin, "simdadmin", None, "2").await;
    for who in [&user, &domain_admin] {
        for (cmd, params) in [
            (
                "configureSimulator",
                vec![("name", "StopCommand"), ("value", "result:fail")],
            ),
            ("querySimulatorMock", vec![("id", "1")]),
            ("cleanupSimulatorMock", vec![("id", "1")]),
            ("listCapacity", vec![]),
            ("listAlerts", vec![]),
            ("archiveAlerts", vec![("type", "7")]),
            ("deleteAlerts", vec![("type", "7")]),
        ] {
            who.err(cmd, &params, 432).await;
        }
    }
    cloud.stop().await;
}

/// The capacities of a listCapacity answer, by type.
fn by_type(list: &Value) -> std::collections::BTreeMap<i64, Value> {
    list["capacity"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c["type"].as_i64().expect("type"), c))
        .collect()
}

const GIB: i64 = 1 << 30;

#[tokio::test]
async fn list_capacity_sums_a_simulated_zone() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, pod, cluster, [h0, _h1]) = sim_zone(&admin).await;
    let pool_bytes = 100 * GIB;
    let pool_size = pool_bytes.to_string();
    admin
        .ok(
            "createStoragePool",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clusterid", &cluster),
                ("name", "PS0"),
                ("url", "nfs://10.147.28.6:/export/home/sandbox/primary0"),
                ("capacitybytes", &pool_size),
            ],
        )
        .await;

    let list = admin.ok("listCapacity", &[("zoneid", &zone)]).await;
    let caps = by_type(&list);
    assert_eq!(list["count"].as_u64(), Some(caps.len() as u64), "{list}");
    let want_types = [0, 1, 2, 3, 5, 6, 90];
    assert_eq!(
        caps.keys().copied().collect::<Vec<_>>(),
        want_types,
        "{list}"
    );
    let cpu = &caps[&1];
    assert_eq!(cpu["name"], "CPU");
    assert_eq!(cpu["capacitytotal"], 2 * 4 * 8000);
    assert_eq!(cpu["capacityused"], 0);
    assert_eq!(cpu["capacityallocated"], 0);
    assert_eq!(cpu["percentused"], "0");
    assert_eq!(cpu["zoneid"].as_str(), Some(zone.as_str()));
    assert_eq!(cpu["zonename"], "Sandbox-simulator");
    assert!(cpu.get("podid").is_none() && cpu.get("clusterid").is_none());
    assert_eq!(caps[&0]["name"], "MEMORY");
    assert_eq!(caps[&0]["capacitytotal"], 2 * 8 * GIB);
    assert_eq!(caps[&90]["name"], "CPU_CORE");
    assert_eq!(caps[&90]["capacitytotal"], 8);
    assert_eq!(caps[&2]["name"], "STORAGE");
    assert_eq!(caps[&2]["capacitytotal"], pool_bytes);
    assert_eq!(caps[&3]["name"], "STORAGE_ALLOCATED");
    assert_eq!(
        caps[&3]["capacitytotal"],
        2 * pool_bytes,
        "storage.overprovisioning.factor defaults to 2"
    );
    assert_eq!(caps[&5]["name"], "PRIVATE_IP");
    assert_eq!(caps[&5]["capacitytotal"], 199, "172.16.15.2-200");
    assert_eq!(caps[&6]["name"], "SECONDARY_STORAGE");
    assert_eq!(caps[&6]["capacitytotal"], 0);
    for c in caps.values() {
        assert!(c["percentused"].is_string(), "{c}");
    }

    // Overprovisioning factors are applied as soon as they change.
    for (name, value) in [
        ("cpu.overprovisioning.factor", "2.5"),
        ("mem.overprovisioning.factor", "1.5"),
    ] {
        admin
            .ok("updateConfiguration", &[("name", name), ("value", value)])
            .await;
    }
    let caps = by_type(&admin.ok("listCapacity", &[("zoneid", &zone)]).await);
    assert_eq!(caps[&1]["capacitytotal"], 160_000);
    assert_eq!(caps[&0]["capacitytotal"], 24 * GIB);
    assert_eq!(
        caps[&90]["capacitytotal"], 8,
        "cores are not overprovisioned"
    );

    // One type; one cluster (its pod shown, no zone-only secondary storage).
    let only = admin
        .ok("listCapacity", &[("zoneid", &zone), ("type", "1")])
        .await;
    assert_eq!(only["count"], 1, "{only}");
    let in_cluster = by_type(&admin.ok("listCapacity", &[("clusterid", &cluster)]).await);
    assert_eq!(
        in_cluster.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 3, 90]
    );
    assert_eq!(in_cluster[&1]["clusterid"].as_str(), Some(cluster.as_str()));
    assert_eq!(in_cluster[&1]["clustername"], "C0");
    assert_eq!(in_cluster[&1]["podid"].as_str(), Some(pod.as_str()));
    assert!(in_cluster[&1].get("capacityallocated").is_none());
    let in_pod = by_type(&admin.ok("listCapacity", &[("podid", &pod)]).await);
    assert_eq!(in_pod[&5]["capacitytotal"], 199);
    assert_eq!(in_pod[&5]["podname"], "POD0");

    // Without a zone: every zone (an empty second zone still shows its storage).
    admin
        .ok(
            "createZone",
            &[
                ("name", "Empty"),
                ("networktype", "Advanced"),
                ("dns1", "8.8.8.8"),
                ("internaldns1", "8.8.8.8"),
            ],
        )
        .await;
    let all = admin.ok("listCapacity", &[]).await;
    let zones: Vec<&str> = all["capacity"]
        .as_array()
        .expect("capacities")
        .iter()
        .filter_map(|c| c["zonename"].as_str())
        .collect();
    assert_eq!(zones.first(), Some(&"Empty"), "sorted by zone name: {all}");
    assert_eq!(zones.iter().filter(|z| **z == "Empty").count(), 2, "{all}");

    // Only Up and Enabled hosts count.
    admin
        .wait_job("prepareHostForMaintenance", &[("id", &h0)])
        .await;
    let caps = by_type(&admin.ok("listCapacity", &[("zoneid", &zone)]).await);
    assert_eq!(caps[&1]["capacitytotal"], 80_000);
    assert_eq!(caps[&90]["capacitytotal"], 4);

    // sortby=usage, and bad input.
    let top = admin.ok("listCapacity", &[("sortby", "usage")]).await;
    assert!(top["count"].as_u64().is_some_and(|n| n > 0), "{top}");
    let e = admin.err("listCapacity", &[("sortby", "size")], 431).await;
    assert!(e.contains("sortby"), "{e}");
    let e = admin
        .err(
            "listCapacity",
            &[("sortby", "usage"), ("clusterid", &cluster)],
            431,
        )
        .await;
    assert!(e.contains("clusterid"), "{e}");
    let e = admin
        .err(
            "listCapacity",
            &[("zoneid", "5b1c2a4e-0000-4000-8000-000000000000")],
            431,
        )
        .await;
    assert!(e.contains("zoneid"), "{e}");
    let e = admin.err("listCapacity", &[("type", "cpu")], 431).await;
    assert!(e.contains("type"), "{e}");
    cloud.stop().await;
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn hosts_that_lose_their_agent_raise_alerts() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    for (name, value) in [("ping.interval", "1"), ("ping.timeout", "2")] {
        admin
            .ok("updateConfiguration", &[("name", name), ("value", value)])
            .await;
    }
    let (_, _, cluster) = sim_cluster(&admin).await;
    let server = cloud.server.as_ref().expect("running");
    let port = server.agent_addr.expect("agent port").port();
    let token = server.engine.agents.token();
    let state = tempfile::tempdir().expect("state dir");
    assert_eq!(
        admin.call("listAlerts", &[]).await.text,
        r#"{"listalertsresponse":{}}"#
    );

    let agent = Agent(
        Command::new(env!("CARGO_BIN_EXE_strato"))
            .args(["agent", "--driver", "simulator", "--hosts", "2"])
            .args(["--server", &format!("127.0.0.1:{port}")])
            .args(["--token", &token, "--cluster-id", &cluster])
            .arg("--state-dir")
            .arg(state.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn strato agent"),
    );
    let hosts = wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Up",
        2,
        Duration::from_secs(20),
    )
    .await;
    // kill -9: each host goes Alert at once, then Down after the ping timeout.
    drop(agent);
    wait_hosts(
        &admin,
        &[("clusterid", &cluster)],
        "Down",
        2,
        Duration::from_secs(15),
    )
    .await;

    let list = admin.ok("listAlerts", &[]).await;
    assert_eq!(
        list["count"], 4,
        "an Alert and a Down alert per host: {list}"
    );
    let alerts = list["alert"].as_array().cloned().unwrap_or_default();
    for a in &alerts {
        assert_eq!(a["type"], 7, "{a}");
        assert_eq!(a["name"], "ALERT.COMPUTE.HOST");
        assert!(a["sent"].as_str().is_some_and(|s| s.contains('T')), "{a}");
        assert!(a["id"].is_string());
    }
    for h in &hosts {
        let name = h["name"].as_str().expect("host name");
        let about: Vec<&Value> = alerts
            .iter()
            .filter(|a| a["description"].as_str().is_some_and(|d| d.contains(name)))
            .collect();
        assert_eq!(about.len(), 2, "{name}: {alerts:?}");
    }
    // Most recent first: the Down alerts come before the Alert ones.
    assert!(
        alerts[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("Down")),
        "{alerts:?}"
    );

    // Filters and paging.
    let down = admin.ok("listAlerts", &[("keyword", "down")]).await;
    assert_eq!(down["count"], 2);
    let typed = admin
        .ok(
            "listAlerts",
            &[("type", "7"), ("name", "ALERT.COMPUTE.HOST")],
        )
        .await;
    assert_eq!(typed["count"], 4);
    assert_eq!(
        admin.call("listAlerts", &[("type", "8")]).await.inner(),
        serde_json::json!({})
    );
    let page = admin
        .ok("listAlerts", &[("page", "2"), ("pagesize", "3")])
        .await;
    assert_eq!(page["count"], 4);
    assert_eq!(page["alert"].as_array().map(Vec::len), Some(1));
    let first = alerts[0]["id"].as_str().expect("id").to_string();
    let one = admin.ok("listAlerts", &[("id", &first)]).await;
    assert_eq!(one["count"], 1);

    // Bad input.
    let e = admin.err("listAlerts", &[("type", "host")], 431).await;
    assert!(e.contains("type"), "{e}");
    let e = admin.err("archiveAlerts", &[], 431).await;
    assert!(e.contains("ids"), "{e}");
    let e = admin
        .err("archiveAlerts", &[("startdate", "2020-01-01")], 431)
        .await;
    assert!(e.contains("enddate"), "{e}");
    let e = admin
        .err(
            "deleteAlerts",
            &[("ids", "5b1c2a4e-0000-4000-8000-000000000000")],
            431,
        )
        .await;
    assert!(e.contains("ids"), "{e}");
    let e = admin
        .err("archiveAlerts", &[("enddate", "yesterday")], 431)
        .await;
    assert!(e.contains("enddate"), "{e}");

    // Archive one: it leaves the list but is kept; then delete the rest by type.
    let ok = admin.ok("archiveAlerts", &[("ids", &first)]).await;
    assert_eq!(ok["success"], true);
    assert_eq!(admin.ok("listAlerts", &[]).await["count"], 3);
    // Archiving by a date range that ends in the past touches nothing.
    admin
        .ok(
            "archiveAlerts",
            &[("startdate", "2000-01-01"), ("enddate", "2000-12-31")],
        )
        .await;
    assert_eq!(admin.ok("listAlerts", &[]).await["count"], 3);
    admin.ok("deleteAlerts", &[("type", "7")]).await;
    assert_eq!(
        admin.call("listAlerts", &[]).await.text,
        r#"{"listalertsresponse":{}}"#
    );
    // The archived one was deleted too (deleteAlerts covers archived alerts).
    admin.err("archiveAlerts", &[("ids", &first)], 431).await;
    cloud.stop().await;
}
