//! The console proxy: `GET /console/?token=…` upgraded to a websocket becomes the VM's
//! VNC session (see strato-engine `console`). The token is checked and the proxy logs in
//! to the host's VNC server before the upgrade, so a bad token or an unreachable console
//! is a plain HTTP error; after it, the browser speaks RFB 3.8 with security "None" and
//! the bytes are relayed both ways.

pub mod rfb;

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use strato_common::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api::Shared;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the browser has for each handshake answer.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
pub struct ConsoleQuery {
    token: Option<String>,
    /// The `token` given to createConsoleEndpoint, when the client gave one.
    #[serde(default)]
    extra: String,
}

pub async fn serve(
    State(state): State<Shared>,
    Query(q): Query<ConsoleQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "This is a console websocket (RFB over websocket, as noVNC speaks it): \
             open it with a websocket VNC client.\n",
        )
            .into_response();
    };
    let token = q.token.unwrap_or_default();
    let target = match strato_engine::console::target(&state.engine, &token, &q.extra).await {
        Ok(t) => t,
        Err(e) => {
            let status = match e.code {
                ErrorCode::AccountError => StatusCode::FORBIDDEN,
                ErrorCode::Internal => StatusCode::BAD_GATEWAY,
                _ => StatusCode::CONFLICT,
            };
            return (status, format!("{}\n", e.text)).into_response();
        }
    };
    let addr = format!("{}:{}", target.address, target.port);
    let vnc = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return unreachable_console(&target.vm, &addr, &e.to_string()),
        Err(_) => return unreachable_console(&target.vm, &addr, "timed out"),
    };
    let mut vnc = vnc;
    if let Err(e) = rfb::login(&mut vnc, &target.password).await {
        return unreachable_console(&target.vm, &addr, &e.to_string());
    }
    tracing::info!(vm = %target.vm, %addr, "console session opened");
    let vm = target.vm;
    ws.protocols(["binary"])
        .on_upgrade(move |socket| async move {
            if let Err(e) = relay(socket, vnc).await {
                tracing::info!(%vm, error = %e, "console session ended");
            }
        })
        .into_response()
}

fn unreachable_console(vm: &str, addr: &str, why: &str) -> Response {
    tracing::warn!(%vm, %addr, error = %why, "cannot reach a console");
    (
        StatusCode::BAD_GATEWAY,
        "the instance's console cannot be reached on its host\n",
    )
        .into_response()
}

/// Bytes of the browser's side of the stream, gathered across websocket messages.
struct Browser {
    socket: WebSocket,
    pending: Vec<u8>,
}

impl Browser {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.socket
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .map_err(|e| e.to_string())
    }

    /// The next `n` bytes the browser sends.
    async fn take(&mut self, n: usize) -> Result<Vec<u8>, String> {
        while self.pending.len() < n {
            let next = tokio::time::timeout(BROWSER_TIMEOUT, self.socket.next())
                .await
                .map_err(|_| "the browser did not answer the handshake".to_string())?;
            match next {
                Some(Ok(Message::Binary(b))) => self.pending.extend_from_slice(&b),
                Some(Ok(Message::Text(t))) => self.pending.extend_from_slice(t.as_bytes()),
                Some(Ok(Message::Close(_))) | None => return Err("the browser left".into()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
            }
        }
        Ok(self.pending.drain(..n).collect())
    }
}

async fn relay(socket: WebSocket, mut vnc: TcpStream) -> Result<(), String> {
    let mut browser = Browser {
        socket,
        pending: Vec::new(),
    };
    browser.send(rfb::VERSION).await?;
    if !rfb::browser_version_ok(&browser.take(12).await?) {
        return Err("the browser does not speak RFB 3.x".into());
    }
    browser.send(rfb::TO_BROWSER_SECURITY).await?;
    let choice = browser.take(1).await?;
    if !choice.first().is_some_and(|c| rfb::browser_choice_ok(*c)) {
        return Err("the browser chose another security type".into());
    }
    browser.send(rfb::TO_BROWSER_OK).await?;
    // What the browser sent beyond the handshake (its ClientInit) goes on to VNC.
    if !browser.pending.is_empty() {
        vnc.write_all(&browser.pending)
            .await
            .map_err(|e| e.to_string())?;
    }
    let (mut to_browser, mut from_browser) = browser.socket.split();
    let (mut vnc_read, mut vnc_write) = vnc.into_split();
    let upstream = async {
        while let Some(msg) = from_browser.next().await {
            let bytes = match msg.map_err(|e| e.to_string())? {
                Message::Binary(b) => b.to_vec(),
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Close(_) => break,
                _ => continue,
            };
            vnc_write
                .write_all(&bytes)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    };
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = vnc_read.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            to_browser
                .send(Message::Binary(buf[..n].to_vec().into()))
                .await
                .map_err(|e| e.to_string())?;
        }
        let _ = to_browser.send(Message::Close(None)).await;
        Ok::<(), String>(())
    };
    // Either side ending ends the session.
    tokio::select! {
        r = upstream => r,
        r = downstream => r,
    }
}
