//! File contents, served by the emulator itself in place of S3 pre-signed URLs:
//! `PUT /_emulator/upload/{botId}/{fileId}?s=<upload secret>` (no API headers, as the official
//! client's upload) stores the bytes; `GET /_emulator/files/{botId}/{fileId}?s=<download secret>`
//! answers them (a file's `url`). The two secrets differ ([`crate::db::Secrets`]): a download
//! link cannot replace the file, an upload link cannot read it.

use axum::{
    body::Body,
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    api::files::{self, PUBLIC_IMMEDIATE},
    db::Docs,
    error::ApiError,
    query::{pairs, percent_decode},
    server::{AppState, blocking, read_body},
};

/// Path prefix of the content routes.
pub const PREFIX: &str = "/_emulator/";

/// Whether `rest` (the path after [`PREFIX`]) is a file-content URL (`upload/…`, `files/…`);
/// the rest of the prefix is the admin API's (`platform::admin`).
pub fn serves(rest: &str) -> bool {
    matches!(rest.split('/').next(), Some("upload" | "files"))
}

fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URL to `PUT` a file's bytes to.
pub fn upload_url(base: &str, bot_id: &str, file_id: &str, secret: &str) -> String {
    format!(
        "{base}{PREFIX}upload/{}/{}?s={secret}",
        encode(bot_id),
        encode(file_id)
    )
}

/// The URL a file's bytes are downloaded from.
pub fn download_url(base: &str, bot_id: &str, file_id: &str, secret: &str) -> String {
    format!(
        "{base}{PREFIX}files/{}/{}?s={secret}",
        encode(bot_id),
        encode(file_id)
    )
}

/// Serves the content routes.
pub async fn handle(
    state: &AppState,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    match serve(state, method, rest, query, headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn serve(
    state: &AppState,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let parts: Vec<&str> = rest.split('/').collect();
    let [route, bot, file] = parts.as_slice() else {
        return Err(ApiError::not_found(format!(
            "No route {method} {PREFIX}{rest}"
        )));
    };
    let (bot, file) = (percent_decode(bot)?, percent_decode(file)?);
    let secret = pairs(query.unwrap_or(""))?
        .into_iter()
        .find(|(k, _)| k == "s")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let denied = || ApiError::forbidden("The URL is not valid for this file");
    match (*route, method.as_str()) {
        ("upload", "PUT") => {
            let bytes = read_body(
                body,
                headers,
                state.config.max_upload_bytes,
                state.config.limits.body_timeout,
            )
            .await?;
            let tagged_public =
                headers.get("x-amz-tagging").and_then(|v| v.to_str().ok()) == Some("public=true");
            let now = state.platform.clock.now();
            blocking(|| {
                crate::platform::clock::at(now, || {
                    state.store.with_tx(|tx| {
                let docs = Docs::new(tx, &bot);
                let secrets = docs.secrets(&file)?.ok_or_else(denied)?;
                if secrets.upload.is_empty() || secrets.upload != secret {
                    return Err(denied());
                }
                let doc = docs.get(files::KIND, &file)?.ok_or_else(denied)?;
                if doc.get(PUBLIC_IMMEDIATE).is_some() && !tagged_public {
                    return Err(ApiError::forbidden(
                        "publicContentImmediatelyAccessible needs the header `x-amz-tagging: public=true` on the upload",
                    ));
                }
                files::complete_upload(&docs, &file, &bytes)
            })
                })
            })?;
            Ok(StatusCode::OK.into_response())
        }
        ("files", "GET") => {
            let now = state.platform.clock.now();
            let (content_type, bytes) = blocking(|| {
                crate::platform::clock::at(now, || {
                    state.store.read(|conn| {
                        let docs = Docs::reader(conn, &bot);
                        let blob = docs.blob(&file)?.ok_or_else(denied)?;
                        if blob.secrets.download.is_empty() || blob.secrets.download != secret {
                            return Err(denied());
                        }
                        let doc = docs.get(files::KIND, &file)?.ok_or_else(denied)?;
                        let content = blob.content.ok_or_else(|| {
                            ApiError::not_found(format!("File {file} has no uploaded content yet"))
                        })?;
                        Ok((
                            doc["contentType"]
                                .as_str()
                                .unwrap_or("application/octet-stream")
                                .to_string(),
                            content,
                        ))
                    })
                })
            })?;
            Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
        }
        _ => Err(ApiError::not_found(format!(
            "No route {method} {PREFIX}{rest}"
        ))),
    }
}
