//! Workflows: create, get, update, list, delete.
//!
//! `cargo run --example workflows`.
mod common;

use botpress::prelude::*;
use botpress::types;
use futures::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // createWorkflow (status is required: pending, in_progress or listening)
    let workflow = client
        .create_workflow()
        .name("onboarding")
        .status(types::WorkflowStatus::Pending)
        .input(json!({"step": 1}))
        .send()
        .await?
        .workflow;
    println!("created {} ({})", workflow.id, workflow.status);

    // getWorkflow
    let got = client.get_workflow().id(&workflow.id).send().await?;
    println!("got {} ({})", got.workflow.id, got.workflow.name);

    // updateWorkflow
    let updated = client
        .update_workflow()
        .id(&workflow.id)
        .status(types::WorkflowStatus::Listening)
        .send()
        .await?;
    println!("now {}", updated.workflow.status);

    // listWorkflows
    let workflows: Vec<_> = client.list_workflows().stream().try_collect().await?;
    println!("{} workflow(s)", workflows.len());

    // deleteWorkflow
    client.delete_workflow().id(&workflow.id).send().await?;
    Ok(())
}
