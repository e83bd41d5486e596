//! Workflows: create, get, update, list, delete.
//!
//! `cargo run --example workflows`.
mod common;

use botpress::paginate::Paginate;
use botpress::types;
use common::object;
use futures::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // createWorkflow (status is required: pending, in_progress or listening)
    let workflow = client
        .create_workflow()
        .body_map(|b| {
            b.name("onboarding")
                .status(types::CreateWorkflowBodyStatus::Pending)
                .input(object(json!({"step": 1})))
        })
        .send()
        .await?
        .into_inner()
        .workflow;
    println!("created {} ({})", workflow.id, workflow.status);

    // getWorkflow
    let got = client.get_workflow().id(&workflow.id).send().await?;
    println!("got {} ({})", got.workflow.id, got.workflow.name);

    // updateWorkflow
    let updated = client
        .update_workflow()
        .id(&workflow.id)
        .body_map(|b| b.status(Some(types::UpdateWorkflowBodyStatus::Listening)))
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
