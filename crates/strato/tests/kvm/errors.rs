//! What goes wrong on a real host reaches the user as a clear error.

use crate::harness::{KvmCloud, domstate, virsh};
use crate::host::run;

/// libvirt refuses to define a domain whose uuid another domain holds: the start job
/// fails with libvirt's reason, the VM stays Stopped, and it starts once the conflict
/// is gone.
#[tokio::test]
async fn a_libvirt_refusal_is_the_jobs_error() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    // A first VM puts the template into the pool.
    cloud.deploy("kvm-first").await;
    let job = cloud.deploy_job("kvm-clash", &[("startvm", "false")]).await;
    let vm = job["jobresult"]["virtualmachine"].clone();
    let id = vm["id"].as_str().expect("id").to_string();
    let instance = vm["instancename"]
        .as_str()
        .expect("instancename")
        .to_string();

    // Someone else's domain with the VM's uuid (the description lets the harness clean up).
    let foreign = format!("foreign-{}", std::process::id());
    let xml = format!(
        "<domain type='qemu'><name>{foreign}</name><uuid>{id}</uuid>\
         <description>{}</description><memory unit='MiB'>32</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os></domain>",
        cloud.pool_dir().display()
    );
    let file = cloud.pool_dir().join("foreign.xml");
    std::fs::write(&file, xml).expect("write xml");
    run(
        "virsh",
        &[
            "-q",
            "-c",
            "qemu:///system",
            "define",
            &file.to_string_lossy(),
        ],
    );

    let failed = cloud
        .admin
        .wait_job_within("startVirtualMachine", &[("id", &id)], crate::harness::JOB)
        .await;
    assert_eq!(failed["jobstatus"], 2, "{failed}");
    let text = failed["jobresult"]["errortext"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains(&foreign) && text.contains(&id),
        "the error should name libvirt's conflict (domain {foreign}, uuid {id}): {text}"
    );
    assert_eq!(failed["jobresult"]["errorcode"], 530, "{failed}");
    let listed = cloud.admin.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["virtualmachine"][0]["state"], "Stopped", "{listed}");
    assert_eq!(domstate(&instance), "", "nothing was defined for the VM");

    virsh(&["undefine", &foreign]);
    cloud.job("startVirtualMachine", &[("id", &id)]).await;
    cloud.wait_marker(&instance, "STRATO-GUEST-UP", 1).await;
}

/// A qcow2 whose backing file is a host file (/etc/shadow) is refused when it is
/// registered, and nothing of it stays in the image store.
#[tokio::test]
async fn a_template_backed_by_etc_shadow_is_refused() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let bad = cloud.pool_dir().join("shadow.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-u",
            "-b",
            "/etc/shadow",
            "-F",
            "raw",
            &bad.to_string_lossy(),
            "32M",
        ],
    );
    let store = cloud.pool_dir().with_file_name("secondary");
    let before = files(&store);
    let p = cloud
        .admin
        .ok(
            "getUploadParamsForTemplate",
            &[
                ("name", "shadow"),
                ("zoneid", &cloud.zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
            ],
        )
        .await["getuploadparams"]
        .clone();
    let field = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    let answer = reqwest::Client::new()
        .post(field("postURL"))
        .header("X-signature", field("signature"))
        .header("X-metadata", field("metadata"))
        .header("X-expires", field("expires"))
        .body(std::fs::read(&bad).expect("read"))
        .send()
        .await
        .expect("POST");
    let status = answer.status().as_u16();
    let body = answer.text().await.unwrap_or_default();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("/etc/shadow"), "{body}");
    let t = cloud
        .admin
        .ok(
            "listTemplates",
            &[("templatefilter", "all"), ("id", &field("id"))],
        )
        .await;
    assert_eq!(t["template"][0]["isready"], false, "{t}");
    assert!(
        t["template"][0]["status"]
            .as_str()
            .is_some_and(|s| s.contains("/etc/shadow")),
        "{t}"
    );
    assert_eq!(
        files(&store),
        before,
        "the refused file stayed in the store"
    );
}

fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
