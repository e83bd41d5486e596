//! Users (`/v1/chat/users`).

use std::collections::BTreeMap;

use botpress::types;
use serde_json::{Value, json};

use super::{
    Req,
    common::{find_existing, get_or_404, merge_map, order_from_query, paged},
    conversations, string_map,
};
use crate::{
    db::Docs,
    error::ApiError,
    ids,
    pages::{Order, Selection},
    query::tags_match,
};

/// Storage kind of users.
pub const KIND: &str = "user";

/// A stored user or 404.
pub fn find(docs: &Docs<'_>, id: &str) -> Result<Value, ApiError> {
    get_or_404(docs, KIND, "User", id)
}

/// The fields a new user can be given.
#[derive(Default)]
pub struct NewUser<'a> {
    /// Tags.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// Display name.
    pub name: Option<&'a str>,
    /// Picture URL.
    pub picture_url: Option<&'a str>,
    /// Shared properties.
    pub properties: Option<&'a BTreeMap<String, String>>,
    /// Deprecated attributes.
    pub attributes: Option<&'a BTreeMap<String, String>>,
}

/// Creates and stores a user.
pub fn insert(docs: &Docs<'_>, new: NewUser<'_>) -> Result<Value, ApiError> {
    let now = ids::now();
    let mut doc = json!({
        "id": ids::new_id("user_"),
        "createdAt": now,
        "updatedAt": now,
        "tags": new.tags.map(string_map).unwrap_or_else(|| json!({})),
    });
    if let Some(name) = new.name {
        doc["name"] = json!(name);
    }
    if let Some(url) = new.picture_url {
        doc["pictureUrl"] = json!(url);
    }
    for (field, map) in [
        ("properties", new.properties),
        ("attributes", new.attributes),
    ] {
        if let Some(map) = map.filter(|m| !m.is_empty()) {
            doc[field] = string_map(map);
        }
    }
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(doc)
}

/// Finds a user by the get-or-create rule, or creates it.
pub fn get_or_insert(
    docs: &Docs<'_>,
    new: NewUser<'_>,
    discriminate_by: &[String],
) -> Result<(Value, bool), ApiError> {
    let empty = BTreeMap::new();
    let tags = new.tags.unwrap_or(&empty);
    match find_existing(docs, KIND, None, tags, discriminate_by, |_| Ok(true))? {
        Some(doc) => Ok((doc, false)),
        None => Ok((insert(docs, new)?, true)),
    }
}

/// `createUser`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CreateUserBody = req.body()?;
    let user = insert(
        docs,
        NewUser {
            tags: Some(&b.tags),
            name: b.name.as_deref(),
            picture_url: b.picture_url.as_deref(),
            properties: b.properties.as_ref(),
            attributes: b.attributes.as_ref(),
        },
    )?;
    Ok(json!({ "user": user }))
}

/// `getUser`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "user": find(docs, req.path("id"))? }))
}

/// `listUsers`: filters by participation, tags and a date range on `rangeField`.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let members = match req.query_str("conversationId") {
        Some(c) => Some(conversations::participant_ids(docs, c)?),
        None => None,
    };
    let range_field = req.query_str("rangeField").unwrap_or("createdAt");
    let tags = req.query.get("tags");
    let order = order_from_query(req).unwrap_or(Order::NEWEST_FIRST);
    paged(
        "users",
        docs,
        &Selection::of(KIND).tagged(tags),
        order,
        req,
        |u| {
            let member = members
                .as_ref()
                .is_none_or(|m| m.iter().any(|id| u["id"] == id.as_str()));
            let fits = member
                && tags_match(&u["tags"], tags)
                && super::common::in_date_range(&u, range_field, req)?;
            Ok(fits.then_some(u))
        },
    )
}

/// `updateUser`: tags merge; `name` / `pictureUrl` `null` clears them.
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateUserBody = req.body()?;
    let id = req.path("id");
    let mut doc = find(docs, id)?;
    merge_map(&mut doc, "tags", &b.tags.unwrap_or_default());
    for field in ["name", "pictureUrl"] {
        match req.tri_state(field) {
            Some(Some(v)) => doc[field] = v.clone(),
            Some(None) => {
                doc.as_object_mut().map(|o| o.remove(field));
            }
            None => {}
        }
    }
    for (field, map) in [("properties", b.properties), ("attributes", b.attributes)] {
        if req.has_field(field) {
            merge_map(&mut doc, field, &map.unwrap_or_default());
        }
    }
    doc["updatedAt"] = json!(ids::now());
    docs.update(KIND, id, &doc)?;
    Ok(json!({ "user": doc }))
}

/// `deleteUser`.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    find(docs, id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}

/// `getOrCreateUser`.
pub fn get_or_create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::GetOrCreateUserBody = req.body()?;
    let new = NewUser {
        tags: Some(&b.tags),
        name: b.name.as_deref(),
        picture_url: b.picture_url.as_deref(),
        properties: b.properties.as_ref(),
        attributes: b.attributes.as_ref(),
    };
    // Absent and an explicit `[]` both mean "no discriminators", as they did when the two
    // could not be told apart.
    let discriminate_by = b.discriminate_by_tags.as_deref().unwrap_or(&[]);
    let (user, created) = get_or_insert(docs, new, discriminate_by)?;
    Ok(json!({ "user": user, "meta": { "created": created } }))
}
