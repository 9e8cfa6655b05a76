//! The console of a real guest, as a browser's noVNC reaches it: createConsoleEndpoint's
//! URL opened as a websocket speaks RFB, the proxy has already logged in to QEMU's VNC
//! with the VM's password, and the guest's screen size arrives in ServerInit.

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::harness::KvmCloud;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next binary frame's bytes.
async fn frame(ws: &mut Ws) -> Vec<u8> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => return b.to_vec(),
            Some(Ok(Message::Close(c))) => panic!("closed: {c:?}"),
            Some(Ok(_)) => continue,
            other => panic!("no frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_console_url_is_an_rfb_websocket_to_the_guest_and_tokens_are_checked() {
    let Some(cloud) = KvmCloud::start().await else {
        return;
    };
    let vm = cloud.deploy("kvm-console").await;
    let id = vm["id"].as_str().expect("id").to_string();
    let name = vm["instancename"]
        .as_str()
        .expect("instancename")
        .to_string();
    cloud.wait_marker(&name, "STRATO-GUEST-UP", 1).await;

    let e = cloud
        .admin
        .ok("createConsoleEndpoint", &[("virtualmachineid", &id)])
        .await;
    let e = &e["consoleendpoint"];
    assert_eq!(e["success"], true, "{e}");
    let url = e["url"].as_str().expect("url");
    assert_eq!(e["websocket"]["path"], "/console/", "{e}");
    let ws_url = url.replacen("http://", "ws://", 1);

    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .expect("the console URL upgrades to a websocket");
    // The first frame is the RFB handshake.
    assert_eq!(frame(&mut ws).await, b"RFB 003.008\n");
    ws.send(Message::Binary(b"RFB 003.008\n".to_vec().into()))
        .await
        .expect("version");
    // One security type, None: the proxy did the VNC password itself.
    assert_eq!(frame(&mut ws).await, [1, 1]);
    ws.send(Message::Binary(vec![1].into()))
        .await
        .expect("None");
    assert_eq!(frame(&mut ws).await, [0, 0, 0, 0], "security result OK");
    // ClientInit → QEMU's ServerInit with the guest's screen.
    ws.send(Message::Binary(vec![1].into()))
        .await
        .expect("client init");
    let mut init = Vec::new();
    while init.len() < 24 {
        init.extend(frame(&mut ws).await);
    }
    let (w, h) = (
        u16::from_be_bytes([init[0], init[1]]),
        u16::from_be_bytes([init[2], init[3]]),
    );
    assert!(w >= 640 && h >= 400, "guest screen {w}x{h}");
    let _ = ws.close(None).await;

    // A token with one character changed, and a token whose VM no longer runs.
    let mut forged = ws_url.clone();
    let last = forged.pop().expect("token");
    forged.push(if last == '0' { '1' } else { '0' });
    match tokio_tungstenite::connect_async(&forged).await {
        Err(WsError::Http(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!("a forged token must be refused: {other:?}"),
    }
    cloud.job("stopVirtualMachine", &[("id", &id)]).await;
    match tokio_tungstenite::connect_async(&ws_url).await {
        Err(WsError::Http(r)) => assert_eq!(r.status().as_u16(), 409),
        other => panic!("a stopped VM has no console: {other:?}"),
    }
}
