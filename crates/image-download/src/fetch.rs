//! Getting the bytes into the part file: redirects checked hop by hop, retries with
//! backoff, resuming with Range requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::StatusCode;
use hyper::header::{CONTENT_LENGTH, CONTENT_RANGE, LOCATION};
use tokio_rustls::rustls::ClientConfig;
use url::Url;

use crate::http::{self, Answer, SendError};
use crate::part::PartFile;
use crate::policy::{self, AllowedSites, Resolve};
use crate::{DownloadError, DownloadOptions, Progress};

const MAX_REDIRECTS: usize = 5;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// An attempt's failure: whether another attempt may succeed.
enum Failure {
    Retry(DownloadError),
    Stop(DownloadError),
}

impl From<SendError> for Failure {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Transient(m) => Failure::Retry(DownloadError::Network(m)),
            SendError::Fatal(m) => Failure::Stop(DownloadError::Network(m)),
        }
    }
}

pub(crate) struct Fetcher<'a, F> {
    url: &'a Url,
    allowed: &'a AllowedSites,
    options: &'a DownloadOptions,
    progress: F,
    /// Built on the first https hop only: loading the CA store costs a directory scan.
    tls: Option<Arc<ClientConfig>>,
}

impl<'a, F: Fn(Progress)> Fetcher<'a, F> {
    pub(crate) fn new(
        url: &'a Url,
        allowed: &'a AllowedSites,
        options: &'a DownloadOptions,
        progress: F,
    ) -> Self {
        Self {
            url,
            allowed,
            options,
            progress,
            tls: None,
        }
    }

    /// Fills `part` with the whole body, retrying transient failures.
    pub(crate) async fn run(&mut self, part: &mut PartFile) -> Result<(), DownloadError> {
        let attempts = self.options.max_attempts.max(1);
        let mut delay = self.options.retry_backoff;
        let mut attempt = 1;
        loop {
            match self.attempt(part).await {
                Ok(()) => return Ok(()),
                Err(Failure::Stop(e)) => return Err(e),
                Err(Failure::Retry(DownloadError::Network(m))) if attempt >= attempts => {
                    return Err(DownloadError::Network(format!(
                        "{m} (gave up after {attempts} attempts)"
                    )));
                }
                Err(Failure::Retry(e)) if attempt >= attempts => return Err(e),
                Err(Failure::Retry(e)) => {
                    tracing::warn!(url = %self.url, attempt, error = %e, "image download attempt failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_BACKOFF);
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&mut self, part: &mut PartFile) -> Result<(), Failure> {
        let (mut answer, url) = self.open(part.len()).await?;
        let status = answer.response.status();
        let total = match status {
            StatusCode::PARTIAL_CONTENT if part.len() > 0 => {
                let (start, total) = content_range(&answer).ok_or_else(|| {
                    Failure::Retry(DownloadError::Network(format!(
                        "{url} answered 206 without a usable Content-Range"
                    )))
                })?;
                let asked = part.len();
                if start != asked {
                    // Not where we asked to resume: start over on the next attempt.
                    part.restart().await.map_err(Failure::Stop)?;
                    return Err(Failure::Retry(DownloadError::Network(format!(
                        "{url} resumed at byte {start} instead of {asked}"
                    ))));
                }
                total
            }
            StatusCode::OK => {
                if part.len() > 0 {
                    part.restart().await.map_err(Failure::Stop)?;
                }
                content_length(&answer)
            }
            s if s.is_server_error() => return Err(Failure::Retry(http_error(s, &url))),
            s => return Err(Failure::Stop(http_error(s, &url))),
        };
        self.stream_body(&mut answer, part, total).await
    }

    /// Sends the request, following redirects by hand so each hop is checked. A
    /// part the server will not resume (416) is asked for again from byte 0; the
    /// 200 that answers that empties the part.
    async fn open(&mut self, offset: u64) -> Result<(Answer, Url), Failure> {
        let (answer, url) = self.follow(offset).await?;
        if answer.response.status() == StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 {
            drop(answer);
            return self.follow(0).await;
        }
        Ok((answer, url))
    }

    async fn follow(&mut self, offset: u64) -> Result<(Answer, Url), Failure> {
        let mut url = self.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let addrs = policy::resolve_checked(&url, self.allowed)
                .await
                .map_err(|e| match e {
                    Resolve::Failed(m) => Failure::Retry(DownloadError::Network(m)),
                    Resolve::Refused(m) => Failure::Stop(DownloadError::Refused(m)),
                })?;
            let tls = match url.scheme() {
                "https" => Some(self.tls_config()?),
                _ => None,
            };
            let answer = http::get(&url, &addrs, offset, self.options, tls).await?;
            let status = answer.response.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                return Ok((answer, url));
            }
            let location = answer
                .response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Failure::Stop(http_error(status, &url)))?;
            url = url.join(location).map_err(|e| {
                Failure::Stop(DownloadError::Refused(format!(
                    "redirect to an invalid URL '{location}': {e}"
                )))
            })?;
        }
        Err(Failure::Stop(DownloadError::TooManyRedirects(
            MAX_REDIRECTS,
        )))
    }

    fn tls_config(&mut self) -> Result<Arc<ClientConfig>, Failure> {
        if let Some(config) = &self.tls {
            return Ok(config.clone());
        }
        let config = http::tls_config().map_err(|m| Failure::Stop(DownloadError::Network(m)))?;
        self.tls = Some(config.clone());
        Ok(config)
    }

    async fn stream_body(
        &self,
        answer: &mut Answer,
        part: &mut PartFile,
        total: Option<u64>,
    ) -> Result<(), Failure> {
        let idle = self.options.idle_timeout;
        let mut reporter = Reporter::new(total);
        let body = answer.response.body_mut();
        loop {
            let frame = tokio::time::timeout(idle, body.frame())
                .await
                .map_err(|_| {
                    Failure::Retry(DownloadError::Network(format!(
                        "no data received for {idle:?}"
                    )))
                })?;
            match frame {
                None => break,
                Some(Err(e)) => {
                    return Err(Failure::Retry(DownloadError::Network(format!(
                        "transfer interrupted at byte {}: {e}",
                        part.len()
                    ))));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        part.append(&data).await.map_err(Failure::Stop)?;
                        reporter.advance(part.len(), &self.progress);
                    }
                }
            }
        }
        if let Some(total) = total
            && part.len() != total
        {
            return Err(Failure::Retry(DownloadError::Network(format!(
                "transfer ended at byte {} of {total}",
                part.len()
            ))));
        }
        reporter.finish(part.len(), &self.progress);
        Ok(())
    }
}

fn http_error(status: StatusCode, url: &Url) -> DownloadError {
    DownloadError::Http {
        status: status.as_u16(),
        url: url.to_string(),
    }
}

fn content_length(answer: &Answer) -> Option<u64> {
    answer
        .response
        .headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// `Content-Range: bytes START-END/TOTAL` → (START, TOTAL if known).
fn content_range(answer: &Answer) -> Option<(u64, Option<u64>)> {
    let value = answer
        .response
        .headers()
        .get(CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

/// Calls the progress callback when another 1% is done or 500 ms have passed.
struct Reporter {
    total: Option<u64>,
    step: u64,
    last_done: u64,
    last_at: Instant,
}

impl Reporter {
    fn new(total: Option<u64>) -> Self {
        Self {
            total,
            step: total.map_or(u64::MAX, |t| (t / 100).max(1)),
            last_done: 0,
            last_at: Instant::now(),
        }
    }

    fn advance(&mut self, done: u64, progress: &impl Fn(Progress)) {
        if done.saturating_sub(self.last_done) >= self.step
            || self.last_at.elapsed() >= PROGRESS_INTERVAL
        {
            self.emit(done, progress);
        }
    }

    fn finish(&mut self, done: u64, progress: &impl Fn(Progress)) {
        if done != self.last_done || done == 0 {
            self.emit(done, progress);
        }
    }

    fn emit(&mut self, done: u64, progress: &impl Fn(Progress)) {
        progress(Progress {
            done,
            total: self.total,
        });
        self.last_done = done;
        self.last_at = Instant::now();
    }
}
