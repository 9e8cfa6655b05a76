//! VM lifecycle commands beyond deploy/start/stop: guest credentials, ISOs, scaling,
//! restore, owner change and storage migration.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::vms::VM_FIELDS;

const VM_ID: ParamSpec = ParamSpec::new("id", Uuid, "VM id")
    .required()
    .related("listVirtualMachines");

pub const RESET_PASSWORD_FOR_VIRTUAL_MACHINE: CommandSpec = command(
    "resetPasswordForVirtualMachine",
    "Gives a stopped VM of a password-enabled template a new password, answered once",
    Roles::ALL,
    // CloudStack's optional `password` is not taken: the job's stored parameters would
    // hold it in clear.
    &[&[VM_ID]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("VM.RESETPASSWORD");

pub const GET_VM_PASSWORD: CommandSpec = command(
    "getVMPassword",
    "Returns a VM's password encrypted with its SSH key pair's public key",
    Roles::ALL,
    &[&[VM_ID]],
    object(
        "password",
        &[field(
            "encryptedpassword",
            "string",
            "the password, RSA-encrypted for the VM's key pair, base64",
        )],
    ),
);

pub const RESET_SSH_KEY_FOR_VIRTUAL_MACHINE: CommandSpec = command(
    "resetSSHKeyForVirtualMachine",
    "Gives a stopped VM other SSH key pairs of its owner",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new("keypair", String, "Key pair name").related("listSSHKeyPairs"),
        ParamSpec::new("keypairs", List, "Key pair names").related("listSSHKeyPairs"),
        ParamSpec::new(
            "account",
            String,
            "The key pairs' owner (admins; with domainid)",
        ),
        ParamSpec::new("domainid", Uuid, "That owner's domain").related("listDomains"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.legacy_response_name("resetSSHKeyforvirtualmachineresponse")
.event("VM.RESETSSHKEY");

const VIRTUAL_MACHINE_ID: ParamSpec = ParamSpec::new("virtualmachineid", Uuid, "VM id")
    .required()
    .related("listVirtualMachines");

const FORCED: ParamSpec = ParamSpec::new(
    "forced",
    Boolean,
    "Accepted for compatibility (VMware only)",
);

pub const ATTACH_ISO: CommandSpec = command(
    "attachIso",
    "Inserts an ISO into a VM's CD-ROM (one at a time)",
    Roles::ALL,
    &[&[
        ParamSpec::new("id", Uuid, "ISO id")
            .required()
            .related("listIsos"),
        VIRTUAL_MACHINE_ID,
        FORCED,
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("ISO.ATTACH");

pub const DETACH_ISO: CommandSpec = command(
    "detachIso",
    "Ejects the ISO from a VM's CD-ROM",
    Roles::ALL,
    &[&[VIRTUAL_MACHINE_ID, FORCED]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.event("ISO.DETACH");

pub const SCALE_VIRTUAL_MACHINE: CommandSpec = command(
    "scaleVirtualMachine",
    "Gives a VM another compute offering (a running VM only when dynamically scalable)",
    Roles::ALL,
    &[&[
        VM_ID,
        ParamSpec::new("serviceofferingid", Uuid, "The new compute offering")
            .required()
            .related("listServiceOfferings"),
    ]],
    // CloudStack's listApis declares success/displaytext; its job result is the VM
    // object, which is what this answers.
    object(
        "virtualmachine",
        &[
            field("success", "boolean", "true if the VM was scaled"),
            field("displaytext", "string", "any text"),
        ],
    ),
)
.asynchronous("VirtualMachine")
.event("VM.UPGRADE");

pub const RESTORE_VIRTUAL_MACHINE: CommandSpec = command(
    "restoreVirtualMachine",
    "Gives a stopped VM a fresh root volume from its template or another one",
    Roles::ALL,
    &[&[
        VIRTUAL_MACHINE_ID,
        ParamSpec::new("templateid", Uuid, "Template of the new root volume")
            .related("listTemplates"),
        ParamSpec::new(
            "rootdisksize",
            Long,
            "Root disk size in GB (at least the template's)",
        ),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.asynchronous("VirtualMachine")
.legacy_response_name("restorevmresponse")
.event("VM.RESTORE");

pub const ASSIGN_VIRTUAL_MACHINE: CommandSpec = command(
    "assignVirtualMachine",
    "Gives a stopped VM and its volumes to another account",
    Roles::ROOT_AND_DOMAIN_ADMIN,
    &[&[
        VIRTUAL_MACHINE_ID,
        ParamSpec::new("account", String, "The new owner (with domainid)"),
        ParamSpec::new("domainid", Uuid, "The new owner's domain").related("listDomains"),
        ParamSpec::new(
            "networkids",
            List,
            "The new owner's networks for the VM's NICs (required when it has NICs)",
        )
        .related("listNetworks"),
    ]],
    object("virtualmachine", VM_FIELDS),
)
.event("VM.MOVE");
