//! createSSHKeyPair, registerSSHKeyPair, listSSHKeyPairs, deleteSSHKeyPair, and the
//! key pair lookup deployVirtualMachine uses.

use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::ssh_keypair::{KeyPairFilter, KeyPairRow, NewKeyPair};

use super::ssh_key_format::{self, PublicKey};
use super::{check_name, owned};
use crate::{Ctx, access, paging};

pub async fn create_ssh_key_pair(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = key_name(&args)?;
    {
        let mut db = ctx.engine.store.acquire().await?;
        let owner = owned::owner(&mut db.c(), &ctx.caller, &args).await?;
        check_name_free(&mut db.c(), &owner, &name).await?;
    }
    let generated = tokio::task::spawn_blocking(ssh_key_format::generate)
        .await
        .map_err(|e| ApiError::internal(format!("key generation stopped: {e}")))?
        .map_err(|e| {
            tracing::error!(error = %e, "RSA key generation failed");
            ApiError::internal("unable to generate a key pair")
        })?;
    let row = save(&ctx, &args, &name, &generated.public).await?;
    Ok(Reply::Object(
        entry("keypair", &row).str("privatekey", generated.private_pem),
    ))
}

pub async fn register_ssh_key_pair(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = key_name(&args)?;
    let key = ssh_key_format::parse_public(args.required_str("publickey")?).ok_or_else(|| {
        ApiError::param(
            "Invalid parameter publickey: not an OpenSSH public key (expected \
             \"ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256|... BASE64 [comment]\")",
        )
    })?;
    let row = save(&ctx, &args, &name, &key).await?;
    Ok(Reply::Object(entry("keypair", &row)))
}

fn key_name(args: &Args) -> Result<String, ApiError> {
    let name = args.required_str("name")?.trim().to_string();
    check_name("name", &name)?;
    Ok(name)
}

async fn check_name_free(c: &mut Conn<'_>, owner: &AccountRow, name: &str) -> Result<(), ApiError> {
    if c.keypairs_by_names(owner.id, &[name.to_string()])
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(ApiError::param(format!(
            "Invalid parameter name: a key pair named '{name}' already exists for account {}",
            owner.name
        )))
    }
}

/// Stores the public key under the owner; the name and the key are unique per account.
async fn save(ctx: &Ctx, args: &Args, name: &str, key: &PublicKey) -> Result<KeyPairRow, ApiError> {
    let mut db = ctx.engine.store.begin().await?;
    let mut c = db.c();
    let owner = owned::owner(&mut c, &ctx.caller, args).await?;
    check_name_free(&mut c, &owner, name).await?;
    if let Some(other) = c.keypair_by_fingerprint(owner.id, &key.fingerprint).await? {
        return Err(ApiError::param(format!(
            "Invalid parameter publickey: the same key is already registered as '{}'",
            other.name
        )));
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    c.insert_keypair(
        &NewKeyPair {
            uuid: &uuid,
            account_id: owner.id,
            name,
            fingerprint: &key.fingerprint,
            public_key: &key.text,
        },
        strato_schema::now(),
    )
    .await
    .map_err(|e| {
        // A concurrent request registered the same name or key first.
        if e.is_unique_violation() {
            ApiError::param("Invalid parameter name: that key pair name or key is already taken")
        } else {
            e.into()
        }
    })?;
    let row = c
        .keypairs_by_names(owner.id, &[name.to_string()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("the new key pair is gone"))?;
    db.commit().await?;
    Ok(row)
}

pub async fn list_ssh_key_pairs(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let page = paging::page(&args, &ctx.engine.settings)?;
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let scope = access::list_scope(&mut c, &ctx.caller, &args, false).await?;
    let filter = KeyPairFilter {
        scope: owned::scope(scope),
        uuid: args.uuid("id").map(str::to_string),
        name: args.str("name").map(str::to_string),
        fingerprint: args.str("fingerprint").map(str::to_string),
        keyword: args.str("keyword").map(str::to_string),
    };
    let (total, rows) = c.list_keypairs(&filter, page).await?;
    Ok(Reply::list(
        usize::try_from(total).unwrap_or(0),
        rows.iter().map(|k| entry("sshkeypair", k)).collect(),
    ))
}

pub async fn delete_ssh_key_pair(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let name = args.required_str("name")?.trim();
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let owner = owned::owner(&mut c, &ctx.caller, &args).await?;
    let key = c
        .keypairs_by_names(owner.id, &[name.to_string()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::param(format!(
                "Invalid parameter name: no key pair named '{name}' exists for account {}",
                owner.name
            ))
        })?;
    c.delete_keypair(key.id).await?;
    Ok(Reply::success())
}

/// The account's key pairs with these names, in the order asked; a name the account
/// does not have is a 431 naming it (for deployVirtualMachine's `keypair`/`keypairs`).
pub async fn keypairs_by_names(
    c: &mut Conn<'_>,
    account_id: i64,
    names: &[String],
) -> Result<Vec<KeyPairRow>, ApiError> {
    let found = c.keypairs_by_names(account_id, names).await?;
    names
        .iter()
        .map(|n| {
            found.iter().find(|k| &k.name == n).cloned().ok_or_else(|| {
                ApiError::param(format!(
                    "Invalid parameter keypairs: no key pair named '{n}' exists for the \
                         VM's account"
                ))
            })
        })
        .collect()
}

fn entry(object: &str, k: &KeyPairRow) -> Obj {
    let o = Obj::new(object)
        .str("id", &k.uuid)
        .str("name", &k.name)
        .str("fingerprint", &k.fingerprint);
    owned::with_owner(o, &k.account_name, &k.domain_uuid, &k.domain_name, None)
        .bool("hasannotations", false)
}
