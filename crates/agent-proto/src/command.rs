//! The commands the management server sends to a host, and the specs they carry.
//!
//! Every command is idempotent: sending it again after a lost answer or a timeout must
//! succeed without doing the work twice (a `StartVm` for a running VM answers the running
//! VM, a `DeleteVolume` for a missing volume succeeds, ...). Orchestration relies on this
//! to retry safely.
//!
//! Each command documents the [`AnswerData`](crate::AnswerData) variant it answers with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A command for one host. Serialised with a `"cmd"` tag (`{"cmd": "StopVm", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd")]
pub enum Command {
    /// Is the host ready to take work? → `Done`.
    ReadyCheck,
    /// CPU, memory, storage and network figures for the host → `HostStats`.
    GetHostStats,
    /// A health probe → `Health`.
    CheckHealth,
    /// The host is entering maintenance → `Done`.
    MaintainHost,

    /// Define and power on a VM → `Vm`. Starting a VM that already runs with the same
    /// `uuid` answers it as is.
    StartVm(VmSpec),
    /// Power off a VM → `Done`. Stopping a stopped or unknown VM succeeds.
    StopVm {
        name: String,
        #[serde(default)]
        force: bool,
    },
    /// Reboot a running VM → `Done`. Fails if the VM is not running.
    RebootVm { name: String },
    /// Power off and forget a VM (its volumes stay) → `Done`. Succeeds if unknown.
    DestroyVm { name: String },
    /// Power state of the named VMs; no names means every VM of the host → `VmStates`.
    /// Unknown names are reported as `Missing`.
    GetVmState {
        #[serde(default)]
        names: Vec<String>,
    },
    /// Where the running VM's VNC console listens on this host → `Vm` (its `vnc_port`;
    /// `None` when it has no console). Fails with `not_found` if the VM is not running.
    GetVncPort { name: String },
    /// Usage figures of the named running VMs; no names means all → `VmStats`.
    GetVmStats {
        #[serde(default)]
        names: Vec<String>,
    },
    /// Sent to the destination before a migration: check capacity, plug networks and
    /// storage for `spec` → `Done`. With storage motion, `spec` names each moving volume
    /// where it will be (its `VolumeMigration::dest`, created beforehand).
    PrepareForMigration(VmSpec),
    /// Live-migrate a running VM to another host → `Done`. Succeeds if the VM already
    /// runs on the destination and not here (a retried migration).
    MigrateVm {
        name: String,
        dest_host_guid: String,
        /// Address of the destination on the migration network, if not the default.
        #[serde(default)]
        dest_ip: Option<String>,
        /// Storage motion: the VM's volumes whose contents are copied to other pools
        /// while it moves (the destination volumes exist already). Empty: every volume
        /// stays where it is, on storage both hosts reach. A driver that cannot copy
        /// storage live refuses a non-empty map with `Unsupported`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        volume_map: Vec<VolumeMigration>,
    },

    /// Create a volume on a pool mounted by this host, empty or as a linked clone of a
    /// template → `Volume`. Succeeds with the existing volume if it is already there.
    CreateVolume {
        pool_uuid: String,
        volume_uuid: String,
        size_bytes: u64,
        #[serde(default)]
        template: Option<TemplateRef>,
        /// How the volume reserves space (the disk offering's provisioning type);
        /// absent means thin.
        #[serde(default)]
        provisioning: Option<Provisioning>,
    },
    /// Copy a template into a pool ahead of the first volume made from it → `Done`.
    /// Succeeds at once if the pool has it already.
    PrepareTemplate {
        pool_uuid: String,
        template: TemplateRef,
    },
    /// Copy a volume (between pools, or to a new uuid) → `Volume`.
    CopyVolume { src: VolumeRef, dest: VolumeRef },
    /// Delete a volume and its snapshots → `Done`. Succeeds if already gone.
    DeleteVolume { volume: VolumeRef },
    /// Grow (or, with `shrink_ok`, shrink) a volume → `Volume`.
    ResizeVolume {
        volume: VolumeRef,
        new_size_bytes: u64,
        #[serde(default)]
        shrink_ok: bool,
    },
    /// Hot-plug a volume into a VM → `Done`. Succeeds if already attached there.
    AttachVolume {
        vm_name: String,
        volume: VolumeRef,
        device_id: u32,
    },
    /// Unplug a volume from a VM → `Done`. Succeeds if not attached.
    DetachVolume { vm_name: String, volume: VolumeRef },
    /// Insert an ISO into a VM's CD-ROM → `Done`.
    AttachIso { vm_name: String, iso: IsoRef },
    /// Eject the VM's ISO → `Done`. Succeeds if the drive is empty.
    DetachIso { vm_name: String },
    /// Snapshot a volume on primary storage → `Snapshot`. Succeeds with the existing
    /// snapshot if `snapshot_uuid` already exists.
    CreateSnapshot {
        volume: VolumeRef,
        snapshot_uuid: String,
    },
    /// Delete a snapshot → `Done`. Succeeds if already gone.
    DeleteSnapshot {
        volume: VolumeRef,
        snapshot_uuid: String,
    },
    /// Roll a volume back to a snapshot → `Volume`.
    RevertSnapshot {
        volume: VolumeRef,
        snapshot_uuid: String,
    },
    /// Copy a snapshot to secondary storage → `SnapshotBackup`.
    BackupSnapshot {
        volume: VolumeRef,
        snapshot_uuid: String,
        /// The image store URL (`nfs://host/path`).
        secondary_url: String,
    },

    /// Create (or find) the bridge for a guest/public network → `Network`.
    SetupNetwork(NetworkSpec),
    /// Mount / register a primary storage pool on this host → `Pool`.
    ModifyStoragePool(PoolSpec),
    /// Unmount a pool from this host (its data stays) → `Done`. Succeeds if not mounted.
    DeleteStoragePool { pool_uuid: String },
}

impl Command {
    /// Our name of the command, as serialised (`"StartVm"`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ReadyCheck => "ReadyCheck",
            Self::GetHostStats => "GetHostStats",
            Self::CheckHealth => "CheckHealth",
            Self::MaintainHost => "MaintainHost",
            Self::StartVm(_) => "StartVm",
            Self::StopVm { .. } => "StopVm",
            Self::RebootVm { .. } => "RebootVm",
            Self::DestroyVm { .. } => "DestroyVm",
            Self::GetVmState { .. } => "GetVmState",
            Self::GetVncPort { .. } => "GetVncPort",
            Self::GetVmStats { .. } => "GetVmStats",
            Self::PrepareForMigration(_) => "PrepareForMigration",
            Self::MigrateVm { .. } => "MigrateVm",
            Self::CreateVolume { .. } => "CreateVolume",
            Self::PrepareTemplate { .. } => "PrepareTemplate",
            Self::CopyVolume { .. } => "CopyVolume",
            Self::DeleteVolume { .. } => "DeleteVolume",
            Self::ResizeVolume { .. } => "ResizeVolume",
            Self::AttachVolume { .. } => "AttachVolume",
            Self::DetachVolume { .. } => "DetachVolume",
            Self::AttachIso { .. } => "AttachIso",
            Self::DetachIso { .. } => "DetachIso",
            Self::CreateSnapshot { .. } => "CreateSnapshot",
            Self::DeleteSnapshot { .. } => "DeleteSnapshot",
            Self::RevertSnapshot { .. } => "RevertSnapshot",
            Self::BackupSnapshot { .. } => "BackupSnapshot",
            Self::SetupNetwork(_) => "SetupNetwork",
            Self::ModifyStoragePool(_) => "ModifyStoragePool",
            Self::DeleteStoragePool { .. } => "DeleteStoragePool",
        }
    }

    /// The CloudStack agent command class this corresponds to (`"StartCommand"`), so
    /// `configureSimulator name=StartCommand` finds it. `None` where CloudStack has no
    /// single equivalent.
    pub fn cloudstack_name(&self) -> Option<&'static str> {
        Some(match self {
            Self::ReadyCheck => "ReadyCommand",
            Self::GetHostStats => "GetHostStatsCommand",
            Self::CheckHealth => "CheckHealthCommand",
            Self::MaintainHost => "MaintainCommand",
            Self::StartVm(_) => "StartCommand",
            Self::StopVm { .. } => "StopCommand",
            Self::RebootVm { .. } => "RebootCommand",
            Self::GetVmState { .. } => "CheckVirtualMachineCommand",
            Self::GetVncPort { .. } => "GetVncPortCommand",
            Self::GetVmStats { .. } => "GetVmStatsCommand",
            Self::PrepareForMigration(_) => "PrepareForMigrationCommand",
            Self::MigrateVm { .. } => "MigrateCommand",
            Self::CreateVolume { .. } => "CreateCommand",
            Self::PrepareTemplate { .. } => "PrimaryStorageDownloadCommand",
            Self::CopyVolume { .. } => "CopyVolumeCommand",
            Self::DeleteVolume { .. } => "DestroyCommand",
            Self::ResizeVolume { .. } => "ResizeVolumeCommand",
            Self::AttachVolume { .. } => "AttachCommand",
            Self::DetachVolume { .. } => "DettachCommand",
            Self::AttachIso { .. } | Self::DetachIso { .. } => "AttachIsoCommand",
            Self::CreateSnapshot { .. } | Self::DeleteSnapshot { .. } => "ManageSnapshotCommand",
            Self::RevertSnapshot { .. } => "RevertSnapshotCommand",
            Self::BackupSnapshot { .. } => "BackupSnapshotCommand",
            Self::ModifyStoragePool(_) => "ModifyStoragePoolCommand",
            Self::DeleteStoragePool { .. } => "DeleteStoragePoolCommand",
            Self::DestroyVm { .. } | Self::SetupNetwork(_) => return None,
        })
    }
}

/// Everything a host needs to run a VM (CloudStack's `VirtualMachineTO`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmSpec {
    /// The instance name on the hypervisor (`i-2-10-VM`).
    pub name: String,
    pub uuid: String,
    pub cpus: u32,
    pub cpu_speed_mhz: u64,
    pub memory_bytes: u64,
    #[serde(default)]
    pub os_type: Option<String>,
    #[serde(default)]
    pub nics: Vec<NicSpec>,
    #[serde(default)]
    pub volumes: Vec<DiskSpec>,
    /// Boot order; empty means disk first, then CD-ROM.
    #[serde(default)]
    pub boot: Vec<BootDevice>,
    #[serde(default)]
    pub vnc_password: Option<String>,
    /// Free-form details (`cpu.corespersocket`, `rootDiskController`, ...).
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

/// A boot device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootDevice {
    Disk,
    Cdrom,
    Network,
}

/// One NIC of a VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicSpec {
    pub device_id: u32,
    pub mac: String,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub gateway: Option<String>,
    /// The network the NIC plugs into (set up on demand, as `SetupNetwork` would).
    pub network: NetworkSpec,
    /// The NIC carrying the default route.
    #[serde(default)]
    pub default: bool,
}

/// One disk of a VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpec {
    pub device_id: u32,
    pub kind: DiskKind,
    pub source: DiskSource,
}

/// What a disk is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskKind {
    Root,
    Data,
    Cdrom,
}

/// What backs a disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiskSource {
    Volume(VolumeRef),
    Iso(IsoRef),
    /// An empty CD-ROM drive.
    Empty,
}

/// A volume on a primary storage pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VolumeRef {
    pub pool_uuid: String,
    pub volume_uuid: String,
}

/// One volume of a migrating VM moving to another pool (`src` → `dest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMigration {
    pub src: VolumeRef,
    pub dest: VolumeRef,
}

/// A template to clone a root volume from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub uuid: String,
    /// Where the template lives on secondary storage (`nfs://.../template.qcow2`).
    #[serde(default)]
    pub url: Option<String>,
    /// Virtual size of the template's disk.
    pub size_bytes: u64,
    /// `QCOW2`, `RAW`, ...
    #[serde(default)]
    pub format: Option<String>,
}

/// How a new volume reserves its space (CloudStack's `Storage.ProvisioningType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provisioning {
    /// Nothing reserved up front.
    Thin,
    /// Metadata allocated up front.
    Sparse,
    /// Every block reserved up front.
    Fat,
}

/// An ISO on secondary storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsoRef {
    pub uuid: String,
    /// Path or URL of the ISO file.
    pub path: String,
}

/// How a network is isolated on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Isolation {
    Untagged,
    Vlan { id: u16 },
    Vxlan { vni: u32 },
}

/// A network a host must be able to plug VMs into.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkSpec {
    pub isolation: Isolation,
    /// Use this bridge instead of the derived name (`brvx-<vni>`, `br<dev>-<vlan>`).
    #[serde(default)]
    pub bridge: Option<String>,
    /// Parent interface / traffic label for the VLAN or VXLAN device.
    #[serde(default)]
    pub physical_interface: Option<String>,
    #[serde(default)]
    pub mtu: Option<u32>,
    /// The guest subnet the host serves DHCP/DNS for; None for L2 networks and for
    /// older managers.
    #[serde(default)]
    pub dhcp: Option<DhcpSpec>,
}

/// What a host needs to hand out a guest network's addresses (CloudStack's virtual
/// router role): the subnet, its gateway and DNS servers. The MAC → address pairs come
/// with the NICs (`NicSpec::mac`, `NicSpec::ip`) of the VMs started on the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DhcpSpec {
    /// The guest network's uuid: one DHCP server per network on a host.
    pub network_uuid: String,
    /// `10.1.1.0/24`.
    pub cidr: String,
    pub gateway: String,
    /// DNS servers handed to guests, in order (the network's, else the zone's).
    #[serde(default)]
    pub dns: Vec<String>,
    /// The network domain guests are given (`cs2cloud.internal`).
    #[serde(default)]
    pub domain: Option<String>,
}

/// The kind of a primary storage pool (CloudStack's `StoragePoolType` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PoolKind {
    /// Host-local directory (local storage).
    Filesystem,
    NetworkFilesystem,
    SharedMountPoint,
    #[serde(rename = "RBD")]
    Rbd,
}

impl PoolKind {
    /// True for pools shared by several hosts.
    pub fn is_shared(self) -> bool {
        !matches!(self, Self::Filesystem)
    }
}

/// A primary storage pool to mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSpec {
    pub uuid: String,
    pub kind: PoolKind,
    /// NFS server or Ceph monitor; empty for local pools.
    #[serde(default)]
    pub host: Option<String>,
    /// Export path, mount point or directory.
    pub path: String,
    /// Capacity to assume when the driver cannot measure it (the simulator uses it).
    #[serde(default)]
    pub capacity_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_tagged_by_name_and_round_trip() -> Result<(), serde_json::Error> {
        let stop = Command::StopVm {
            name: "i-2-3-VM".into(),
            force: true,
        };
        let json = serde_json::to_value(&stop)?;
        assert_eq!(
            json,
            serde_json::json!({"cmd": "StopVm", "name": "i-2-3-VM", "force": true})
        );
        assert_eq!(serde_json::from_value::<Command>(json)?, stop);
        let ready: Command = serde_json::from_str(r#"{"cmd":"ReadyCheck"}"#)?;
        assert_eq!(ready, Command::ReadyCheck);
        let net = Command::SetupNetwork(NetworkSpec {
            isolation: Isolation::Vxlan { vni: 5001 },
            bridge: None,
            physical_interface: None,
            mtu: None,
            dhcp: None,
        });
        let back: Command = serde_json::from_value(serde_json::to_value(&net)?)?;
        assert_eq!(back, net);
        Ok(())
    }

    #[test]
    fn a_migration_without_volume_map_parses_and_serialises_as_before()
    -> Result<(), serde_json::Error> {
        let old =
            serde_json::json!({"cmd": "MigrateVm", "name": "i-2-3-VM", "dest_host_guid": "h2"});
        let parsed: Command = serde_json::from_value(old.clone())?;
        let Command::MigrateVm { volume_map, .. } = &parsed else {
            panic!("not a MigrateVm: {parsed:?}");
        };
        assert!(volume_map.is_empty());
        let mut json = serde_json::to_value(&parsed)?;
        assert_eq!(
            json.as_object_mut().and_then(|o| o.remove("dest_ip")),
            Some(serde_json::Value::Null)
        );
        assert_eq!(json, old);
        Ok(())
    }

    #[test]
    fn names_are_unique() {
        let all = [
            Command::ReadyCheck,
            Command::GetHostStats,
            Command::CheckHealth,
            Command::MaintainHost,
            Command::DestroyVm {
                name: String::new(),
            },
            Command::GetVmState { names: vec![] },
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(Command::name).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(Command::ReadyCheck.cloudstack_name(), Some("ReadyCommand"));
        assert_eq!(
            Command::DestroyVm {
                name: String::new()
            }
            .cloudstack_name(),
            None
        );
    }
}
