//! File upload: [`Client::upload_file`], the documented `uploadFile`.
//!
//! Uploading is two HTTP calls (as `uploadFile` of `@botpress/client` 1.45.0 makes them):
//! 1. `upsertFile` (`PUT /v1/files`) creates the file record: the key, the computed `size` and
//!    any other field of [`types::UpsertFileBody`] as given; the response carries the file
//!    and its pre-signed `uploadUrl`;
//! 2. a bare `PUT` of the content to `uploadUrl`, used verbatim, with `Content-Type` copied
//!    from the upsert *response*'s `file.contentType`, a `Content-Length`, and
//!    `x-amz-tagging: public=true` only when `publicContentImmediatelyAccessible` is set. This
//!    request goes through the raw HTTP client, not the API transport: no `Authorization`,
//!    no identity or custom headers, no retry.
//!
//! The file returned is the upsert's, with its `size`; its `status` still reads
//! `upload_pending` (the service processes the upload afterwards; poll `getFile` if needed).
//!
//! ```no_run
//! use botpress::files::UploadSource;
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! // From bytes (or a `String`), with a tag and a public URL available immediately.
//! let file = client
//!     .upload_file("docs/hello.txt", "hello world")
//!     .tags([("lang", "en")])
//!     .access_policies([botpress::types::FileAccessPolicy::PublicContent])
//!     .public_content_immediately_accessible(true)
//!     .send()
//!     .await?;
//! println!("{} is at {}", file.key, file.url);
//!
//! // From a local file, reporting progress; any other upsert field through `body_map`.
//! let file = client
//!     .upload_file("reports/q3.pdf", UploadSource::path("q3.pdf"))
//!     .body_map(|b| b.index(true))
//!     .on_progress(|sent, total| println!("{sent}/{total} bytes"))
//!     .send()
//!     .await?;
//!
//! // From a URL (downloaded first with a plain GET, without any Botpress header).
//! let file = client
//!     .upload_file("images/logo.png", UploadSource::url("https://example.com/logo.png"))
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};

use crate::helper_error::{invalid_input, require_non_empty};
use crate::{Client, Error, types};

/// Bytes per chunk of a streamed upload (when a progress callback is set).
pub const UPLOAD_CHUNK: usize = 64 * 1024;

/// Where the content of an upload comes from.
#[derive(Clone, Debug)]
pub enum UploadSource {
    /// These bytes (a string is sent as its UTF-8 bytes).
    Bytes(Bytes),
    /// The content of this local file.
    Path(PathBuf),
    /// The body of a plain `GET` of this URL (sent without any Botpress header).
    Url(String),
}

impl UploadSource {
    /// Content from bytes.
    pub fn bytes(content: impl Into<Bytes>) -> Self {
        Self::Bytes(content.into())
    }

    /// Content read from a local file.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// Content downloaded from `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Self::Url(url.into())
    }
}

impl From<Bytes> for UploadSource {
    fn from(b: Bytes) -> Self {
        Self::Bytes(b)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(b.into())
    }
}

impl From<&'static [u8]> for UploadSource {
    fn from(b: &'static [u8]) -> Self {
        Self::Bytes(Bytes::from_static(b))
    }
}

impl From<String> for UploadSource {
    fn from(s: String) -> Self {
        Self::Bytes(s.into())
    }
}

impl From<&str> for UploadSource {
    fn from(s: &str) -> Self {
        Self::Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

/// A progress callback: `(bytes sent so far, total bytes)`.
type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// An upload being configured; see [`Client::upload_file`] and the [module docs](self).
#[must_use = "nothing is uploaded until `send` is awaited"]
pub struct UploadFile<'c> {
    client: &'c Client,
    key: String,
    body: types::UpsertFileBodyBuilder,
    source: UploadSource,
    progress: Option<Progress>,
}

impl std::fmt::Debug for UploadFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("key", &self.key)
            .field("body", &self.body)
            .field("source", &self.source)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// An upload that failed. When the file record was already created (the content `PUT`
/// failed), [`file`](Self::file) returns it, so the upload can be retried or the record
/// deleted. Converts into [`botpress::Error`](crate::Error) with `?`.
#[derive(Debug)]
pub struct UploadError {
    file: Option<Box<types::UploadableFile>>,
    message: String,
    error: Error,
}

impl UploadError {
    /// The file created by `upsertFile` (status `upload_pending`), when the failure came
    /// after it.
    pub fn file(&self) -> Option<&types::UploadableFile> {
        self.file.as_deref()
    }

    /// The underlying error: the API error of the upsert, bad input, or the failure of the
    /// content `PUT` (its HTTP status in [`Error::status`]).
    pub fn error(&self) -> &Error {
        &self.error
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.file.is_some() {
            f.write_str(&self.message)
        } else {
            self.error.fmt(f)
        }
    }
}

impl std::error::Error for UploadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<Error> for UploadError {
    fn from(error: Error) -> Self {
        Self {
            file: None,
            message: error.to_string(),
            error,
        }
    }
}

impl From<UploadError> for Error {
    fn from(e: UploadError) -> Self {
        e.error
    }
}

impl Client {
    /// Uploads `source` as the file `key`: `upsertFile`, then a bare `PUT` of the content to
    /// the returned upload URL; returns the file. See the [module docs](crate::files).
    ///
    /// An empty key or empty content is an error before any request to the API.
    pub fn upload_file(
        &self,
        key: impl Into<String>,
        source: impl Into<UploadSource>,
    ) -> UploadFile<'_> {
        let key = key.into();
        UploadFile {
            client: self,
            body: types::UpsertFileBody::builder().key(key.clone()),
            key,
            source: source.into(),
            progress: None,
        }
    }
}

impl UploadFile<'_> {
    /// Edits the `upsertFile` body (every field but `key` and `size`, which this helper sets).
    pub fn body_map(
        mut self,
        f: impl FnOnce(types::UpsertFileBodyBuilder) -> types::UpsertFileBodyBuilder,
    ) -> Self {
        self.body = f(self.body);
        self
    }

    /// The file's tags.
    pub fn tags<K: Into<String>, V: Into<String>>(
        self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.body_map(|b| b.tags(tags))
    }

    /// The content type (else the service infers it from the key's extension).
    pub fn content_type(self, content_type: impl Into<String>) -> Self {
        let content_type = content_type.into();
        self.body_map(|b| b.content_type(content_type))
    }

    /// The access policies (`public_content`, `integrations`).
    pub fn access_policies(
        self,
        policies: impl IntoIterator<Item = types::FileAccessPolicy>,
    ) -> Self {
        self.body_map(|b| b.access_policies(policies))
    }

    /// `publicContentImmediatelyAccessible`: the content `PUT` then carries
    /// `x-amz-tagging: public=true`, as the service requires.
    pub fn public_content_immediately_accessible(self, on: bool) -> Self {
        self.body_map(|b| b.public_content_immediately_accessible(on))
    }

    /// Calls `progress(sent, total)` as the content is sent (in chunks of
    /// [`UPLOAD_CHUNK`] bytes; the request keeps its `Content-Length`).
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The content, from wherever it is.
    async fn content(&self) -> Result<Bytes, Error> {
        let content = match &self.source {
            UploadSource::Bytes(b) => b.clone(),
            UploadSource::Path(path) => {
                tokio::fs::read(path).await.map(Bytes::from).map_err(|e| {
                    invalid_input(format!(
                        "cannot read upload content from {}: {e}",
                        path.display()
                    ))
                })?
            }
            UploadSource::Url(url) => {
                let response = self
                    .client
                    .http
                    .get(url)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| {
                        Error::transport(
                            format!("cannot download the upload content from {url}"),
                            e,
                        )
                    })?;
                response.bytes().await.map_err(|e| {
                    Error::transport(format!("cannot read the upload content from {url}"), e)
                })?
            }
        };
        if content.is_empty() {
            return Err(invalid_input(format!(
                "no content was provided for the file {:?}",
                self.key
            )));
        }
        Ok(content)
    }

    /// Uploads; returns the file created by `upsertFile`, with its `size`.
    pub async fn send(self) -> Result<types::UploadableFile, UploadError> {
        require_non_empty("file key", &self.key)?;
        let content = self.content().await?;
        let size = content.len() as u64;
        let body = self
            .body
            .clone()
            .size(size as i64)
            .build()
            .map_err(|e| invalid_input(format!("upsertFile body: {e}")))?;
        let public = body.public_content_immediately_accessible == Some(true);
        let mut file = self.client.upsert_file().body(body).send().await?.file;
        file.size = Some(size as i64);

        let mut put = self
            .client
            .http
            .put(file.upload_url.as_str())
            .header(CONTENT_TYPE, file.content_type.as_str())
            .header(CONTENT_LENGTH, size);
        if public {
            put = put.header("x-amz-tagging", "public=true");
        }
        put = match self.progress {
            None => put.body(content),
            Some(progress) => put.body(reqwest::Body::wrap_stream(chunks(content, progress))),
        };
        let failure = match put.send().await {
            Err(e) => Some((
                e.to_string(),
                Error::transport("the content upload failed in transit", e),
            )),
            Ok(response) if !response.status().is_success() => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let detail = if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                };
                Some((
                    format!("HTTP {}{detail}", status.as_u16()),
                    Error::invalid_response(
                        format!("the upload URL answered HTTP {status}"),
                        Some(Bytes::from(text)),
                    )
                    .with_status(status.as_u16()),
                ))
            }
            Ok(_) => None,
        };
        match failure {
            None => Ok(file),
            Some((detail, error)) => Err(UploadError {
                message: format!(
                    "failed to upload file {} ({}) to its upload URL: {detail}",
                    file.id, file.key
                ),
                file: Some(Box::new(file)),
                error,
            }),
        }
    }
}

/// `content` as a stream of [`UPLOAD_CHUNK`]-byte chunks, calling `progress` for each.
fn chunks(
    content: Bytes,
    progress: Progress,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let total = content.len() as u64;
    futures::stream::unfold((content, 0u64), move |(mut rest, sent)| {
        let progress = progress.clone();
        async move {
            if rest.is_empty() {
                return None;
            }
            let chunk = rest.split_to(rest.len().min(UPLOAD_CHUNK));
            let sent = sent + chunk.len() as u64;
            progress(sent, total);
            Some((Ok(chunk), (rest, sent)))
        }
    })
}
