//! Integration configuration, tag values, analytics and observations.

use std::collections::BTreeSet;

use botpress::types;
use serde_json::{Value, json};

use super::{Req, common::list_response};
use crate::{db::Docs, error::ApiError, ids};

/// `configureIntegration`: recorded per calling integration (`x-integration-id`, which an
/// integration always sends; `default` without it).
pub fn configure_integration(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::ConfigureIntegrationBody = req.body()?;
    let integration = req.integration_id.as_deref().unwrap_or("default");
    let mut doc = docs
        .get("integration_config", integration)?
        .unwrap_or_else(|| json!({}));
    for field in ["identifier", "sandboxIdentifiers"] {
        if let Some(value) = req.tri_state(field) {
            doc[field] = value.cloned().unwrap_or(Value::Null);
        }
    }
    if let Some(schedule) = &b.schedule_register_call {
        doc["scheduleRegisterCall"] = json!(schedule.to_string());
    }
    doc["updatedAt"] = json!(ids::now());
    if docs.get("integration_config", integration)?.is_some() {
        docs.update("integration_config", integration, &doc)?;
    } else {
        docs.insert("integration_config", integration, None, &doc)?;
    }
    Ok(json!({}))
}

/// `listTagValues`: the distinct values of one tag key on users, conversations or messages.
pub fn list_tag_values(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let key = req.path("key");
    let kind = match req.query_str("type") {
        Some("user") => super::users::KIND,
        Some("conversation") => super::conversations::KIND,
        _ => super::messages::KIND,
    };
    let values: BTreeSet<String> = docs
        .list(kind)?
        .iter()
        .filter_map(|d| d["tags"].get(key).and_then(Value::as_str).map(String::from))
        .collect();
    let items = values.into_iter().map(|v| json!({ "value": v })).collect();
    list_response("tags", items, req)
}

/// `trackAnalytics`: accepted and recorded (a counter per name).
pub fn track_analytics(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::TrackAnalyticsBody = req.body()?;
    match docs.get("analytics", &b.name)? {
        Some(mut doc) => {
            doc["count"] = json!(doc["count"].as_i64().unwrap_or(0).saturating_add(b.count));
            doc["updatedAt"] = json!(ids::now());
            docs.update("analytics", &b.name, &doc)?;
        }
        None => docs.insert(
            "analytics",
            &b.name,
            None,
            &json!({ "name": b.name, "count": b.count, "updatedAt": ids::now() }),
        )?,
    }
    Ok(json!({}))
}

/// `captureObservation`: accepted and recorded.
pub fn capture_observation(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CaptureObservationBody = req.body()?;
    let id = b.id.clone().unwrap_or_else(|| ids::new_id("obs_"));
    let mut doc = req.body.clone();
    doc["id"] = json!(id);
    doc["createdAt"] = json!(ids::now());
    if docs.get("observation", &id)?.is_some() {
        docs.update("observation", &id, &doc)?;
    } else {
        docs.insert("observation", &id, None, &doc)?;
    }
    Ok(json!({}))
}
