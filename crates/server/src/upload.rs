//! The POST endpoint of getUploadParamsForTemplate/Iso: checks CloudStack's signed
//! headers (X-signature, X-metadata, X-expires), streams the file (a multipart form
//! field, as CloudStack's UI sends it, or a raw body) into the image store and hands
//! it to the engine for the same checks a download gets.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use strato_engine::images::upload::{self, Accepted};
use tokio::io::AsyncWriteExt;

use crate::api::Shared;

pub async fn receive(
    State(state): State<Shared>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let accepted = match upload::accept(
        &state.engine,
        &uuid,
        h("x-metadata"),
        h("x-expires"),
        h("x-signature"),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return (StatusCode::FORBIDDEN, e).into_response(),
    };
    let received = receive_file(&accepted, request).await;
    match upload::finish(&state.engine, &accepted, received).await {
        Ok(()) => (StatusCode::OK, "upload complete").into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

/// Streams the file into `<name>.part` (or counts it, for a simulated store).
async fn receive_file(a: &Accepted, request: Request) -> Result<PathBuf, String> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut sink = Sink::open(a).await?;
    let result = if multipart {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| format!("bad multipart form: {e}"))?;
        let mut found = false;
        while let Some(mut field) = form
            .next_field()
            .await
            .map_err(|e| format!("bad multipart form: {e}"))?
        {
            if field.name() != Some("file") && field.file_name().is_none() {
                continue;
            }
            found = true;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| format!("upload interrupted: {e}"))?
            {
                sink.write(&chunk).await?;
            }
            break;
        }
        if found {
            Ok(())
        } else {
            Err("the form has no file field".to_string())
        }
    } else {
        let mut body = Body::into_data_stream(request.into_body());
        let mut result = Ok(());
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) => {
                    if let Err(e) = sink.write(&c).await {
                        result = Err(e);
                        break;
                    }
                }
                Err(e) => {
                    result = Err(format!("upload interrupted: {e}"));
                    break;
                }
            }
        }
        result
    };
    match result {
        Ok(()) => sink.close().await,
        Err(e) => {
            sink.discard().await;
            Err(e)
        }
    }
}

/// Where the bytes go: a part file, or nowhere (simulated store).
struct Sink {
    file: Option<(tokio::fs::File, PathBuf)>,
    written: u64,
    max: u64,
}

impl Sink {
    async fn open(a: &Accepted) -> Result<Sink, String> {
        let file = match &a.dir {
            Some(dir) => {
                let path = dir.join(format!("{}.part", a.file_name));
                let f = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                Some((f, path))
            }
            None => None,
        };
        Ok(Sink {
            file,
            written: 0,
            max: a.max_bytes,
        })
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), String> {
        self.written += data.len() as u64;
        if self.written > self.max {
            return Err(format!(
                "the file is larger than max.template.iso.size ({} bytes)",
                self.max
            ));
        }
        if let Some((f, path)) = &mut self.file {
            f.write_all(data)
                .await
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    async fn close(self) -> Result<PathBuf, String> {
        match self.file {
            Some((f, path)) => {
                f.sync_all()
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(path)
            }
            None => Ok(PathBuf::new()),
        }
    }

    async fn discard(self) {
        if let Some((f, path)) = self.file {
            drop(f);
            let _ = tokio::fs::remove_file(&path).await;
        }
    }
}
