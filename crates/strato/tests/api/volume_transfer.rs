//! Volume image transfers: uploadVolume (from a URL), getUploadParamsForVolume (a
//! browser POST) and extractVolume. Simulator zones check URLs but never fetch them; a
//! zone without clusters has a real directory image store, filled from an HTTP server on
//! a test host of our own, and extract URLs serve its bytes.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use strato_engine::volumes::attach::{AttachParams, AttachVolume};
use strato_saga::testing;
use strato_schema::sql::{Bind, Sql};
use strato_test_host::{NetnsHost, make_qcow2};

use crate::common::{Client, TestCloud, new_account};
use crate::templates::{allow, files, multipart, post_upload, real_zone, sha256_hex};
use crate::vms::{SimZone, sim_zone};
use crate::volumes::{disk_offering, done, running_vm};

const GIB: f64 = (1u64 << 30) as f64;

/// A zone with a real directory image store, enabled for tenants.
async fn store_zone(admin: &Client, name: &str, store: &Path) -> String {
    let zone = real_zone(admin, name, store).await;
    admin
        .ok(
            "updateZone",
            &[("id", &zone), ("allocationstate", "Enabled")],
        )
        .await;
    zone
}

/// The volume as its owner lists it.
async fn listed(client: &Client, id: &str) -> Value {
    let r = client.ok("listVolumes", &[("id", id)]).await;
    assert_eq!(r["count"], 1, "{r}");
    r["volume"][0].clone()
}

/// Polls until the volume leaves the upload's busy states; returns it and every status
/// seen on the way.
async fn settle(client: &Client, id: &str) -> (Value, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let v = listed(client, id).await;
        let status = v["status"].as_str().unwrap_or_default().to_string();
        if seen.last() != Some(&status) {
            seen.push(status);
        }
        if !matches!(
            v["state"].as_str(),
            Some("UploadOp" | "NotUploaded" | "UploadInProgress")
        ) {
            return (v, seen);
        }
        assert!(Instant::now() < deadline, "{id} still busy: {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload(
    client: &Client,
    zone: &str,
    name: &str,
    url: &str,
    extra: &[(&str, &str)],
) -> Value {
    let mut p = vec![
        ("name", name),
        ("zoneid", zone),
        ("format", "QCOW2"),
        ("url", url),
    ];
    p.extend_from_slice(extra);
    done(&client.wait_job("uploadVolume", &p).await, "volume")
}

/// (volume count, primary GiB, secondary GiB) of the caller's account, as listed.
async fn usage(client: &Client) -> (i64, f64, f64) {
    let a = client.ok("listAccounts", &[]).await["account"][0].clone();
    let num = |k: &str| {
        a[k].as_f64()
            .or_else(|| a[k].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| panic!("{k} in {a}"))
    };
    (
        num("volumetotal") as i64,
        num("primarystoragetotal"),
        num("secondarystoragetotal"),
    )
}

/// The response fields of a command in CloudStack's catalog.
fn catalog_fields(command: &str) -> BTreeSet<String> {
    crate::conformance::catalog()[command]["response"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f.as_str().expect("field").to_string())
        .collect()
}

/// extractVolume of volume `id` in `zone`: the final job answer.
async fn extract(client: &Client, id: &str, zone: &str) -> Value {
    client
        .wait_job(
            "extractVolume",
            &[("id", id), ("mode", "HTTP_DOWNLOAD"), ("zoneid", zone)],
        )
        .await
}

fn failed(job: &Value, code: i64) -> String {
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert_eq!(job["jobresult"]["errorcode"], code, "{job}");
    job["jobresult"]["errortext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_url_upload_in_a_simulator_zone_becomes_uploaded_then_ready_on_attach() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let before = usage(&user).await;

    // Never fetched: a Simulator zone's store is simulated.
    let v = upload(
        &user,
        &z.zone,
        "imported",
        "http://images.example.org/disks/data.qcow2",
        &[],
    )
    .await;
    assert_eq!(v["state"], "UploadOp", "{v}");
    assert_eq!(v["type"], "DATADISK");
    assert_eq!(v["name"], "imported");
    let id = v["id"].as_str().expect("id").to_string();
    let (v, seen) = settle(&user, &id).await;
    assert_eq!(v["state"], "Uploaded", "{v} after {seen:?}");
    assert_eq!(v["status"], "Upload Complete", "{v}");
    assert_eq!(v["size"].as_f64(), Some(2.0 * GIB), "{v}");
    assert_eq!(v["zoneid"], z.zone.as_str());
    assert!(v.get("virtualmachineid").is_none(), "{v}");
    // Every field listed is one of CloudStack's.
    let known = catalog_fields("listVolumes");
    for key in v.as_object().expect("object").keys() {
        assert!(known.contains(key), "{key} is not a listVolumes field: {v}");
    }
    let filtered = user.ok("listVolumes", &[("state", "Uploaded")]).await;
    assert_eq!(filtered["count"], 1, "{filtered}");
    // Counted: one volume, its image as secondary storage.
    let (volumes, primary, secondary) = usage(&user).await;
    assert_eq!(volumes, before.0 + 1);
    assert_eq!(primary, before.1);
    assert!((secondary - before.2 - 2.0).abs() < 0.01, "{secondary}");
    // A recount finds the same bytes.
    admin
        .ok(
            "updateResourceCount",
            &[
                ("domainid", v["domainid"].as_str().expect("domain")),
                ("account", "tenant"),
            ],
        )
        .await;
    assert_eq!(usage(&user).await.2, secondary, "recounted");
    // Nothing to extract from a simulated store.
    let job = extract(&user, &id, &z.zone).await;
    assert!(failed(&job, 431).contains("simulated"), "{job}");

    // The image store holding it cannot be deleted.
    let stores = admin.ok("listImageStores", &[("zoneid", &z.zone)]).await;
    let store = stores["imagestore"][0]["id"].as_str().expect("store id");
    let text = admin.err("deleteImageStore", &[("id", store)], 431).await;
    assert!(text.contains("uploaded volumes"), "{text}");

    // Attached to a running VM: copied to primary storage, Ready, the store copy gone.
    let vm = running_vm(&user, &z).await;
    let job = user
        .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
        .await;
    let v = done(&job, "volume");
    assert_eq!(v["state"], "Ready", "{v}");
    assert_eq!(v["virtualmachineid"], vm.as_str());
    assert!(v.get("status").is_none(), "{v}");
    let (volumes, primary, secondary) = usage(&user).await;
    assert_eq!(volumes, before.0 + 2, "the VM's root volume counts too");
    assert!(primary >= before.1 + 2.0, "{primary}");
    assert!((secondary - before.2).abs() < 0.01, "{secondary}");
    let admin_view = admin
        .ok("listVolumes", &[("id", &id), ("listall", "true")])
        .await["volume"][0]
        .clone();
    assert!(admin_view["storageid"].is_string(), "{admin_view}");

    // On a running VM it cannot be extracted.
    let job = extract(&user, &id, &z.zone).await;
    let text = failed(&job, 431);
    assert!(text.contains("Running"), "{text}");
    // Detached it is on primary storage, and this zone's store holds no bytes.
    let job = user.wait_job("detachVolume", &[("id", &id)]).await;
    assert_eq!(done(&job, "volume")["state"], "Ready");
    let job = extract(&user, &id, &z.zone).await;
    assert!(failed(&job, 431).contains("simulated"), "{job}");
    cloud.stop().await;
}

/// A volume on primary storage is copied to the image store by its host (snapshot,
/// backup, moved in place). Simulated hosts write no bytes, so here the copy cannot be
/// put in place: the saga undoes itself and nothing stays recorded or counted.
#[tokio::test]
async fn extracting_a_volume_from_primary_storage_undoes_itself_when_the_copy_fails() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let vm = running_vm(&user, &z).await;
    let id = crate::volumes::new_volume(&user, &admin, &z, "data").await;
    let job = user
        .wait_job("attachVolume", &[("id", &id), ("virtualmachineid", &vm)])
        .await;
    done(&job, "volume");
    let job = user.wait_job("detachVolume", &[("id", &id)]).await;
    done(&job, "volume");
    // The zone gets a real store: a directory instead of the simulated one, and a KVM
    // cluster (so not every cluster is a Simulator one).
    let stores = admin.ok("listImageStores", &[("zoneid", &z.zone)]).await;
    let old = stores["imagestore"][0]["id"].as_str().expect("store id");
    admin.ok("deleteImageStore", &[("id", old)]).await;
    let dir = tempfile::tempdir().expect("store");
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &z.zone),
                ("name", "dir"),
                ("provider", "NFS"),
                ("url", &format!("file://{}", dir.path().display())),
            ],
        )
        .await;
    let pod = admin.ok("listPods", &[("zoneid", &z.zone)]).await["pod"][0]["id"]
        .as_str()
        .expect("pod")
        .to_string();
    admin
        .ok(
            "addCluster",
            &[
                ("zoneid", &z.zone),
                ("podid", &pod),
                ("clustername", "K0"),
                ("hypervisor", "KVM"),
                ("clustertype", "CloudManaged"),
            ],
        )
        .await;
    let before = usage(&user).await;
    let job = extract(&user, &id, &z.zone).await;
    let text = failed(&job, 530);
    assert!(text.contains("moved in place"), "{text}");
    assert_eq!(usage(&user).await, before, "nothing stays counted");
    let v = listed(&user, &id).await;
    assert_eq!(v["state"], "Ready", "{v}");
    assert!(v.get("status").is_none(), "{v}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
    // Still an ordinary volume: it can be deleted.
    user.ok("deleteVolume", &[("id", &id)]).await;
    cloud.stop().await;
}

#[tokio::test]
async fn bad_upload_requests_are_refused_and_leave_nothing() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let small = disk_offering(&admin, "Small").await;
    let good = "http://images.example.org/d.qcow2";
    let other_zone = uuid::Uuid::new_v4().to_string();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("format", "EXE")], "format"),
        (vec![("format", "ISO")], "format"),
        (vec![("url", "http://127.0.0.1:8080/d.qcow2")], "url"),
        (vec![("url", "http://localhost/d.qcow2")], "url"),
        (vec![("url", "http://169.254.169.254/latest")], "url"),
        (vec![("url", "file:///etc/passwd")], "url"),
        (vec![("url", "ftp://example.org/d.qcow2")], "url"),
        (vec![("zoneid", &other_zone)], "zoneid"),
        (vec![("checksum", "{SHA-256}nothex")], "checksum"),
        (vec![("diskofferingid", &small)], "diskofferingid"),
        (vec![("imagestoreuuid", "no-such-store")], "imagestoreuuid"),
    ];
    for (changes, word) in &cases {
        let mut p: Vec<(&str, &str)> = vec![
            ("name", "bad"),
            ("zoneid", &z.zone),
            ("format", "QCOW2"),
            ("url", good),
        ];
        for (k, v) in changes {
            p.retain(|(pk, _)| pk != k);
            p.push((k, v));
        }
        let job = user.wait_job("uploadVolume", &p).await;
        let text = failed(&job, 431);
        assert!(text.contains(word), "{changes:?}: {text}");
        // The browser twin refuses the same (its URL aside).
        if !changes.iter().any(|(k, _)| *k == "url") {
            p.retain(|(k, _)| *k != "url");
            let text = user.err("getUploadParamsForVolume", &p, 431).await;
            assert!(text.contains(word), "{changes:?}: {text}");
        }
    }
    for missing in ["name", "zoneid", "format", "url"] {
        let p: Vec<(&str, &str)> = [
            ("name", "bad"),
            ("zoneid", z.zone.as_str()),
            ("format", "QCOW2"),
            ("url", good),
        ]
        .into_iter()
        .filter(|(k, _)| *k != missing)
        .collect();
        let r = user.call("uploadVolume", &p).await;
        assert_eq!(r.error_code(), Some(431), "{missing}: {}", r.text);
        assert!(r.text.contains(missing), "{missing}: {}", r.text);
    }
    let none = user.ok("listVolumes", &[]).await;
    assert_eq!(none["count"].as_i64().unwrap_or(0), 0, "{none}");
    let (volumes, _, _) = usage(&user).await;
    assert_eq!(volumes, 0, "refused uploads count nothing");
    cloud.stop().await;
}

#[tokio::test]
async fn tenants_cannot_see_or_extract_each_others_uploads() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z: SimZone = sim_zone(&admin, &[""]).await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let v = upload(
        &alice,
        &z.zone,
        "private",
        "http://images.example.org/p.qcow2",
        &[],
    )
    .await;
    let id = v["id"].as_str().expect("id").to_string();
    settle(&alice, &id).await;

    let seen = bob.ok("listVolumes", &[("id", &id)]).await;
    assert_eq!(seen["count"].as_i64().unwrap_or(0), 0, "{seen}");
    let job = extract(&bob, &id, &z.zone).await;
    failed(&job, 531);
    bob.err("deleteVolume", &[("id", &id)], 531).await;
    // Bob cannot upload into Alice's account either.
    let job = bob
        .wait_job(
            "uploadVolume",
            &[
                ("name", "sneaky"),
                ("zoneid", &z.zone),
                ("format", "QCOW2"),
                ("url", "http://images.example.org/p.qcow2"),
                ("account", "alice"),
                ("domainid", v["domainid"].as_str().expect("domain")),
            ],
        )
        .await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    // An unknown volume is a 431 naming the parameter.
    let job = alice
        .wait_job(
            "extractVolume",
            &[
                ("id", &uuid::Uuid::new_v4().to_string()),
                ("mode", "HTTP_DOWNLOAD"),
                ("zoneid", &z.zone),
            ],
        )
        .await;
    assert!(failed(&job, 431).contains("id"), "{job}");

    // Alice deletes hers: gone, and her counts are back.
    alice.ok("deleteVolume", &[("id", &id)]).await;
    let gone = alice.ok("listVolumes", &[]).await;
    assert_eq!(gone["count"].as_i64().unwrap_or(0), 0, "{gone}");
    let (volumes, _, secondary) = usage(&alice).await;
    assert_eq!(volumes, 0);
    assert!(secondary.abs() < 0.01, "{secondary}");
    cloud.stop().await;
}

/// What an attach of an uploaded volume may change: (state, placed, attached, copies in
/// the store, bytes allocated on every pool).
async fn upload_state(engine: &strato_engine::Engine, id: i64) -> (String, bool, bool, i64, i64) {
    let mut db = engine.store.acquire().await.expect("db");
    let v = db
        .c()
        .volume_by_id(id)
        .await
        .expect("query")
        .expect("volume");
    let copies = db.c().volume_refs(&[id]).await.expect("refs").len() as i64;
    let pools = db
        .c()
        .fetch_count(&Sql::new(
            "SELECT CAST(COALESCE(SUM(allocated_bytes), 0) AS BIGINT) FROM storage_pool",
        ))
        .await
        .expect("pools");
    (
        v.state,
        v.pool_id.is_some(),
        v.instance_id.is_some(),
        copies,
        pools,
    )
}

/// The attach saga of an uploaded volume, failed at every step (each undo run once and
/// twice): the volume is Uploaded again with its store copy, no pool bytes or primary
/// storage stay taken; then it runs to the end once.
#[tokio::test]
async fn attaching_an_uploaded_volume_unwinds_cleanly_from_every_step() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let engine = cloud.server.as_ref().expect("running").engine.clone();
    let exec = engine
        .sagas
        .exec
        .clone()
        .with_undo_retries(2, Duration::ZERO);
    let vm = running_vm(&user, &z).await;
    let v = upload(
        &user,
        &z.zone,
        "up",
        "http://images.example.org/u.qcow2",
        &[],
    )
    .await;
    let uuid = v["id"].as_str().expect("id").to_string();
    settle(&user, &uuid).await;
    let (volume_id, vm_id) = {
        let mut db = engine.store.acquire().await.expect("db");
        let v = db.c().volume_by_uuid(&uuid).await.expect("q").expect("v");
        let m = db.c().vm_by_uuid(&vm).await.expect("q").expect("vm");
        (v.id, m.id)
    };
    let before = (upload_state(&engine, volume_id).await, usage(&user).await);
    assert_eq!(before.0.0, "Uploaded");
    assert_eq!((before.0.1, before.0.2, before.0.3), (false, false, 1));
    let params = AttachParams {
        volume_id,
        vm_id,
        device_id: 1,
        create: true,
    };
    let untouched = async |e: &strato_engine::Engine| {
        let now = (upload_state(e, volume_id).await, usage(&user).await);
        assert_eq!(now, before, "attach leaked");
    };
    testing::action_failure_can_unwind::<AttachVolume>(&exec, &engine, &params, untouched).await;
    testing::action_failure_can_unwind_idempotently::<AttachVolume>(
        &exec, &engine, &params, untouched,
    )
    .await;
    testing::actions_succeed_idempotently::<AttachVolume>(&exec, &engine, params).await;
    let (state, placed, attached, copies, pools) = upload_state(&engine, volume_id).await;
    assert_eq!(
        (state.as_str(), placed, attached, copies),
        ("Ready", true, true, 0)
    );
    assert_eq!(pools, before.0.4 + (2 << 30), "placed twice, counted once");
    let (_, primary, secondary) = usage(&user).await;
    assert!((primary - before.1.1 - 2.0).abs() < 0.01, "{primary}");
    assert!((secondary - before.1.2 + 2.0).abs() < 0.01, "{secondary}");
    cloud.stop().await;
}

/// A qcow2 image of `virtual` bytes with some data; returns its path.
fn image(dir: &Path, name: &str, virtual_size: u64) -> std::path::PathBuf {
    let path = dir.join(name);
    make_qcow2(&path, virtual_size).expect("qemu-img");
    let out = std::process::Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x3c 0 2M"])
        .arg(&path)
        .output()
        .expect("qemu-io");
    assert!(out.status.success(), "{out:?}");
    path
}

/// A token of an extract URL re-signed with another expiry, as the server would sign it.
fn resigned(cloud: &TestCloud, link: &str, expires: i64) -> String {
    let engine = &cloud.server.as_ref().expect("running").engine;
    let (head, rest) = link.split_once("/client/extract/").expect("an extract URL");
    let (token, file) = rest.split_once('/').expect("token/file");
    let id = token.split('.').next().expect("id");
    let payload = format!("{id}.{expires}");
    let sig = strato_engine::signing::sign(engine, &payload).expect("sign");
    format!("{head}/client/extract/{payload}.{sig}/{file}")
}

#[tokio::test]
async fn real_uploads_download_into_the_store_and_extract_serves_the_bytes() {
    let host = NetnsHost::start("volxfer").expect("a test host (needs root and iproute2)");
    let files_dir = tempfile::tempdir().expect("dir");
    let qcow = image(files_dir.path(), "data.qcow2", 48 << 20);
    let digest = sha256_hex(&qcow);
    let size = std::fs::metadata(&qcow).expect("size").len();
    let _server = host.serve(files_dir.path()).expect("http server");

    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let store = tempfile::tempdir().expect("store");
    let zone = store_zone(&admin, "Z1", store.path()).await;
    let (user, _) = new_account(&admin, "owner", None, "0").await;

    // A private address is refused at download time until it is allowed.
    let v = upload(&user, &zone, "blocked", &host.url("data.qcow2"), &[]).await;
    let blocked = v["id"].as_str().expect("id").to_string();
    let (v, _) = settle(&user, &blocked).await;
    assert_eq!(v["state"], "UploadError", "{v}");
    assert!(
        v["status"].as_str().unwrap_or_default().contains("refused"),
        "{v}"
    );
    allow(&admin, &host).await;

    // A throttled download shows progress, then the image's virtual size.
    let url = host.url(&format!("slow/data.qcow2?rate={}", size / 3));
    let v = upload(
        &user,
        &zone,
        "data",
        &url,
        &[("checksum", &format!("{{SHA-256}}{digest}"))],
    )
    .await;
    let id = v["id"].as_str().expect("id").to_string();
    let (v, seen) = settle(&user, &id).await;
    assert_eq!(v["state"], "Uploaded", "{v} after {seen:?}");
    assert_eq!(v["status"], "Upload Complete");
    assert_eq!(v["size"], 48 << 20, "virtual size from qemu-img: {v}");
    assert!(
        seen.iter().any(|s| s.ends_with("% Uploaded")),
        "progress was never visible: {seen:?}"
    );
    let stored = files(store.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sha256_hex(&stored[0]), digest);

    // A wrong checksum ends in UploadError and leaves no file.
    let v = upload(
        &user,
        &zone,
        "corrupt",
        &host.url("data.qcow2"),
        &[("checksum", &format!("{{MD5}}{}", "0".repeat(32)))],
    )
    .await;
    let corrupt = v["id"].as_str().expect("id").to_string();
    let (v, _) = settle(&user, &corrupt).await;
    assert_eq!(v["state"], "UploadError", "{v}");
    assert!(
        v["status"]
            .as_str()
            .unwrap_or_default()
            .contains("checksum"),
        "{v}"
    );
    assert_eq!(files(store.path()).len(), 1, "{:?}", files(store.path()));

    // Extract: the URL serves the bytes that were uploaded.
    let job = extract(&user, &id, &zone).await;
    let ex = done(&job, "volume");
    assert_eq!(ex["id"], id.as_str());
    assert_eq!(ex["state"], "DOWNLOAD_URL_CREATED", "{ex}");
    assert_eq!(ex["extractMode"], "HTTP_DOWNLOAD");
    assert_eq!(ex["zoneid"], zone.as_str());
    let known = catalog_fields("extractVolume");
    for key in ex.as_object().expect("object").keys() {
        assert!(known.contains(key), "{key} is not an extractVolume field");
    }
    let link = ex["url"].as_str().expect("url").to_string();
    let bytes = reqwest::get(&link)
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    let back = files_dir.path().join("back.qcow2");
    std::fs::write(&back, &bytes).expect("write");
    assert_eq!(sha256_hex(&back), digest);
    // Expired (though signed by the server) and forged links are refused.
    let past = chrono::Utc::now().timestamp() - 1;
    let expired = resigned(&cloud, &link, past);
    assert_eq!(reqwest::get(&expired).await.expect("GET").status(), 403);
    let forged = link.replacen("/extract/v", "/extract/v9", 1);
    assert_eq!(reqwest::get(&forged).await.expect("GET").status(), 403);
    // Bad extract requests.
    let other = store_zone(&admin, "Z2", tempfile::tempdir().expect("d").path()).await;
    for (p, word) in [
        (
            vec![("mode", "FTP_UPLOAD"), ("zoneid", zone.as_str())],
            "mode",
        ),
        (
            vec![("mode", "HTTP_DOWNLOAD"), ("zoneid", other.as_str())],
            "zoneid",
        ),
    ] {
        let mut p = p.clone();
        p.push(("id", &id));
        let job = user.wait_job("extractVolume", &p).await;
        assert!(failed(&job, 431).contains(word), "{p:?}: {job}");
    }

    // Deleted: the file goes, and the old link no longer serves it.
    user.ok("deleteVolume", &[("id", &id)]).await;
    assert!(files(store.path()).is_empty(), "{:?}", files(store.path()));
    assert_eq!(reqwest::get(&link).await.expect("GET").status(), 404);
    cloud.stop().await;
}

#[tokio::test]
async fn browser_uploads_check_signatures_and_expiry() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let store = tempfile::tempdir().expect("store");
    let zone = store_zone(&admin, "Z1", store.path()).await;
    let dir = tempfile::tempdir().expect("dir");
    let qcow = image(dir.path(), "disk.qcow2", 16 << 20);
    let bytes = std::fs::read(&qcow).expect("read");
    let digest = sha256_hex(&qcow);
    let (user, _) = new_account(&admin, "uploader", None, "0").await;

    let params = |name: &'static str| {
        let user = &user;
        let zone = zone.clone();
        let digest = digest.clone();
        async move {
            user.ok(
                "getUploadParamsForVolume",
                &[
                    ("name", name),
                    ("zoneid", &zone),
                    ("format", "QCOW2"),
                    ("checksum", &format!("{{SHA-256}}{digest}")),
                ],
            )
            .await["getuploadparams"]
                .clone()
        }
    };
    let p = params("from-browser").await;
    let id = p["id"].as_str().expect("id").to_string();
    for key in ["postURL", "metadata", "expires", "signature"] {
        assert!(p[key].is_string(), "{key}: {p}");
    }
    let v = listed(&user, &id).await;
    assert_eq!(v["state"], "NotUploaded", "{v}");
    assert_eq!(v["status"], "Processing", "{v}");

    // A forged signature is refused and does not use the upload up.
    let (ct, body) = multipart(&bytes);
    assert_eq!(post_upload(&p, &ct, body.clone(), Some("00")).await, 403);
    // Another copy's metadata under this signature is refused too.
    let mut swapped = p.clone();
    swapped["metadata"] = Value::String("volume:999999".into());
    assert_eq!(post_upload(&swapped, &ct, body.clone(), None).await, 403);
    assert_eq!(post_upload(&p, &ct, body.clone(), None).await, 200);
    let v = listed(&user, &id).await;
    assert_eq!(v["state"], "Uploaded", "{v}");
    assert_eq!(v["status"], "Upload Complete");
    assert_eq!(v["size"], 16 << 20);
    let stored = files(store.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sha256_hex(&stored[0]), digest);
    // The same signed POST cannot be replayed.
    assert_eq!(post_upload(&p, &ct, body.clone(), None).await, 403);

    // Expired, though signed by the server: refused, the volume stays NotUploaded.
    let late = params("too-late").await;
    let late_id = late["id"].as_str().expect("id").to_string();
    let engine = &cloud.server.as_ref().expect("running").engine;
    let expires = "2020-01-01T00:00:00+0000";
    let payload = format!(
        "{}\n{}\n{expires}",
        late["postURL"].as_str().expect("url"),
        late["metadata"].as_str().expect("metadata")
    );
    let mut stale = late.clone();
    stale["expires"] = Value::String(expires.into());
    stale["signature"] =
        Value::String(strato_engine::signing::sign(engine, &payload).expect("sign"));
    assert_eq!(post_upload(&stale, &ct, body.clone(), None).await, 403);
    assert_eq!(listed(&user, &late_id).await["state"], "NotUploaded");
    // Never sent within upload.operation.timeout: abandoned by the image service. (The
    // wait is shortened by ageing the copy's row, as if the minutes had passed.)
    {
        let mut db = engine.store.acquire().await.expect("db");
        let mut age = Sql::new("UPDATE volume_store_ref SET ");
        age.push_bind(
            "updated = ? WHERE download_state = 'NOT_UPLOADED'",
            [Bind::Time(chrono::Utc::now() - chrono::Duration::hours(2))],
        );
        assert_eq!(db.c().execute(&age).await.expect("age"), 1);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let v = loop {
        let v = listed(&user, &late_id).await;
        if v["state"] != "NotUploaded" {
            break v;
        }
        assert!(Instant::now() < deadline, "never abandoned: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(v["state"], "UploadAbandoned", "{v}");
    assert!(
        v["status"].as_str().unwrap_or_default().contains("in time"),
        "{v}"
    );
    assert_eq!(post_upload(&late, &ct, body.clone(), None).await, 403);
    // An abandoned upload can be deleted.
    user.ok("deleteVolume", &[("id", &late_id)]).await;

    // Not an image: UploadError, no file left.
    let junk = params("junk").await;
    let junk_id = junk["id"].as_str().expect("id").to_string();
    let status = post_upload(&junk, "application/octet-stream", b"garbage".to_vec(), None).await;
    assert_eq!(status, 400);
    let v = listed(&user, &junk_id).await;
    assert_eq!(v["state"], "UploadError", "{v}");
    assert_eq!(files(store.path()).len(), 1, "{:?}", files(store.path()));
    cloud.stop().await;
}
