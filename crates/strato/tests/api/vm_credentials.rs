//! Guest credentials: SSH key pairs and user data at deploy, resetPasswordForVirtualMachine
//! and getVMPassword (decrypted with createSSHKeyPair's private key), and
//! resetSSHKeyForVirtualMachine.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use serde_json::Value;

use crate::common::{Client, TestCloud, new_account};
use crate::vm_affinity::vm_of;
use crate::vms::{SimZone, deploy, sim_zone};

/// createSSHKeyPair's private key (PEM).
async fn key_pair(client: &Client, name: &str) -> String {
    client.ok("createSSHKeyPair", &[("name", name)]).await["keypair"]["privatekey"]
        .as_str()
        .expect("private key")
        .to_string()
}

/// getVMPassword's answer, decrypted with the key pair's private key.
async fn decrypted_password(client: &Client, vm: &str, private_pem: &str) -> String {
    let r = client.ok("getVMPassword", &[("id", vm)]).await;
    let sealed = STANDARD
        .decode(
            r["password"]["encryptedpassword"]
                .as_str()
                .expect("encrypted"),
        )
        .expect("base64");
    let key = rsa::PrivateKey::from_pkcs1_pem(private_pem).expect("PEM");
    let clear = key
        .decrypt(rsa::Pkcs1v15Encrypt, &sealed)
        .expect("decrypts with the key pair");
    String::from_utf8(clear).expect("utf-8")
}

async fn password_template(admin: &Client, z: &SimZone, enabled: &str) {
    admin
        .ok(
            "updateTemplate",
            &[("id", &z.template), ("passwordenabled", enabled)],
        )
        .await;
}

fn password_of(vm: &Value) -> String {
    let p = vm["password"].as_str().expect("password in the job result");
    assert!(p.len() >= 6, "{p}");
    p.to_string()
}

#[tokio::test]
async fn passwords_round_trip_through_the_vms_key_pair() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    password_template(&admin, &z, "true").await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let k1 = key_pair(&user, "k1").await;

    let vm = vm_of(&deploy(&user, &z, &[("keypair", "k1")]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    assert_eq!(vm["keypairs"], "k1");
    let first = password_of(&vm);
    assert_eq!(decrypted_password(&user, &id, &k1).await, first);
    // Listing never shows it again.
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert!(listed["virtualmachine"][0].get("password").is_none());

    let job = user
        .wait_job("resetPasswordForVirtualMachine", &[("id", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "running VM: {job}");
    vm_of(&user.wait_job("stopVirtualMachine", &[("id", &id)]).await);
    let reset = vm_of(
        &user
            .wait_job("resetPasswordForVirtualMachine", &[("id", &id)])
            .await,
    );
    let second = password_of(&reset);
    assert_ne!(second, first);
    assert_eq!(decrypted_password(&user, &id, &k1).await, second);

    // Another key pair: the next password is encrypted for it.
    let k2 = key_pair(&user, "k2").await;
    let rekeyed = vm_of(
        &user
            .wait_job(
                "resetSSHKeyForVirtualMachine",
                &[("id", &id), ("keypair", "k2")],
            )
            .await,
    );
    assert_eq!(rekeyed["keypairs"], "k2");
    let third = password_of(&rekeyed);
    assert_eq!(decrypted_password(&user, &id, &k2).await, third);

    // The VM still starts.
    let started = vm_of(&user.wait_job("startVirtualMachine", &[("id", &id)]).await);
    assert_eq!(started["state"], "Running");
    cloud.stop().await;
}

#[tokio::test]
async fn credentials_of_another_tenant_or_without_a_key_are_refused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    password_template(&admin, &z, "true").await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    key_pair(&user, "mine").await;
    key_pair(&other, "theirs").await;

    // No key pair: the password is answered once, but there is nothing to retrieve.
    let bare = vm_of(&deploy(&user, &z, &[("startvm", "false")]).await);
    let bare_id = bare["id"].as_str().expect("id").to_string();
    password_of(&bare);
    let text = user.err("getVMPassword", &[("id", &bare_id)], 431).await;
    assert!(text.contains("No password"), "{text}");

    let vm = vm_of(&deploy(&user, &z, &[("keypairs", "mine"), ("startvm", "false")]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    other.err("getVMPassword", &[("id", &id)], 531).await;
    for (cmd, extra) in [
        ("resetPasswordForVirtualMachine", None),
        ("resetSSHKeyForVirtualMachine", Some(("keypair", "theirs"))),
    ] {
        let mut p = vec![("id", id.as_str())];
        p.extend(extra);
        let job = other.wait_job(cmd, &p).await;
        assert_eq!(job["jobresult"]["errorcode"], 531, "{cmd}: {job}");
    }
    // Only the owner's key pairs.
    let job = user
        .wait_job(
            "resetSSHKeyForVirtualMachine",
            &[("id", &id), ("keypair", "theirs")],
        )
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    let job = user
        .wait_job("resetSSHKeyForVirtualMachine", &[("id", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "no key named: {job}");
    let listed = user.ok("listVirtualMachines", &[("id", &id)]).await;
    assert_eq!(listed["virtualmachine"][0]["keypairs"], "mine");

    // A template without passwords: nothing to reset.
    password_template(&admin, &z, "false").await;
    let job = user
        .wait_job("resetPasswordForVirtualMachine", &[("id", &id)])
        .await;
    assert_eq!(job["jobresult"]["errorcode"], 431, "{job}");
    let plain = vm_of(&deploy(&user, &z, &[("startvm", "false")]).await);
    assert!(plain.get("password").is_none(), "{plain}");
    cloud.stop().await;
}

#[tokio::test]
async fn deploy_checks_key_pairs_and_user_data() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "other", None, "0").await;
    key_pair(&other, "theirs").await;
    admin
        .ok(
            "updateConfiguration",
            &[("name", "vm.userdata.max.length"), ("value", "16")],
        )
        .await;
    let long = STANDARD.encode([7u8; 17]);
    let fits = STANDARD.encode([7u8; 16]);
    for (params, needle) in [
        (vec![("keypair", "theirs")], "keypairs"),
        (vec![("keypairs", "nope")], "keypairs"),
        (vec![("userdata", "not base64!")], "userdata"),
        (vec![("userdata", long.as_str())], "vm.userdata.max.length"),
    ] {
        let job = deploy(&user, &z, &params).await;
        assert_eq!(job["jobresult"]["errorcode"], 431, "{params:?}: {job}");
        let text = job["jobresult"]["errortext"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let vm = vm_of(&deploy(&user, &z, &[("userdata", &fits)]).await);
    let id = vm["id"].as_str().expect("id").to_string();
    user.err(
        "updateVirtualMachine",
        &[("id", &id), ("userdata", &long)],
        431,
    )
    .await;
    let all = admin
        .ok("listVirtualMachines", &[("listall", "true")])
        .await;
    assert_eq!(all["count"], 1, "refused deploys left nothing: {all}");
    cloud.stop().await;
}
