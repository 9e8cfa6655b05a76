//! `strato quickstart --kvm`: the quickstart zone around one real host, this machine.
//!
//! 1. The host: the binary must have the `kvm` feature; libvirtd must answer (else
//!    `scripts/setup-kvm-host.sh` is run); the small busybox template is built into the
//!    data directory if absent (`scripts/build-small-template.sh`).
//! 2. The zone, through the API ([`super::build_zone`]): a VXLAN physical network, a KVM
//!    cluster, primary storage `file://<data>/kvm/primary` (a local Filesystem pool) and
//!    image store `file://<data>/kvm/secondary`.
//! 3. A child `strato agent --driver kvm` for that cluster whose `--kvm-image-dir` is the
//!    image store directory (the agent reads templates only from there); the zone is
//!    enabled once its host is Up.
//! 4. The template is registered the way a browser uploads one: getUploadParamsForTemplate,
//!    then a signed POST of the file; the server checks it (format, no backing file,
//!    checksum) and puts it in the image store.
//!
//! On a later start with the same data directory the zone is kept and only the agent is
//! started again (its state directory keeps the host's identity).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sha2::Digest;

use super::{Api, ZonePlan, build_zone, enable_zone, wait_hosts_up, zone_exists};

/// Name of the registered template.
pub const TEMPLATE_NAME: &str = "Strato small (busybox)";
const ZONE_NAME: &str = "Sandbox-kvm";
/// How long the agent may take to bring its host Up (the first libvirt call after an
/// install probes QEMU for about 8 s; the accelerator check may trial-boot).
const HOST_UP_WITHIN: Duration = Duration::from_secs(180);
/// How long the image store may take to accept the template.
const TEMPLATE_READY_WITHIN: Duration = Duration::from_secs(60);

/// Where quickstart --kvm keeps things, under the data directory.
pub struct Paths {
    pub pool: PathBuf,
    pub store: PathBuf,
    /// The agent's state directory and `--kvm-data-dir` (console logs in `kvm/console`).
    pub agent: PathBuf,
    pub agent_log: PathBuf,
    pub template: PathBuf,
}

impl Paths {
    pub fn new(data_dir: &Path) -> anyhow::Result<Self> {
        let root = data_dir.join("kvm");
        for dir in ["primary", "secondary", "agent"] {
            std::fs::create_dir_all(root.join(dir))
                .with_context(|| format!("cannot create {}", root.join(dir).display()))?;
        }
        // Absolute: the paths go into URLs and to a child process.
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        Ok(Self {
            pool: root.join("primary"),
            store: root.join("secondary"),
            agent: root.join("agent"),
            agent_log: root.join("agent.log"),
            template: root.join("strato-small.qcow2"),
        })
    }
}

/// What quickstart --kvm built or found.
pub struct KvmZone {
    /// The zone's name and id, if it was built now.
    pub built: Option<(String, String)>,
    /// The running agent; killed when dropped.
    pub agent: tokio::process::Child,
    pub template_id: String,
}

/// Checks and prepares this machine: KVM support compiled in, libvirtd up, the small
/// template present.
pub async fn prepare_host(paths: &Paths) -> anyhow::Result<()> {
    if !cfg!(feature = "kvm") {
        bail!(
            "this strato binary was built without KVM support: rebuild it with \
             `cargo build --release -p strato --features kvm` (needs libvirt-dev and \
             pkg-config: run scripts/setup-kvm-host.sh first)"
        );
    }
    if !libvirt_answers().await {
        let script = script("setup-kvm-host.sh").context(
            "libvirtd is not running: run `sudo scripts/setup-kvm-host.sh` from the Strato \
             source tree (installs QEMU, libvirt and dnsmasq and starts libvirtd)",
        )?;
        println!("libvirtd is not running: {}", script.display());
        run_script(&script, &[]).await?;
    }
    if !paths.template.exists() {
        let script = script("build-small-template.sh").with_context(|| {
            format!(
                "no template at {}: build it with `scripts/build-small-template.sh {}`",
                paths.template.display(),
                paths.template.display()
            )
        })?;
        println!("Building the small template: {}", paths.template.display());
        run_script(&script, &[paths.template.as_os_str()]).await?;
    }
    Ok(())
}

async fn libvirt_answers() -> bool {
    tokio::process::Command::new("virsh")
        .args(["-q", "-c", "qemu:///system", "uri"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// A script of the source tree: `$STRATO_SCRIPTS_DIR`, `./scripts`, or the tree this
/// binary was built from.
fn script(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(d) = std::env::var("STRATO_SCRIPTS_DIR") {
        dirs.push(d.into());
    }
    dirs.push("scripts".into());
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts"));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

async fn run_script(script: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new(script)
        .args(args)
        .status()
        .await
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!("{} failed ({status})", script.display());
    }
    Ok(())
}

/// Builds the zone (unless one exists), starts the agent, waits for its host and
/// registers the template.
pub async fn ensure_zone(
    api: &Api,
    paths: &Paths,
    agent_server: &str,
    token: &str,
    api_base: &str,
) -> anyhow::Result<KvmZone> {
    let built = if zone_exists(api).await? {
        None
    } else {
        let pool_url = format!("file://{}", paths.pool.display());
        let store_url = format!("file://{}", paths.store.display());
        let b = build_zone(
            api,
            &ZonePlan {
                name: ZONE_NAME,
                isolation: "VXLAN",
                guest_range: "5000-5099",
                hypervisor: "KVM",
                pool_url: &pool_url,
                pool_bytes: Some(filesystem_bytes(&paths.pool).await?),
                store_url: &store_url,
            },
        )
        .await?;
        Some(b)
    };
    let (zone, pod, cluster) = match &built {
        Some(b) => (b.zone.clone(), b.pod.clone(), b.cluster.clone()),
        None => existing_kvm_cluster(api).await?,
    };
    let mut agent = spawn_agent(paths, agent_server, token, &zone, &pod, &cluster)?;
    tokio::select! {
        up = wait_hosts_up(api, &zone, 1, HOST_UP_WITHIN) => up?,
        status = agent.wait() => bail!(
            "the KVM agent exited ({}) before its host came Up; its log: {}",
            status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
            paths.agent_log.display()
        ),
    }
    if built.is_some() {
        enable_zone(api, &zone).await?;
    }
    let template_id = ensure_template(api, paths, &zone, api_base).await?;
    Ok(KvmZone {
        built: built.map(|b| (ZONE_NAME.to_string(), b.zone)),
        agent,
        template_id,
    })
}

/// Size of the filesystem holding `dir` (the pool's capacity: the server cannot measure
/// a local path of a host it has not met yet).
async fn filesystem_bytes(dir: &Path) -> anyhow::Result<u64> {
    let out = tokio::process::Command::new("df")
        .args(["-B1", "--output=size"])
        .arg(dir)
        .output()
        .await
        .context("cannot run df")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("df could not size {}", dir.display()))
}

/// The zone, pod and cluster of a KVM cluster built by an earlier run.
async fn existing_kvm_cluster(api: &Api) -> anyhow::Result<(String, String, String)> {
    let clusters = api.call("listClusters", &[("hypervisor", "KVM")]).await?;
    let c = &clusters["cluster"][0];
    match (c["zoneid"].as_str(), c["podid"].as_str(), c["id"].as_str()) {
        (Some(z), Some(p), Some(id)) => Ok((z.into(), p.into(), id.into())),
        _ => bail!(
            "a zone exists already but has no KVM cluster: start quickstart --kvm with an \
             empty --data-dir"
        ),
    }
}

fn spawn_agent(
    paths: &Paths,
    server: &str,
    token: &str,
    zone: &str,
    pod: &str,
    cluster: &str,
) -> anyhow::Result<tokio::process::Child> {
    let exe = std::env::current_exe().context("cannot find this strato binary")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.agent_log)
        .with_context(|| format!("cannot open {}", paths.agent_log.display()))?;
    let log_err = log
        .try_clone()
        .with_context(|| format!("cannot open {}", paths.agent_log.display()))?;
    tokio::process::Command::new(exe)
        .args(["agent", "--driver", "kvm", "--server", server])
        .args(["--zone-id", zone, "--pod-id", pod, "--cluster-id", cluster])
        .arg("--state-dir")
        .arg(&paths.agent)
        .arg("--kvm-data-dir")
        .arg(&paths.agent)
        .arg("--kvm-image-dir")
        .arg(&paths.store)
        .arg("--kvm-probe-image")
        .arg(&paths.template)
        .env("STRATO_AGENT_TOKEN", token)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .kill_on_drop(true)
        .spawn()
        .context("cannot start `strato agent --driver kvm`")
}

/// The small template, registered once: uploaded from the local file through
/// getUploadParamsForTemplate and its signed POST; waits until it is ready.
async fn ensure_template(
    api: &Api,
    paths: &Paths,
    zone: &str,
    api_base: &str,
) -> anyhow::Result<String> {
    let found = api
        .call(
            "listTemplates",
            &[
                ("templatefilter", "all"),
                ("name", TEMPLATE_NAME),
                ("zoneid", zone),
            ],
        )
        .await?;
    let id = match found["template"][0]["id"].as_str() {
        Some(id) => id.to_string(),
        None => upload_template(api, paths, zone, api_base).await?,
    };
    let deadline = std::time::Instant::now() + TEMPLATE_READY_WITHIN;
    loop {
        let t = api
            .call(
                "listTemplates",
                &[("templatefilter", "all"), ("id", &id), ("zoneid", zone)],
            )
            .await?;
        let t = &t["template"][0];
        if t["isready"].as_bool() == Some(true) {
            return Ok(id);
        }
        if std::time::Instant::now() > deadline {
            bail!("template {id} is not ready: {}", t["status"]);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn upload_template(
    api: &Api,
    paths: &Paths,
    zone: &str,
    api_base: &str,
) -> anyhow::Result<String> {
    let bytes = tokio::fs::read(&paths.template)
        .await
        .with_context(|| format!("cannot read {}", paths.template.display()))?;
    let checksum = format!("{{SHA-256}}{}", hex(&sha2::Sha256::digest(&bytes)));
    let p = api
        .call(
            "getUploadParamsForTemplate",
            &[
                ("name", TEMPLATE_NAME),
                (
                    "displaytext",
                    "busybox guest printing STRATO-GUEST-UP on ttyS0",
                ),
                ("zoneid", zone),
                ("format", "QCOW2"),
                ("hypervisor", "KVM"),
                ("ispublic", "true"),
                ("isfeatured", "true"),
                ("checksum", &checksum),
            ],
        )
        .await?;
    let p = &p["getuploadparams"];
    let field = |name: &str| {
        p[name]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("getUploadParamsForTemplate gave no {name}: {p}"))
    };
    let (id, post_url) = (field("id")?, field("postURL")?);
    // The POST goes to this server over the address quickstart itself uses.
    let path = url::Url::parse(&post_url)
        .with_context(|| format!("bad postURL {post_url}"))?
        .path()
        .to_string();
    let url = format!("{}{path}", api_base.trim_end_matches('/'));
    let answer = reqwest::Client::new()
        .post(&url)
        .header("X-signature", field("signature")?)
        .header("X-metadata", field("metadata")?)
        .header("X-expires", field("expires")?)
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .with_context(|| format!("cannot upload the template to {url}"))?;
    if !answer.status().is_success() {
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        bail!("the template upload was refused ({status}): {text}");
    }
    Ok(id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
