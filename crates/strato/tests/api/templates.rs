//! Templates and ISOs: real downloads from an HTTP server on a test host of our own (a
//! network namespace with a private address) into real directory image stores, the
//! URL safety rules, simulated stores in Simulator zones, visibility and sharing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use strato_test_host::{NetnsHost, make_iso, make_qcow2};

use crate::common::{Client, TestCloud, new_account};
use crate::hosts::sim_cluster;

/// A zone without clusters (so its image store is real) with a directory image store.
pub(crate) async fn real_zone(admin: &Client, name: &str, store: &Path) -> String {
    let zone = admin
        .ok(
            "createZone",
            &[
                ("name", name),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
            ],
        )
        .await["zone"]["id"]
        .as_str()
        .expect("zone id")
        .to_string();
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &zone),
                ("name", &format!("{name}-store")),
                ("provider", "NFS"),
                ("url", &format!("file://{}", store.display())),
            ],
        )
        .await;
    zone
}

/// Lets downloads reach the test host (and nothing else private).
pub(crate) async fn allow(admin: &Client, host: &NetnsHost) {
    admin
        .ok(
            "updateConfiguration",
            &[
                ("name", "secstorage.allowed.internal.sites"),
                ("value", &format!("{}/32", host.ip())),
            ],
        )
        .await;
}

pub(crate) fn sha256_hex(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

fn md5_hex(path: &Path) -> String {
    let out = std::process::Command::new("md5sum")
        .arg(path)
        .output()
        .expect("md5sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// Every file under `dir`, recursively.
pub(crate) fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A download that must fail: name, URL, extra registration parameters, and a word the
/// error status must contain.
type BadCase = (
    &'static str,
    String,
    Vec<(&'static str, String)>,
    &'static str,
);

async fn register(
    admin: &Client,
    zone: &str,
    name: &str,
    url: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut p = vec![
        ("name", name),
        ("displaytext", name),
        ("url", url),
        ("zoneid", zone),
        ("format", "QCOW2"),
        ("hypervisor", "KVM"),
    ];
    p.extend_from_slice(extra);
    let r = admin.ok("registerTemplate", &p).await;
    assert_eq!(r["count"], 1, "{r}");
    r["template"][0]["id"].as_str().expect("id").to_string()
}

async fn template_in(admin: &Client, id: &str, zone: &str, command: &str) -> Value {
    let filter = if command == "listIsos" {
        "isofilter"
    } else {
        "templatefilter"
    };
    let r = admin
        .ok(command, &[(filter, "all"), ("id", id), ("zoneid", zone)])
        .await;
    let key = if command == "listIsos" {
        "iso"
    } else {
        "template"
    };
    r[key][0].clone()
}

/// Polls until the entry leaves the in-progress states; returns every status seen.
async fn settle(admin: &Client, id: &str, zone: &str, command: &str) -> (Value, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut seen = Vec::new();
    loop {
        let t = template_in(admin, id, zone, command).await;
        let status = t["status"].as_str().unwrap_or_default().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        let busy = status.ends_with("Downloaded")
            || status == "Downloading"
            || status == "Download Not Started";
        if !busy {
            return (t, seen);
        }
        assert!(Instant::now() < deadline, "{id} still busy: {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn real_downloads_progress_copy_and_extract() {
    let host = NetnsHost::start("templates").expect("a test host (needs root and iproute2)");
    let files_dir = tempfile::tempdir().expect("dir");
    let qcow = files_dir.path().join("disk.qcow2");
    make_qcow2(&qcow, 64 << 20).expect("qemu-img");
    // Some data so the file is a few MiB and the throttled transfer shows progress.
    let status = std::process::Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 6M"])
        .arg(&qcow)
        .output()
        .expect("qemu-io");
    assert!(status.status.success(), "{status:?}");
    let iso = files_dir.path().join("boot.iso");
    make_iso(&iso).expect("iso");
    let _server = host.serve(files_dir.path()).expect("http server");

    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let store1 = tempfile::tempdir().expect("store");
    let store2 = tempfile::tempdir().expect("store");
    let zone1 = real_zone(&admin, "Z1", store1.path()).await;
    let zone2 = real_zone(&admin, "Z2", store2.path()).await;
    allow(&admin, &host).await;

    let digest = sha256_hex(&qcow);
    let size = std::fs::metadata(&qcow).expect("size").len();
    let url = host.url(&format!("slow/disk.qcow2?rate={}", size / 4));
    let id = register(
        &admin,
        &zone1,
        "debian-small",
        &url,
        &[
            ("checksum", &format!("{{SHA-256}}{digest}")),
            ("isextractable", "true"),
        ],
    )
    .await;
    let (t, seen) = settle(&admin, &id, &zone1, "listTemplates").await;
    assert_eq!(t["status"], "Download Complete", "{t}");
    assert_eq!(t["isready"], true);
    assert_eq!(t["size"], 64 << 20, "virtual size from qemu-img: {t}");
    assert_eq!(t["physicalsize"].as_u64(), Some(size));
    assert_eq!(t["checksum"], format!("{{SHA-256}}{digest}"));
    assert_eq!(t["downloaddetails"][0]["downloadState"], "DOWNLOADED");
    assert!(
        seen.iter().any(|s| s.ends_with("% Downloaded")),
        "progress was never visible: {seen:?}"
    );
    let stored: Vec<PathBuf> = files(store1.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sha256_hex(&stored[0]), digest);

    // An ISO with a bare MD5 checksum, in every zone (-1).
    let iso_md5 = md5_hex(&iso);
    let r = admin
        .ok(
            "registerIso",
            &[
                ("name", "rescue"),
                ("displaytext", "rescue"),
                ("url", &host.url("boot.iso")),
                ("zoneid", "-1"),
                ("checksum", &iso_md5),
            ],
        )
        .await;
    let iso_id = r["iso"][0]["id"].as_str().expect("iso id").to_string();
    assert_eq!(r["iso"][0]["crossZones"], true);
    for zone in [&zone1, &zone2] {
        let (i, _) = settle(&admin, &iso_id, zone, "listIsos").await;
        assert_eq!(i["status"], "Successfully Installed", "{i}");
        assert_eq!(i["isready"], true);
        assert_eq!(i["bootable"], true);
    }

    // Copy to the second zone: the copy's bytes are the original's.
    let job = admin
        .wait_job(
            "copyTemplate",
            &[
                ("id", &id),
                ("sourcezoneid", &zone1),
                ("destzoneid", &zone2),
            ],
        )
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert_eq!(job["jobresult"]["template"]["zoneid"], zone2.as_str());
    assert_eq!(job["jobresult"]["template"]["isready"], true);
    let copied: Vec<PathBuf> = files(store2.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "qcow2"))
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert_eq!(sha256_hex(&copied[0]), digest);
    let listed = admin
        .ok("listTemplates", &[("templatefilter", "self"), ("id", &id)])
        .await;
    assert_eq!(listed["count"], 2, "one entry per zone: {listed}");

    // Extract from zone 2 and download the bytes back.
    let job = admin
        .wait_job(
            "extractTemplate",
            &[("id", &id), ("mode", "HTTP_DOWNLOAD"), ("zoneid", &zone2)],
        )
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    let ex = &job["jobresult"]["template"];
    assert_eq!(ex["state"], "DOWNLOAD_URL_CREATED");
    assert_eq!(ex["extractMode"], "HTTP_DOWNLOAD");
    let link = ex["url"].as_str().expect("url");
    let bytes = reqwest::get(link)
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    let back = files_dir.path().join("back.qcow2");
    std::fs::write(&back, &bytes).expect("write");
    assert_eq!(sha256_hex(&back), digest);
    // A forged token is refused.
    let forged = link.replacen("/extract/", "/extract/9", 1);
    assert_eq!(reqwest::get(&forged).await.expect("GET").status(), 403);

    // Delete from zone 1 only: its file goes, zone 2 keeps its copy.
    let job = admin
        .wait_job("deleteTemplate", &[("id", &id), ("zoneid", &zone1)])
        .await;
    assert_eq!(job["jobstatus"], 1, "{job}");
    assert!(
        files(store1.path())
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".qcow2")),
        "{:?}",
        files(store1.path())
    );
    let listed = admin
        .ok("listTemplates", &[("templatefilter", "self"), ("id", &id)])
        .await;
    assert_eq!(listed["count"], 1, "{listed}");
    cloud.stop().await;
}

#[tokio::test]
async fn bad_downloads_end_in_clear_errors_and_leave_no_files() {
    let host = NetnsHost::start("bad-templates").expect("a test host");
    let outside = NetnsHost::start("outside").expect("a second test host");
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.qcow2");
    make_qcow2(&good, 16 << 20).expect("qcow2");
    // A qcow2 whose backing file is a host file (-u: do not open it while creating).
    let backed = std::process::Command::new("qemu-img")
        .args([
            "create",
            "-u",
            "-f",
            "qcow2",
            "-b",
            "/etc/passwd",
            "-F",
            "raw",
        ])
        .arg(dir.path().join("backed.qcow2"))
        .arg("16M")
        .output()
        .expect("qemu-img");
    assert!(backed.status.success(), "{backed:?}");
    std::fs::write(dir.path().join("page.html"), "<html>not an image</html>").expect("html");
    let big = dir.path().join("big.qcow2");
    make_qcow2(&big, 64 << 20).expect("qcow2");
    let status = std::process::Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x11 0 4M"])
        .arg(&big)
        .output()
        .expect("qemu-io");
    assert!(status.status.success());
    let mut server = host.serve(dir.path()).expect("server");
    let _outside_server = outside.serve(dir.path()).expect("server");

    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let store = tempfile::tempdir().expect("store");
    let zone = real_zone(&admin, "Z1", store.path()).await;
    allow(&admin, &host).await;

    // Refused at registration: loopback and friends, other schemes, bad checksums.
    for url in [
        "http://127.0.0.1:8080/good.qcow2",
        "http://localhost/good.qcow2",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/x.qcow2",
        "http://[::1]/x.qcow2",
        "ftp://example.com/x.qcow2",
        "file:///etc/passwd",
    ] {
        let text = admin
            .err(
                "registerTemplate",
                &[
                    ("name", "bad"),
                    ("displaytext", "bad"),
                    ("url", url),
                    ("zoneid", &zone),
                    ("format", "QCOW2"),
                    ("hypervisor", "KVM"),
                ],
                431,
            )
            .await;
        assert!(text.contains("url"), "{url}: {text}");
    }
    let text = admin
        .err(
            "registerTemplate",
            &[
                ("name", "bad"),
                ("url", &host.url("good.qcow2")),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
                ("checksum", "{SHA-256}nothex"),
            ],
            431,
        )
        .await;
    assert!(text.contains("checksum"), "{text}");
    let none = admin
        .ok("listTemplates", &[("templatefilter", "self")])
        .await;
    assert!(
        none.get("template").is_none(),
        "refused registrations left rows: {none}"
    );

    // Accepted at registration, but the download ends in an error saying why.
    let cases: Vec<BadCase> = vec![
        (
            "wrong-checksum",
            host.url("good.qcow2"),
            vec![("checksum", format!("{{MD5}}{}", "0".repeat(32)))],
            "checksum",
        ),
        ("missing", host.url("nothere.qcow2"), vec![], "404"),
        (
            "outside-allowed",
            outside.url("good.qcow2"),
            vec![],
            "refused",
        ),
        (
            "redirect-out",
            host.url(&format!("redirect?to={}", outside.url("good.qcow2"))),
            vec![],
            "refused",
        ),
        (
            "redirect-loopback",
            host.url("redirect?to=http://127.0.0.1:8080/good.qcow2"),
            vec![],
            "refused",
        ),
        ("backing-file", host.url("backed.qcow2"), vec![], "backing"),
        (
            "not-an-image",
            host.url("page.html"),
            vec![],
            "registered as QCOW2",
        ),
    ];
    let mut ids = Vec::new();
    for (name, url, extra, _) in &cases {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ids.push(register(&admin, &zone, name, url, &extra).await);
    }
    for ((name, _, _, why), id) in cases.iter().zip(&ids) {
        let (t, _) = settle(&admin, id, &zone, "listTemplates").await;
        let status = t["status"].as_str().unwrap_or_default();
        assert_eq!(t["isready"], false, "{name}: {t}");
        assert_eq!(
            t["downloaddetails"][0]["downloadState"], "DOWNLOAD_ERROR",
            "{name}: {t}"
        );
        assert!(
            status.contains(why),
            "{name}: status {status:?} should say {why:?}"
        );
    }

    // The server dies mid-transfer and stays dead: retries give up, nothing is left.
    let id = register(
        &admin,
        &zone,
        "server-killed",
        &host.url("die/big.qcow2?after=1000000"),
        &[],
    )
    .await;
    let (t, _) = settle(&admin, &id, &zone, "listTemplates").await;
    assert_eq!(
        t["downloaddetails"][0]["downloadState"], "DOWNLOAD_ERROR",
        "{t}"
    );
    assert!(
        server.wait_exit(Duration::from_secs(5)),
        "the test server should have died"
    );
    assert!(
        files(store.path()).is_empty(),
        "failed downloads left files: {:?}",
        files(store.path())
    );
    cloud.stop().await;
}

#[tokio::test]
async fn a_restart_mid_download_resumes_it() {
    let host = NetnsHost::start("resume").expect("a test host");
    let dir = tempfile::tempdir().expect("dir");
    let big = dir.path().join("big.qcow2");
    make_qcow2(&big, 64 << 20).expect("qcow2");
    let status = std::process::Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x22 0 4M"])
        .arg(&big)
        .output()
        .expect("qemu-io");
    assert!(status.status.success());
    let digest = sha256_hex(&big);
    let size = std::fs::metadata(&big).expect("size").len();
    let server = host.serve(dir.path()).expect("server");

    let mut cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    admin
        .ok(
            "updateConfiguration",
            &[("name", "cluster.heartbeat.threshold"), ("value", "1500")],
        )
        .await;
    let store = tempfile::tempdir().expect("store");
    let zone = real_zone(&admin, "Z1", store.path()).await;
    allow(&admin, &host).await;
    let id = register(
        &admin,
        &zone,
        "resumed",
        &host.url(&format!("slow/big.qcow2?rate={}", size / 6)),
        &[("checksum", &format!("{{SHA-256}}{digest}"))],
    )
    .await;
    // Wait until well over a MiB is on disk (the download buffers 1 MiB), then restart
    // the server under the download.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = template_in(&admin, &id, &zone, "listTemplates").await;
        let pct = t["status"]
            .as_str()
            .and_then(|s| s.strip_suffix("% Downloaded"))
            .and_then(|p| p.parse::<u32>().ok());
        if pct.is_some_and(|p| p >= 45) {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cloud.restart().await;
    let admin = cloud.admin().await;
    let (t, _) = settle(&admin, &id, &zone, "listTemplates").await;
    assert_eq!(t["status"], "Download Complete", "{t}");
    let stored = files(store.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sha256_hex(&stored[0]), digest);
    assert!(
        server.requests().iter().any(|r| !r.contains("range=-")),
        "the download should resume with a Range request: {:?}",
        server.requests()
    );
    cloud.stop().await;
}

#[tokio::test]
async fn simulator_zones_simulate_their_image_stores() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _, _) = sim_cluster(&admin).await;
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &zone),
                ("name", "SS0"),
                ("provider", "NFS"),
                ("url", "nfs://10.147.28.6:/export/home/sandbox/secondary"),
            ],
        )
        .await;
    // The built-in template is ready at once (after the store's first pass).
    let deadline = Instant::now() + Duration::from_secs(10);
    let builtin = loop {
        let r = admin
            .ok(
                "listTemplates",
                &[("templatefilter", "featured"), ("zoneid", &zone)],
            )
            .await;
        if let Some(t) = r["template"].as_array().and_then(|a| a.first()) {
            break t.clone();
        }
        assert!(Instant::now() < deadline, "no built-in template");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(builtin["name"], "CentOS 5.6 (64-bit) no GUI (Simulator)");
    assert_eq!(builtin["isready"], true);
    assert_eq!(builtin["templatetype"], "BUILTIN");
    assert_eq!(builtin["hypervisor"], "Simulator");
    assert_eq!(builtin["ostypename"], "CentOS 5.6 (64-bit)");
    assert_eq!(builtin["crossZones"], true);
    assert_eq!(builtin["account"], "system");

    // A URL nobody can reach still becomes ready: it is never fetched.
    let id = register(
        &admin,
        &zone,
        "macchinina",
        "http://dl.openvm.eu/cloudstack/macchinina/x86_64/macchinina-kvm.qcow2.bz2",
        &[],
    )
    .await;
    let (t, _) = settle(&admin, &id, &zone, "listTemplates").await;
    assert_eq!(t["status"], "Download Complete", "{t}");
    assert_eq!(t["isready"], true);
    // Nothing to extract from a simulated store.
    let job = admin
        .wait_job("extractTemplate", &[("id", &id), ("mode", "HTTP_DOWNLOAD")])
        .await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    assert!(
        job["jobresult"]["errortext"]
            .as_str()
            .unwrap_or_default()
            .contains("simulated")
    );
    cloud.stop().await;
}

#[tokio::test]
async fn tenants_see_public_and_their_own_and_what_is_shared_with_them() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let (zone, _, _) = sim_cluster(&admin).await;
    admin
        .ok(
            "addImageStore",
            &[
                ("zoneid", &zone),
                ("name", "SS0"),
                ("provider", "NFS"),
                ("url", "nfs://10.1.1.1/secondary"),
            ],
        )
        .await;
    let (alice, _) = new_account(&admin, "alice", None, "0").await;
    let (bob, _) = new_account(&admin, "bob", None, "0").await;
    let url = "http://mirror.example.org/t.qcow2";
    let private = register(&alice, &zone, "alice-private", url, &[]).await;
    let public = register(&alice, &zone, "alice-public", url, &[("ispublic", "true")]).await;
    for id in [&private, &public] {
        settle(&alice, id, &zone, "listTemplates").await;
    }
    let names = |r: &Value| -> Vec<String> {
        r["template"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| t["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    for filter in ["self", "selfexecutable", "executable", "all"] {
        let mine = names(
            &alice
                .ok("listTemplates", &[("templatefilter", filter)])
                .await,
        );
        assert!(
            mine.contains(&"alice-private".to_string()),
            "{filter}: {mine:?}"
        );
        let theirs = names(&bob.ok("listTemplates", &[("templatefilter", filter)]).await);
        assert!(
            !theirs.contains(&"alice-private".to_string()),
            "{filter}: {theirs:?}"
        );
    }
    let community = names(
        &bob.ok("listTemplates", &[("templatefilter", "community")])
            .await,
    );
    assert_eq!(community, vec!["alice-public".to_string()]);
    let featured = names(
        &bob.ok("listTemplates", &[("templatefilter", "featured")])
            .await,
    );
    assert_eq!(
        featured,
        vec!["CentOS 5.6 (64-bit) no GUI (Simulator)".to_string()]
    );
    // Bob can neither read nor change Alice's private template.
    bob.err("updateTemplate", &[("id", &private), ("name", "mine")], 531)
        .await;
    bob.err("listTemplatePermissions", &[("id", &private)], 531)
        .await;
    let job = bob.wait_job("deleteTemplate", &[("id", &private)]).await;
    assert_eq!(job["jobstatus"], 2, "{job}");
    // Only root admins feature templates.
    alice
        .err(
            "updateTemplatePermissions",
            &[("id", &private), ("isfeatured", "true")],
            531,
        )
        .await;

    // Shared with bob by name: he sees it as sharedexecutable.
    alice
        .ok(
            "updateTemplatePermissions",
            &[("id", &private), ("op", "add"), ("accounts", "bob")],
        )
        .await;
    let perms = alice
        .ok("listTemplatePermissions", &[("id", &private)])
        .await;
    assert_eq!(
        perms["templatepermission"]["account"],
        serde_json::json!(["bob"])
    );
    assert_eq!(perms["templatepermission"]["ispublic"], false);
    let shared = names(
        &bob.ok("listTemplates", &[("templatefilter", "sharedexecutable")])
            .await,
    );
    assert_eq!(shared, vec!["alice-private".to_string()]);
    alice
        .err(
            "updateTemplatePermissions",
            &[("id", &private), ("op", "add"), ("accounts", "nobody")],
            431,
        )
        .await;
    alice
        .ok(
            "updateTemplatePermissions",
            &[("id", &private), ("op", "reset")],
        )
        .await;
    let shared = names(
        &bob.ok("listTemplates", &[("templatefilter", "sharedexecutable")])
            .await,
    );
    assert!(shared.is_empty(), "{shared:?}");

    // updateTemplate by the owner; bad input is named.
    let t = alice
        .ok(
            "updateTemplate",
            &[
                ("id", &private),
                ("name", "renamed"),
                ("passwordenabled", "true"),
            ],
        )
        .await;
    assert_eq!(t["template"]["name"], "renamed");
    assert_eq!(t["template"]["passwordenabled"], true);
    let text = alice
        .err(
            "updateTemplate",
            &[("id", &private), ("format", "EXE")],
            431,
        )
        .await;
    assert!(text.contains("format"), "{text}");
    let text = alice
        .err("listTemplates", &[("templatefilter", "mine")], 431)
        .await;
    assert!(text.contains("templatefilter"), "{text}");
    // An ISO id is not a template.
    admin
        .err(
            "listTemplatePermissions",
            &[("id", &uuid::Uuid::new_v4().to_string())],
            431,
        )
        .await;
    cloud.stop().await;
}

/// A multipart/form-data body with one file field, as CloudStack's UI posts it.
pub(crate) fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----strato-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"disk.qcow2\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn post_upload(
    p: &Value,
    content_type: &str,
    body: Vec<u8>,
    signature: Option<&str>,
) -> u16 {
    reqwest::Client::new()
        .post(p["postURL"].as_str().expect("postURL"))
        .header(
            "X-signature",
            signature.unwrap_or(p["signature"].as_str().expect("sig")),
        )
        .header("X-metadata", p["metadata"].as_str().expect("metadata"))
        .header("X-expires", p["expires"].as_str().expect("expires"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn browser_uploads_land_in_the_store_and_are_checked() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let store = tempfile::tempdir().expect("store");
    let zone = real_zone(&admin, "Z1", store.path()).await;
    let dir = tempfile::tempdir().expect("dir");
    let qcow = dir.path().join("disk.qcow2");
    make_qcow2(&qcow, 32 << 20).expect("qcow2");
    let bytes = std::fs::read(&qcow).expect("read");
    let digest = sha256_hex(&qcow);

    let (user, _) = new_account(&admin, "uploader", None, "0").await;
    let p = user
        .ok(
            "getUploadParamsForTemplate",
            &[
                ("name", "uploaded"),
                ("zoneid", &zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
                ("checksum", &format!("{{SHA-256}}{digest}")),
            ],
        )
        .await["getuploadparams"]
        .clone();
    let id = p["id"].as_str().expect("id").to_string();
    let t = template_in(&user, &id, &zone, "listTemplates").await;
    assert_eq!(t["status"], "Upload Not Started", "{t}");
    // A forged signature is refused and does not use the upload up.
    let (ct, body) = multipart(&bytes);
    assert_eq!(post_upload(&p, &ct, body.clone(), Some("00")).await, 403);
    assert_eq!(post_upload(&p, &ct, body.clone(), None).await, 200);
    let t = template_in(&user, &id, &zone, "listTemplates").await;
    assert_eq!(t["status"], "Download Complete", "{t}");
    assert_eq!(t["isready"], true);
    assert_eq!(t["size"], 32 << 20);
    let stored = files(store.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sha256_hex(&stored[0]), digest);
    // The same signed POST cannot be replayed.
    assert_eq!(post_upload(&p, &ct, body, None).await, 403);

    // A raw body that is not an ISO ends in an error and leaves no file.
    let p = user
        .ok(
            "getUploadParamsForIso",
            &[("name", "fake-iso"), ("zoneid", &zone), ("format", "ISO")],
        )
        .await["getuploadparams"]
        .clone();
    let iso_id = p["id"].as_str().expect("id").to_string();
    let status = post_upload(&p, "application/octet-stream", b"not an iso".to_vec(), None).await;
    assert_eq!(status, 400);
    let i = template_in(&user, &iso_id, &zone, "listIsos").await;
    assert_eq!(i["isready"], false);
    assert_eq!(
        i["downloaddetails"][0]["downloadState"], "UPLOAD_ERROR",
        "{i}"
    );
    assert_eq!(files(store.path()).len(), 1, "{:?}", files(store.path()));
    cloud.stop().await;
}
