//! SSH key pairs: generated (the private key is shown once) or registered from a public
//! key, listed, and deleted by name.

use crate::spec::{ParamSpec, ParamType::*, Roles, *};

use super::{OWNER_SCOPE, PAGING};

/// The owner of a new (or named) resource: admins act for another account.
pub const OWNER: &[ParamSpec] = &[
    ParamSpec::new(
        "account",
        String,
        "Owner account name (admins); use together with domainid",
    ),
    ParamSpec::new("domainid", Uuid, "Owner account's domain (admins)").related("listDomains"),
];

const KEYPAIR_FIELDS: &[FieldSpec] = &[
    field("id", "string", "key pair id"),
    field("name", "string", "key pair name"),
    field(
        "fingerprint",
        "string",
        "MD5 fingerprint of the public key, colon-separated hex",
    ),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const CREATED_FIELDS: &[FieldSpec] = &[
    field("id", "string", "key pair id"),
    field("name", "string", "key pair name"),
    field(
        "fingerprint",
        "string",
        "MD5 fingerprint of the public key, colon-separated hex",
    ),
    field(
        "privatekey",
        "string",
        "the private key (PEM); shown only in this answer, never stored",
    ),
    field("account", "string", "owner account"),
    field("domainid", "string", "owner's domain id"),
    field("domain", "string", "owner's domain"),
    field("hasannotations", "boolean", "true if it has comments"),
];

const NAME: ParamSpec = ParamSpec::new("name", String, "Key pair name").required();

pub const CREATE_SSH_KEY_PAIR: CommandSpec = command(
    "createSSHKeyPair",
    "Generates an RSA key pair; the answer carries the private key, which is not kept",
    Roles::ALL,
    &[&[NAME], OWNER],
    object("keypair", CREATED_FIELDS),
)
.event("REGISTER.SSH.KEYPAIR");

pub const REGISTER_SSH_KEY_PAIR: CommandSpec = command(
    "registerSSHKeyPair",
    "Registers an existing OpenSSH public key under a name",
    Roles::ALL,
    &[
        &[
            NAME,
            ParamSpec::new(
                "publickey",
                String,
                "OpenSSH public key: ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-dss",
            )
            .required()
            .length(5120),
        ],
        OWNER,
    ],
    object("keypair", KEYPAIR_FIELDS),
)
.event("REGISTER.SSH.KEYPAIR");

pub const LIST_SSH_KEY_PAIRS: CommandSpec = command(
    "listSSHKeyPairs",
    "Lists SSH key pairs (public part only)",
    Roles::ALL,
    &[
        PAGING,
        OWNER_SCOPE,
        &[
            ParamSpec::new("id", Uuid, "Only this key pair"),
            ParamSpec::new("name", String, "Only the key pair with this name"),
            ParamSpec::new(
                "fingerprint",
                String,
                "Only the key pair with this fingerprint",
            ),
        ],
    ],
    list("sshkeypair", KEYPAIR_FIELDS),
);

pub const DELETE_SSH_KEY_PAIR: CommandSpec = command(
    "deleteSSHKeyPair",
    "Deletes an account's SSH key pair by name",
    Roles::ALL,
    &[&[NAME], OWNER],
    SUCCESS,
);
