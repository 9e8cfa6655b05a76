//! createConsoleEndpoint and the console proxy's refusals, on a Simulator zone (whose
//! VMs have no screen). The real RFB session through the proxy is tested against a KVM
//! guest in the `kvm` test target, and the VNC login against QEMU in strato-server.

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::common::{TestCloud, new_account};
use crate::vms::{deploy, sim_zone};

/// Opens `url` (http) as a websocket; the HTTP status when refused.
async fn ws_status(url: &str) -> Result<(), u16> {
    let ws_url = url.replacen("http://", "ws://", 1);
    match tokio_tungstenite::connect_async(ws_url).await {
        Ok((mut ws, _)) => {
            let _ = ws.next().await;
            Ok(())
        }
        Err(WsError::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("websocket error: {e}"),
    }
}

#[tokio::test]
async fn console_endpoints_are_only_for_the_owner_and_bad_tokens_are_refused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin().await;
    let z = sim_zone(&admin, &[""]).await;
    let (user, _) = new_account(&admin, "tenant", None, "0").await;
    let (other, _) = new_account(&admin, "intruder", None, "0").await;
    let job = deploy(&user, &z, &[]).await;
    let id = job["jobresult"]["virtualmachine"]["id"]
        .as_str()
        .expect("vm id")
        .to_string();

    let apis = user
        .ok("listApis", &[("name", "createConsoleEndpoint")])
        .await;
    assert_eq!(apis["count"], 1, "{apis}");

    // The Simulator has no screen: CloudStack's "success false" with the reason.
    let e = user
        .ok("createConsoleEndpoint", &[("virtualmachineid", &id)])
        .await;
    assert_eq!(e["consoleendpoint"]["success"], false, "{e}");
    assert!(
        e["consoleendpoint"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("Simulator")),
        "{e}"
    );
    // Another account's VM, a VM that does not exist, a missing or bad parameter.
    other
        .err("createConsoleEndpoint", &[("virtualmachineid", &id)], 531)
        .await;
    user.err(
        "createConsoleEndpoint",
        &[("virtualmachineid", "3f1e4c52-9d43-4a4e-8f6e-0c9a3b1d2e7f")],
        431,
    )
    .await;
    let text = user.err("createConsoleEndpoint", &[], 431).await;
    assert!(text.contains("virtualmachineid"), "{text}");
    user.err(
        "createConsoleEndpoint",
        &[("virtualmachineid", &id), ("token", "a b;rm")],
        431,
    )
    .await;

    // The proxy: no token, a forged one, an expired one (signed by the server itself,
    // so only the expiry is wrong) are all 403 before any upgrade.
    let base = format!("http://{}/console/", cloud.addr());
    assert_eq!(ws_status(&base).await, Err(403));
    assert_eq!(
        ws_status(&format!("{base}?token=1.9999999999.{}", "0".repeat(64))).await,
        Err(403)
    );
    let engine = &cloud.server.as_ref().expect("server").engine;
    let past = strato_schema::now().timestamp() - 1;
    let sig = strato_engine::signing::sign(engine, &format!("console.1.{past}.")).expect("sign");
    assert_eq!(
        ws_status(&format!("{base}?token=1.{past}.{sig}")).await,
        Err(403)
    );
    // A plain GET (no websocket) says what the URL is for.
    let plain = reqwest::get(&base).await.expect("get");
    assert_eq!(plain.status().as_u16(), 426);
}
