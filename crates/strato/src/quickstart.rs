//! `strato quickstart`'s ready zone: on first start, an Advanced zone with a pod, a
//! public IP range, a Simulator cluster of four hosts, primary and secondary storage,
//! built through the server's own API exactly as an operator (or Marvin) would.
//! `quickstart --kvm` builds the same shape around one real KVM host ([`kvm`]).

pub mod kvm;

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use strato_cli::{Client, Target, pending_job, wait_job};

pub(crate) struct Api {
    client: Client,
}

impl Api {
    pub(crate) fn new(url: &str, api_key: &str, secret_key: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::new(Target {
                url: url.to_string(),
                keys: Some((api_key.to_string(), secret_key.to_string())),
            })?,
        })
    }

    /// Calls a command, waiting for its job when it is asynchronous.
    pub(crate) async fn call(
        &self,
        command: &str,
        params: &[(&str, &str)],
    ) -> anyhow::Result<Value> {
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let answer = match self.client.call(command, &owned).await? {
            Ok(v) => v,
            Err(e) => bail!("{command} failed: {e}"),
        };
        match pending_job(command, &answer) {
            Some(job) => match wait_job(&self.client, job, Duration::from_millis(100)).await? {
                Ok(v) => Ok(v),
                Err(e) => bail!("{command} failed: {e}"),
            },
            None => Ok(answer),
        }
    }

    pub(crate) async fn id(
        &self,
        command: &str,
        params: &[(&str, &str)],
        path: &[&str],
    ) -> anyhow::Result<String> {
        let v = self.call(command, params).await?;
        let mut at = &v;
        for p in path {
            at = match p.parse::<usize>() {
                Ok(i) => &at[i],
                Err(_) => &at[*p],
            };
        }
        at.as_str()
            .map(str::to_string)
            .with_context(|| format!("{command} returned no id: {v}"))
    }
}

/// What was built, for the operator.
pub struct Zone {
    pub name: String,
    pub id: String,
    pub hosts: usize,
}

/// Builds the zone unless one exists already; returns it (None if a zone was there).
pub async fn ensure_zone(
    url: &str,
    api_key: &str,
    secret_key: &str,
) -> anyhow::Result<Option<Zone>> {
    let api = Api::new(url, api_key, secret_key)?;
    if zone_exists(&api).await? {
        return Ok(None);
    }
    let name = "Sandbox-simulator";
    let built = build_zone(
        &api,
        &ZonePlan {
            name,
            isolation: "VLAN",
            guest_range: "100-200",
            hypervisor: "Simulator",
            pool_url: "nfs://10.147.28.6:/export/home/sandbox/primary0",
            pool_bytes: None,
            store_url: "nfs://10.147.28.6:/export/home/sandbox/secondary",
        },
    )
    .await?;
    let hosts = 4;
    for i in 0..hosts {
        let url = format!("http://sim/c0/h{i}");
        api.call(
            "addHost",
            &[
                ("zoneid", &built.zone),
                ("podid", &built.pod),
                ("clusterid", &built.cluster),
                ("hypervisor", "Simulator"),
                ("url", &url),
                ("username", "root"),
                ("password", "password"),
            ],
        )
        .await?;
    }
    enable_zone(&api, &built.zone).await?;
    wait_hosts_up(&api, &built.zone, hosts, Duration::from_secs(30)).await?;
    Ok(Some(Zone {
        name: name.to_string(),
        id: built.zone,
        hosts,
    }))
}

pub(crate) async fn zone_exists(api: &Api) -> anyhow::Result<bool> {
    Ok(api.call("listZones", &[]).await?.get("count").is_some())
}

/// What differs between the quickstart zones.
pub(crate) struct ZonePlan<'a> {
    pub name: &'a str,
    /// The physical network's isolation method (`VLAN`, `VXLAN`).
    pub isolation: &'a str,
    /// Guest VLAN ids or VXLAN VNIs.
    pub guest_range: &'a str,
    pub hypervisor: &'a str,
    pub pool_url: &'a str,
    /// capacitybytes of the primary storage pool, when the server cannot know it.
    pub pool_bytes: Option<u64>,
    pub store_url: &'a str,
}

/// The ids of a zone [`build_zone`] made.
pub(crate) struct Built {
    pub zone: String,
    pub pod: String,
    pub cluster: String,
}

/// An Advanced zone with its physical network (Guest, Management and Public traffic,
/// the VirtualRouter provider enabled), pod POD0, a public range, cluster C0, primary
/// storage PS0 and image store SS0; left disabled until its hosts are there.
pub(crate) async fn build_zone(api: &Api, plan: &ZonePlan<'_>) -> anyhow::Result<Built> {
    let zone = api
        .id(
            "createZone",
            &[
                ("name", plan.name),
                ("networktype", "Advanced"),
                ("dns1", "10.147.28.6"),
                ("internaldns1", "10.147.28.6"),
                ("guestcidraddress", "10.1.1.0/24"),
            ],
            &["zone", "id"],
        )
        .await?;
    let net = api
        .id(
            "createPhysicalNetwork",
            &[
                ("zoneid", &zone),
                ("name", "Sandbox-pnet"),
                ("isolationmethods", plan.isolation),
            ],
            &["physicalnetwork", "id"],
        )
        .await?;
    for traffic in ["Guest", "Management", "Public"] {
        api.call(
            "addTrafficType",
            &[("physicalnetworkid", &net), ("traffictype", traffic)],
        )
        .await?;
    }
    enable_virtual_router(api, &net).await?;
    api.call(
        "updatePhysicalNetwork",
        &[
            ("id", &net),
            ("state", "Enabled"),
            ("vlan", plan.guest_range),
        ],
    )
    .await?;
    let pod = api
        .id(
            "createPod",
            &[
                ("zoneid", &zone),
                ("name", "POD0"),
                ("gateway", "172.16.15.1"),
                ("netmask", "255.255.255.0"),
                ("startip", "172.16.15.2"),
                ("endip", "172.16.15.200"),
            ],
            &["pod", "id"],
        )
        .await?;
    api.call(
        "createVlanIpRange",
        &[
            ("zoneid", &zone),
            ("vlan", "50"),
            ("gateway", "10.147.31.1"),
            ("netmask", "255.255.255.0"),
            ("startip", "10.147.31.100"),
            ("endip", "10.147.31.200"),
            ("forvirtualnetwork", "true"),
        ],
    )
    .await?;
    let cluster = api
        .id(
            "addCluster",
            &[
                ("zoneid", &zone),
                ("podid", &pod),
                ("clustername", "C0"),
                ("hypervisor", plan.hypervisor),
                ("clustertype", "CloudManaged"),
            ],
            &["cluster", "0", "id"],
        )
        .await?;
    let pool_bytes = plan.pool_bytes.map(|b| b.to_string());
    let mut pool = vec![
        ("zoneid", zone.as_str()),
        ("podid", &pod),
        ("clusterid", &cluster),
        ("name", "PS0"),
        ("url", plan.pool_url),
        ("scope", "cluster"),
    ];
    if let Some(bytes) = &pool_bytes {
        pool.push(("capacitybytes", bytes));
    }
    api.call("createStoragePool", &pool).await?;
    api.call(
        "addImageStore",
        &[
            ("zoneid", &zone),
            ("name", "SS0"),
            ("provider", "NFS"),
            ("url", plan.store_url),
        ],
    )
    .await?;
    Ok(Built { zone, pod, cluster })
}

/// Enables the VirtualRouter provider of a physical network and its elements.
async fn enable_virtual_router(api: &Api, net: &str) -> anyhow::Result<()> {
    let providers = api
        .call("listNetworkServiceProviders", &[("physicalnetworkid", net)])
        .await?;
    for p in providers["networkserviceprovider"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (Some(pid), Some(pname)) = (p["id"].as_str(), p["name"].as_str()) else {
            continue;
        };
        if pname != "VirtualRouter" {
            continue;
        }
        let elements = api
            .call("listVirtualRouterElements", &[("nspid", pid)])
            .await?;
        for e in elements["virtualrouterelement"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(eid) = e["id"].as_str() {
                api.call(
                    "configureVirtualRouterElement",
                    &[("id", eid), ("enabled", "true")],
                )
                .await?;
            }
        }
        api.call(
            "updateNetworkServiceProvider",
            &[("id", pid), ("state", "Enabled")],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn enable_zone(api: &Api, zone: &str) -> anyhow::Result<()> {
    api.call(
        "updateZone",
        &[("id", zone), ("allocationstate", "Enabled")],
    )
    .await?;
    Ok(())
}

/// The zone is only ready for the operator once every simulated agent has connected:
/// addHost returns when the host row exists, its agent comes Up moments later.
pub(crate) async fn wait_hosts_up(
    api: &Api,
    zone: &str,
    hosts: usize,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let up = api
            .call("listHosts", &[("zoneid", zone), ("state", "Up")])
            .await?;
        let count = up["count"].as_u64().unwrap_or(0);
        if count >= hosts as u64 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("only {count} of {hosts} hosts came Up within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
