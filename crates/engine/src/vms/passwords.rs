//! Guest credentials: SSH key pairs and user data given at deploy,
//! resetSSHKeyForVirtualMachine, resetPasswordForVirtualMachine and getVMPassword.
//!
//! A new password is answered once, in the job's result. It is kept only encrypted
//! with the VM's first RSA key pair (CloudStack's `Encrypted.Password` detail, what
//! getVMPassword answers), never in clear, and never logged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use strato_api::params::Args;
use strato_api::response::{Obj, Reply};
use strato_common::ApiError;
use strato_schema::Conn;
use strato_schema::account::AccountRow;
use strato_schema::vm::VmRow;

use super::{bad_state, view, vm_by_param};
use crate::handlers::{owned, ssh_key_format, ssh_keys};
use crate::{Ctx, Engine};

/// The `resource_detail` holding the encrypted password.
const DETAIL: &str = "Encrypted.Password";
const RESOURCE: &str = "UserVm";

/// Characters of generated passwords (no 0/O, 1/l/I look-alikes).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The key pair names of `keypair` and `keypairs`, checked against the owner's key
/// pairs, comma-joined as the VM object shows them.
pub async fn keypairs(
    c: &mut Conn<'_>,
    owner: &AccountRow,
    args: &Args,
) -> Result<Option<String>, ApiError> {
    let mut names: Vec<String> = args
        .str("keypair")
        .map(str::to_string)
        .into_iter()
        .collect();
    for n in args.list("keypairs").unwrap_or_default() {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    ssh_keys::keypairs_by_names(c, owner.id, &names).await?;
    Ok(Some(names.join(",")))
}

/// `userdata`: base64 whose decoded size is at most `vm.userdata.max.length` bytes.
pub fn user_data(engine: &Engine, args: &Args) -> Result<Option<String>, ApiError> {
    let Some(text) = args.str("userdata") else {
        return Ok(None);
    };
    let decoded = STANDARD.decode(text.trim()).map_err(|_| {
        ApiError::param("Invalid parameter userdata: user data must be base64 encoded")
    })?;
    let max = engine.settings.i64("vm.userdata.max.length");
    if i64::try_from(decoded.len()).unwrap_or(i64::MAX) > max {
        return Err(ApiError::param(format!(
            "Invalid parameter userdata: user data is {} bytes, longer than \
             vm.userdata.max.length ({max})",
            decoded.len()
        )));
    }
    Ok(Some(text.trim().to_string()))
}

/// A new random password of `vm.password.length` characters.
fn generate(engine: &Engine) -> String {
    let len = usize::try_from(engine.settings.i64("vm.password.length").clamp(6, 64)).unwrap_or(6);
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// Gives the VM a new random password and returns it; it is kept encrypted for the
/// VM's first RSA key pair, or not at all.
async fn issue(
    c: &mut Conn<'_>,
    engine: &Engine,
    vm: &VmRow,
    keypairs: Option<&str>,
) -> Result<String, ApiError> {
    let password = generate(engine);
    let names: Vec<String> = keypairs
        .unwrap_or_default()
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    let keys = c.keypairs_by_names(vm.account_id, &names).await?;
    let encrypted = names
        .iter()
        .filter_map(|n| keys.iter().find(|k| &k.name == n))
        .find_map(|k| encrypt(&k.public_key, &password));
    match encrypted {
        Some(e) => c.set_detail(RESOURCE, vm.id, DETAIL, &e).await?,
        None => c.delete_detail(RESOURCE, vm.id, DETAIL).await?,
    }
    Ok(password)
}

/// Drops the VM's stored password (its key pairs' owner changes).
pub async fn forget(c: &mut Conn<'_>, vm_id: i64) -> Result<(), ApiError> {
    Ok(c.delete_detail(RESOURCE, vm_id, DETAIL).await?)
}

/// RSA PKCS#1 v1.5 encryption with an `ssh-rsa` key, base64 (what CloudStack clients
/// decrypt with the key pair's private key).
fn encrypt(public_key: &str, password: &str) -> Option<String> {
    let key = ssh_key_format::rsa_public(public_key)?;
    let sealed = key
        .encrypt(&mut rand::rng(), rsa::Pkcs1v15Encrypt, password.as_bytes())
        .ok()?;
    Some(STANDARD.encode(sealed))
}

/// The VM object with a new password when its template is password enabled (the
/// answer of a deploy).
pub async fn with_new_password(engine: &Engine, id: i64, reply: Reply) -> Result<Reply, ApiError> {
    let Reply::Object(obj) = reply else {
        return Ok(reply);
    };
    let mut db = engine.store.acquire().await?;
    let mut c = db.c();
    let vm = super::vm_record(&mut c, id).await?;
    if !vm.password_enabled {
        return Ok(Reply::Object(obj));
    }
    let password = issue(&mut c, engine, &vm, vm.keypairs.as_deref()).await?;
    Ok(Reply::Object(obj.str("password", password)))
}

/// The VM named by `id` if it is Stopped (password and key resets need that here:
/// there is no running password server to hand a new one to).
async fn stopped_vm(
    c: &mut Conn<'_>,
    ctx: &Ctx,
    args: &Args,
    what: &str,
) -> Result<VmRow, ApiError> {
    let vm = vm_by_param(c, &ctx.caller, args).await?;
    if vm.state != "Stopped" {
        return Err(bad_state(&vm, &format!("{what} (stop it first)")));
    }
    Ok(vm)
}

async fn answer(engine: &Engine, id: i64, password: Option<String>) -> Result<Reply, ApiError> {
    let reply = view::vm_reply(engine, id).await?;
    Ok(match (reply, password) {
        (Reply::Object(o), Some(p)) => Reply::Object(o.str("password", p)),
        (reply, _) => reply,
    })
}

/// resetPasswordForVirtualMachine: a new password for a stopped VM of a
/// password-enabled template, returned once.
pub async fn reset_password_for_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let vm = stopped_vm(&mut c, &ctx, &args, "reset the password of").await?;
    if !vm.password_enabled {
        return Err(ApiError::param(format!(
            "Fail to reset password for the virtual machine {}: its template is not \
             password enabled",
            vm.uuid
        )));
    }
    let password = issue(&mut c, &ctx.engine, &vm, vm.keypairs.as_deref()).await?;
    tx.commit().await?;
    answer(&ctx.engine, vm.id, Some(password)).await
}

/// resetSSHKeyForVirtualMachine: other key pairs of the VM's owner for a stopped VM;
/// a password-enabled template also gets a new password, encrypted for the new key.
pub async fn reset_ssh_key_for_virtual_machine(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut tx = ctx.engine.store.begin().await?;
    let mut c = tx.c();
    let vm = stopped_vm(&mut c, &ctx, &args, "reset the SSH key of").await?;
    if args.has("account") || args.has("domainid") {
        // Names the key pairs' owner, which must be the VM's.
        let named = owned::owner(&mut c, &ctx.caller, &args).await?;
        if named.id != vm.account_id {
            return Err(ApiError::param(
                "Invalid parameter account: the key pairs must belong to the VM's account",
            ));
        }
    }
    let owner = c
        .account_by_id(vm.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the VM's owner is gone"))?;
    let names = keypairs(&mut c, &owner, &args)
        .await?
        .ok_or_else(|| ApiError::param("Parameter keypair or keypairs is required"))?;
    if !c.set_vm_keypairs(vm.id, vm.update_count, &names).await? {
        return Err(crate::handlers::concurrent_change("virtual machine"));
    }
    let password = if vm.password_enabled {
        Some(issue(&mut c, &ctx.engine, &vm, Some(&names)).await?)
    } else {
        None
    };
    tx.commit().await?;
    answer(&ctx.engine, vm.id, password).await
}

/// getVMPassword: the password encrypted for the VM's key pair.
pub async fn get_vm_password(ctx: Ctx, args: Args) -> Result<Reply, ApiError> {
    let mut db = ctx.engine.store.acquire().await?;
    let mut c = db.c();
    let vm = vm_by_param(&mut c, &ctx.caller, &args).await?;
    let encrypted = c
        .detail(RESOURCE, vm.id, DETAIL)
        .await?
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            ApiError::param(format!(
                "No password for VM {} found: only a VM of a password-enabled template with \
                 an SSH key pair has one to retrieve",
                vm.uuid
            ))
        })?;
    Ok(Reply::Object(
        Obj::new("password").str("encryptedpassword", encrypted),
    ))
}
