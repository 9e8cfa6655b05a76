//! Serves extractTemplate/extractIso/extractVolume URLs: checks the signed token, then
//! streams the copy's file from its image store.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use strato_engine::images::extract;
use tokio_util::io::ReaderStream;

use crate::api::Shared;

pub async fn serve(
    State(state): State<Shared>,
    Path((token, _file)): Path<(String, String)>,
) -> Response {
    let engine = &state.engine;
    let Some((of, id)) = extract::verify(engine, &token) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "this download URL is invalid or has expired",
        );
    };
    let path = match extract::file(engine, of, id).await {
        Ok(p) => p,
        Err(why) => return refuse(StatusCode::NOT_FOUND, why),
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot open an extracted image");
            return refuse(StatusCode::NOT_FOUND, "the image file is missing");
        }
    };
    let len = file.metadata().await.map(|m| m.len()).ok();
    let mut resp = Body::from_stream(ReaderStream::with_capacity(file, 1 << 20)).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    resp
}

fn refuse(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
