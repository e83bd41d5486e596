//! `upload_file` against a recording server: the upsert body, the bare content `PUT` (no
//! API headers, `Content-Type` from the upsert response, `Content-Length`, `x-amz-tagging`
//! only for immediately public content), a failed `PUT`, progress, URL and path sources, and
//! bad input rejected before any request.
use crate::support;

use std::sync::{Arc, Mutex, OnceLock};

use botpress::ErrorKind;
use botpress::files::UploadSource;
use botpress::types::FileAccessPolicy;
use serde_json::json;
use support::recorder::{Canned, Recorded, Recorder};

/// The upsert response: the file with an upload URL back to this server, content type
/// `text/plain; charset=utf-8` (different from anything the request said).
fn upserted(base: &str, req: &Recorded) -> Canned {
    let body = req.json();
    Canned::json(
        200,
        &json!({"file": {
            "id": "file_1", "botId": "bot_1", "key": body["key"], "url": "https://files/x",
            "size": null, "contentType": "text/plain; charset=utf-8", "tags": body.get("tags").cloned().unwrap_or(json!({})),
            "metadata": {}, "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
            "accessPolicies": [], "index": false, "status": "upload_pending",
            "owner": {"type": "bot", "id": "bot_1"},
            "uploadUrl": format!("{base}/s3/docs%2Fhello.txt?X-Amz-Signature=a%2Bb%3D&X-Amz-Expires=60"),
        }}),
    )
}

/// A server that upserts, answers the content PUT with `put_status`, and serves
/// `/source.txt` for URL uploads.
async fn upload_server(put_status: u16) -> Recorder {
    let base: Arc<OnceLock<String>> = Arc::default();
    let handler_base = base.clone();
    let server = Recorder::answering(move |req, _| match (req.method.as_str(), req.path()) {
        ("PUT", "/v1/files") => upserted(handler_base.get().unwrap(), req),
        ("PUT", path) if path.starts_with("/s3/") => {
            if put_status == 200 {
                Canned::empty(200)
            } else {
                Canned::text(
                    put_status,
                    "application/xml",
                    "<Error><Code>AccessDenied</Code></Error>",
                )
            }
        }
        ("GET", "/source.txt") => Canned::text(200, "text/plain", "downloaded content"),
        other => panic!("unexpected {other:?}"),
    })
    .await;
    base.set(server.base_url.clone()).unwrap();
    server
}

fn assert_bare(put: &Recorded) {
    for header in [
        "authorization",
        "x-bot-id",
        "x-integration-id",
        "x-workspace-id",
    ] {
        assert_eq!(
            put.header(header),
            None,
            "{header} must not be on the upload PUT"
        );
    }
    assert_eq!(put.header("transfer-encoding"), None, "never chunked");
}

#[tokio::test]
async fn uploads_bytes_with_the_upsert_then_a_bare_put() {
    let server = upload_server(200).await;
    let client = server.client();
    let file = client
        .upload_file("docs/hello.txt", "hello world")
        .tags([("a", "b")])
        .access_policies([FileAccessPolicy::PublicContent])
        .content_type("text/plain")
        .public_content_immediately_accessible(true)
        .send()
        .await
        .unwrap();
    assert_eq!(file.id, "file_1");
    assert_eq!(file.size, Some(11));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let upsert = &requests[0];
    assert_eq!(
        (upsert.method.as_str(), upsert.target.as_str()),
        ("PUT", "/v1/files")
    );
    assert_eq!(upsert.header("authorization"), Some("Bearer t"));
    assert_eq!(upsert.header("x-bot-id"), Some("bot_1"));
    assert_eq!(
        upsert.body_text(),
        r#"{"accessPolicies":["public_content"],"contentType":"text/plain","key":"docs/hello.txt","publicContentImmediatelyAccessible":true,"size":11,"tags":{"a":"b"}}"#
    );

    let put = &requests[1];
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.target, "/s3/docs%2Fhello.txt?X-Amz-Signature=a%2Bb%3D&X-Amz-Expires=60",
        "the upload URL is used verbatim"
    );
    assert_eq!(
        put.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(put.header("content-length"), Some("11"));
    assert_eq!(put.header("x-amz-tagging"), Some("public=true"));
    assert_bare(put);
    assert_eq!(&put.body[..], b"hello world");
}

#[tokio::test]
async fn no_tagging_header_unless_immediately_public() {
    let server = upload_server(200).await;
    let client = server.client();
    client
        .upload_file("docs/hello.txt", UploadSource::bytes(vec![0u8, 1, 2]))
        .public_content_immediately_accessible(false)
        .send()
        .await
        .unwrap();
    client
        .upload_file("docs/hello.txt", "x")
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].body_text(),
        r#"{"key":"docs/hello.txt","publicContentImmediatelyAccessible":false,"size":3}"#
    );
    assert_eq!(requests[1].header("x-amz-tagging"), None);
    assert_eq!(&requests[1].body[..], [0, 1, 2]);
    assert_eq!(
        requests[2].body_text(),
        r#"{"key":"docs/hello.txt","size":1}"#
    );
    assert_eq!(requests[3].header("x-amz-tagging"), None);
}

#[tokio::test]
async fn a_failed_put_is_a_clear_error_with_the_file() {
    let server = upload_server(403).await;
    let client = server.client();
    let err = client
        .upload_file("docs/hello.txt", "hello world")
        .send()
        .await
        .unwrap_err();
    let file = err.file().expect("the upserted file is in the error");
    assert_eq!(file.id, "file_1");
    assert_eq!(err.error().status(), Some(403));
    let message = err.to_string();
    assert!(
        message.contains("failed to upload file file_1 (docs/hello.txt)"),
        "{message}"
    );
    assert!(message.contains("HTTP 403"), "{message}");
    assert!(message.contains("AccessDenied"), "{message}");
    assert_eq!(server.count(), 2, "no retry of the PUT");
    // Usable with `?` in a function returning botpress::Result.
    let as_error: botpress::Error = err.into();
    assert_eq!(as_error.status(), Some(403));
}

#[tokio::test]
async fn progress_is_reported_and_content_length_kept() {
    let server = upload_server(200).await;
    let client = server.client();
    let dir = std::env::temp_dir().join(format!("bp-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.bin");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();

    let seen: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let record = seen.clone();
    let file = client
        .upload_file("docs/big.bin", UploadSource::path(&path))
        .on_progress(move |sent, total| record.lock().unwrap().push((sent, total)))
        .send()
        .await
        .unwrap();
    assert_eq!(file.size, Some(200_000));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (65_536, 200_000),
            (131_072, 200_000),
            (196_608, 200_000),
            (200_000, 200_000)
        ]
    );
    let put = &server.requests()[1];
    assert_eq!(put.header("content-length"), Some("200000"));
    assert_bare(put);
    assert_eq!(put.body, content);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn uploads_from_a_url_fetched_without_botpress_headers() {
    let server = upload_server(200).await;
    let client = server.client();
    client
        .upload_file(
            "docs/copy.txt",
            UploadSource::url(format!("{}/source.txt", server.base_url)),
        )
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path()),
        ("GET", "/source.txt")
    );
    assert_bare(&requests[0]);
    assert_eq!(
        requests[1].body_text(),
        r#"{"key":"docs/copy.txt","size":18}"#
    );
    assert_eq!(&requests[2].body[..], b"downloaded content");
}

#[tokio::test]
async fn bad_input_fails_before_any_request() {
    let server = upload_server(200).await;
    let client = server.client();
    for (key, source) in [
        ("docs/empty.txt", UploadSource::bytes(Vec::new())),
        ("docs/empty.txt", UploadSource::from("")),
        ("", UploadSource::from("content")),
        (
            "docs/missing.txt",
            UploadSource::path("/nonexistent/definitely/missing.txt"),
        ),
    ] {
        let err = client.upload_file(key, source).send().await.unwrap_err();
        assert!(err.file().is_none());
        assert_eq!(err.error().kind(), ErrorKind::InvalidRequest, "{err}");
    }
    let err = client.upload_file("k", "").send().await.unwrap_err();
    assert!(err.to_string().contains("no content was provided"), "{err}");
    assert_eq!(server.count(), 0);
}
