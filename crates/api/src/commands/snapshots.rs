//! Volume snapshots, their schedules (snapshot policies), templates made from volumes
//! and snapshots, and VM snapshots.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::templates::TEMPLATE_FIELDS;
use super::vms::VM_FIELDS;
use super::{OWNER_SCOPE, PAGING};

pub const SNAPSHOT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "snapshot id"),
    field("name", "string", "snapshot name"),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("volumeid", "string", "volume it was taken of"),
    field("volumename", "string", "that volume's name"),
    field("volumetype", "string", "that volume's type"),
    field("volumestate", "string", "that volume's state"),
    field(
        "snapshottype",
        "string",
        "MANUAL, HOURLY, DAILY, WEEKLY or MONTHLY",
    ),
    field(
        "intervaltype",
        "string",
        "interval of the policy that took it",
    ),
    field(
        "state",
        "string",
        "Creating, CreatedOnPrimary, BackedUp, Destroying, Error",
    ),
    field("virtualsize", "long", "size of the volume when taken"),
    field("physicalsize", "long", "bytes of the backup"),
    field("created", "date", "when it was taken"),
    field(
        "revertable",
        "boolean",
        "true if its volume can be reverted to it",
    ),
    field("locationtype", "string", "PRIMARY or SECONDARY"),
    field("datastoreid", "string", "image store holding the backup"),
    field("datastorename", "string", "that store's name"),
    field("datastoretype", "string", "Image"),
    field("tags", "list", "resource tags"),
    field("hasannotations", "boolean", "true if it has comments"),
];

pub const SNAPSHOT_POLICY_FIELDS: &[FieldSpec] = &[
    field("id", "string", "policy id"),
    field("volumeid", "string", "volume it snapshots"),
    field("volumename", "string", "that volume's name"),
    field(
        "intervaltype",
        "integer",
        "0 HOURLY, 1 DAILY, 2 WEEKLY, 3 MONTHLY",
    ),
    field("schedule", "string", "when in the interval"),
    field("timezone", "string", "time zone of the schedule"),
    field("maxsnaps", "integer", "snapshots kept"),
    field("fordisplay", "boolean", "true if shown to the owner"),
    field("tags", "list", "resource tags"),
    field("hasannotations", "boolean", "true if it has comments"),
];

pub const VM_SNAPSHOT_FIELDS: &[FieldSpec] = &[
    field("id", "string", "VM snapshot id"),
    field("name", "string", "its name"),
    field("displayname", "string", "name shown to users"),
    field("description", "string", "its description"),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("domainpath", "string", "path of the owner's domain"),
    field("virtualmachineid", "string", "VM it was taken of"),
    field("virtualmachinename", "string", "that VM's name"),
    field("zoneid", "string", "zone id"),
    field("zonename", "string", "zone name"),
    field("hypervisor", "string", "hypervisor of the VM"),
    field("parent", "string", "the snapshot it follows"),
    field("parentName", "string", "that snapshot's name"),
    field(
        "current",
        "boolean",
        "true if the VM was last reverted to or taken from it",
    ),
    field("type", "string", "Disk"),
    field(
        "state",
        "string",
        "Creating, Ready, Reverting, Expunging, Error",
    ),
    field("created", "date", "when it was taken"),
    field("tags", "list", "resource tags"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const SNAPSHOT_ID: ParamSpec = ParamSpec::new("id", Uuid, "Snapshot id")
    .required()
    .related("listSnapshots");

pub const CREATE_SNAPSHOT: CommandSpec = command(
    "createSnapshot",
    "Snapshots a volume and backs the snapshot up to the zone's image store",
    Roles::ALL,
    &[&[
        ParamSpec::new("volumeid", Uuid, "Volume to snapshot")
            .required()
            .related("listVolumes"),
        ParamSpec::new("name", String, "Snapshot name"),
        ParamSpec::new("account", String, "Owner account (admins; with domainid)"),
        ParamSpec::new("domainid", Uuid, "Owner's domain (admins)").related("listDomains"),
    ]],
    object("snapshot", SNAPSHOT_FIELDS),
)
.asynchronous("Snapshot")
.event("SNAPSHOT.CREATE");

pub const LIST_SNAPSHOTS: CommandSpec = command(
    "listSnapshots",
    "Lists volume snapshots",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this snapshot"),
            ParamSpec::new("ids", List, "Only these snapshots"),
            ParamSpec::new("name", String, "Only snapshots with this name"),
            ParamSpec::new("volumeid", Uuid, "Only snapshots of this volume")
                .related("listVolumes"),
            ParamSpec::new("snapshottype", String, "Only MANUAL or recurring snapshots"),
            ParamSpec::new("intervaltype", String, "Only snapshots of this interval"),
            ParamSpec::new("zoneid", Uuid, "Only snapshots in this zone").related("listZones"),
        ],
    ],
    list("snapshot", SNAPSHOT_FIELDS),
);

pub const DELETE_SNAPSHOT: CommandSpec = command(
    "deleteSnapshot",
    "Deletes a snapshot from primary and secondary storage",
    Roles::ALL,
    &[&[SNAPSHOT_ID]],
    SUCCESS,
)
.asynchronous("Snapshot")
.event("SNAPSHOT.DELETE");

pub const REVERT_SNAPSHOT: CommandSpec = command(
    "revertSnapshot",
    "Rolls a volume back to a snapshot (its VM must be stopped)",
    Roles::ALL,
    &[&[SNAPSHOT_ID]],
    object("snapshot", SNAPSHOT_FIELDS),
)
.asynchronous("Snapshot")
.event("SNAPSHOT.REVERT");

pub const CREATE_TEMPLATE: CommandSpec = command(
    "createTemplate",
    "Creates a template from a snapshot or from the root volume of a stopped VM",
    Roles::ALL,
    &[&[
        ParamSpec::new("name", String, "Template name").required(),
        ParamSpec::new("ostypeid", Uuid, "Guest OS type")
            .required()
            .related("listOsTypes"),
        ParamSpec::new("displaytext", String, "Description (default: the name)"),
        ParamSpec::new("snapshotid", Uuid, "Snapshot to create it from").related("listSnapshots"),
        ParamSpec::new("volumeid", Uuid, "Volume to create it from").related("listVolumes"),
        ParamSpec::new("ispublic", Boolean, "true: every account may use it"),
        ParamSpec::new("isfeatured", Boolean, "true: featured (root admins)"),
        ParamSpec::new(
            "passwordenabled",
            Boolean,
            "true: its VMs' passwords can be reset",
        ),
        ParamSpec::new(
            "isdynamicallyscalable",
            Boolean,
            "true: its VMs can be scaled live",
        ),
        ParamSpec::new("bits", Integer, "32 or 64"),
    ]],
    object("template", TEMPLATE_FIELDS),
)
.asynchronous("Template")
.event("TEMPLATE.CREATE");

pub const CREATE_SNAPSHOT_POLICY: CommandSpec = command(
    "createSnapshotPolicy",
    "Schedules recurring snapshots of a volume (replacing its policy of that interval)",
    Roles::ALL,
    &[&[
        ParamSpec::new("volumeid", Uuid, "Volume")
            .required()
            .related("listVolumes"),
        ParamSpec::new("intervaltype", String, "HOURLY, DAILY, WEEKLY or MONTHLY").required(),
        ParamSpec::new(
            "schedule",
            String,
            "mm (HOURLY), mm:HH (DAILY), mm:HH:D (WEEKLY, 1 = Sunday) or mm:HH:DD (MONTHLY)",
        )
        .required(),
        ParamSpec::new(
            "timezone",
            String,
            "Time zone of the schedule: UTC or GMT+hh:mm",
        )
        .required(),
        ParamSpec::new(
            "maxsnaps",
            Integer,
            "Snapshots kept; older ones are deleted",
        )
        .required(),
        ParamSpec::new(
            "fordisplay",
            Boolean,
            "false: hide it from its owner (admins)",
        ),
    ]],
    object("snapshotpolicy", SNAPSHOT_POLICY_FIELDS),
)
.event("SNAPSHOTPOLICY.CREATE");

pub const LIST_SNAPSHOT_POLICIES: CommandSpec = command(
    "listSnapshotPolicies",
    "Lists snapshot policies",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this policy"),
            ParamSpec::new("volumeid", Uuid, "Only policies of this volume").related("listVolumes"),
            ParamSpec::new(
                "fordisplay",
                Boolean,
                "Only shown (true) or hidden policies",
            ),
        ],
    ],
    list("snapshotpolicy", SNAPSHOT_POLICY_FIELDS),
);

pub const UPDATE_SNAPSHOT_POLICY: CommandSpec = command(
    "updateSnapshotPolicy",
    "Changes whether a snapshot policy is shown to its owner",
    Roles::ALL,
    &[&[
        ParamSpec::new("id", Uuid, "Policy id").related("listSnapshotPolicies"),
        ParamSpec::new(
            "fordisplay",
            Boolean,
            "false: hide it from its owner (admins)",
        ),
    ]],
    object("snapshotpolicy", SNAPSHOT_POLICY_FIELDS),
)
.asynchronous("Snapshot")
.event("SNAPSHOTPOLICY.UPDATE");

pub const DELETE_SNAPSHOT_POLICIES: CommandSpec = command(
    "deleteSnapshotPolicies",
    "Deletes snapshot policies",
    Roles::ALL,
    &[&[
        ParamSpec::new("id", Uuid, "Policy id").related("listSnapshotPolicies"),
        ParamSpec::new("ids", List, "Policy ids"),
    ]],
    SUCCESS,
)
.event("SNAPSHOTPOLICY.DELETE");

const VM_SNAPSHOT_ID: ParamSpec = ParamSpec::new("vmsnapshotid", Uuid, "VM snapshot id")
    .required()
    .related("listVMSnapshot");

pub const CREATE_VM_SNAPSHOT: CommandSpec = command(
    "createVMSnapshot",
    "Snapshots every volume of a VM at once",
    Roles::ALL,
    &[&[
        ParamSpec::new("virtualmachineid", Uuid, "VM")
            .required()
            .related("listVirtualMachines"),
        ParamSpec::new("name", String, "Display name"),
        ParamSpec::new("description", String, "Description"),
        ParamSpec::new(
            "snapshotmemory",
            Boolean,
            "true: include memory (not supported)",
        ),
        ParamSpec::new("quiescevm", Boolean, "Quiesce the guest first (ignored)"),
    ]],
    object("vmsnapshot", VM_SNAPSHOT_FIELDS),
)
.asynchronous("VMSnapshot")
.event("VMSNAPSHOT.CREATE");

pub const LIST_VM_SNAPSHOT: CommandSpec = command(
    "listVMSnapshot",
    "Lists VM snapshots",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("vmsnapshotid", Uuid, "Only this VM snapshot"),
            ParamSpec::new("vmsnapshotids", List, "Only these VM snapshots"),
            ParamSpec::new("virtualmachineid", Uuid, "Only snapshots of this VM")
                .related("listVirtualMachines"),
            ParamSpec::new("name", String, "Only snapshots with this name"),
            ParamSpec::new("state", String, "Only snapshots in this state"),
        ],
    ],
    list("vmSnapshot", VM_SNAPSHOT_FIELDS),
);

pub const REVERT_TO_VM_SNAPSHOT: CommandSpec = command(
    "revertToVMSnapshot",
    "Rolls every volume of a stopped VM back to a VM snapshot",
    Roles::ALL,
    &[&[VM_SNAPSHOT_ID]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VMSNAPSHOT.REVERTTO");

pub const DELETE_VM_SNAPSHOT: CommandSpec = command(
    "deleteVMSnapshot",
    "Deletes a VM snapshot",
    Roles::ALL,
    &[&[VM_SNAPSHOT_ID]],
    SUCCESS,
)
.asynchronous("VMSnapshot")
.event("VMSNAPSHOT.DELETE");
