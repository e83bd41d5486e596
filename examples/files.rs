//! Files: upload (upsert + content PUT), upsert, get, list, delete.
//!
//! `cargo run --example files`.
mod common;

use botpress::prelude::*;
use botpress::types;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // uploadFile: upsertFile, then a bare PUT of the content to the upload URL
    let file = client
        .upload_file("examples/hello.txt", "hello world")
        .tags([("source", "example")])
        .on_progress(|sent, total| println!("uploaded {sent}/{total} bytes"))
        .send()
        .await?;
    println!(
        "uploaded {} ({} bytes, {})",
        file.id,
        file.size.unwrap_or(0),
        file.status
    );

    // upsertFile alone: the record and its upload URL (the content is PUT separately)
    let record = client
        .upsert_file()
        .body(
            types::UpsertFileBody::builder()
                .key("examples/empty.txt")
                .size(5),
        )
        .send()
        .await?
        .file;
    println!("upsert: {} can be uploaded to its uploadUrl", record.key);

    // getFile (by id or key)
    let got = client.get_file().id(&file.id).send().await?;
    println!("got {} ({})", got.file.key, got.file.content_type);

    // listFiles with a tag filter
    let files: Vec<_> = client
        .list_files()
        .tags([("source", "example")])
        .stream()
        .try_collect()
        .await?;
    println!("{} file(s) tagged source=example", files.len());

    // deleteFile
    client.delete_file().id(&file.id).send().await?;
    client.delete_file().id(&record.id).send().await?;
    Ok(())
}
