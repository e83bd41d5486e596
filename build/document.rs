//! The document as progenitor sees it: the OpenAPI document with the changes that make the
//! generated Rust types say what the wire means. Each change is a function of its own:
//!
//! - [`drop_validation`]: validation keywords the Rust types do not enforce are removed (the
//!   service and the emulator, which validates against the document itself, do), so strings
//!   stay `String`, numbers `i64`, and `default`s are not filled in on requests (a field the
//!   caller did not set is not sent, as with the official client);
//! - [`tri_states`]: nullable request fields (optional or required, and the values of maps)
//!   become `Nullable<T>`, the one null model (absent / `null` / value);
//! - [`hoist_enums`]: every inline string enum becomes a named schema, so one set of values
//!   is one Rust type: an inline enum whose values all belong to a named enum *is* that enum
//!   (the smallest such; the field's description then lists the values it accepts), and
//!   identical inline enums share one new named enum.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::names::pascal;

/// Validation keywords dropped for code generation (see the [module docs](self)).
const DROPPED_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "default",
];

/// Synthetic schemas of the tri-states, and the Rust type each stands for.
pub(crate) const NULLABLE: &[(&str, &str)] = &[
    (
        "NullableString",
        "crate::nullable::Nullable<::std::string::String>",
    ),
    ("NullableInteger", "crate::nullable::Nullable<i64>"),
    (
        "NullableDateTime",
        "crate::nullable::Nullable<::chrono::DateTime<::chrono::offset::Utc>>",
    ),
    (
        "NullableObject",
        "crate::nullable::Nullable<::serde_json::Map<::std::string::String, ::serde_json::Value>>",
    ),
];

/// All the changes of the [module docs](self), in order.
pub(crate) fn shape(mut doc: Value) -> Result<Value, String> {
    hoist_enums(&mut doc)?;
    tri_states(&mut doc)?;
    drop_validation(&mut doc);
    Ok(doc)
}

/// Removes [`DROPPED_KEYWORDS`] from every schema, and makes `additionalProperties: true`
/// next to `properties` an empty schema (typify keeps undeclared keys, as a flattened map,
/// for `{}` but drops them for `true`; both mean the same in JSON Schema).
pub(crate) fn drop_validation(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("properties")
                && map.get("additionalProperties") == Some(&Value::Bool(true))
            {
                map.insert("additionalProperties".into(), json!({}));
            }
            if map.contains_key("type") || map.contains_key("$ref") {
                for k in DROPPED_KEYWORDS {
                    if map
                        .get(*k)
                        .is_some_and(|x| !x.is_object() || *k == "default")
                    {
                        map.remove(*k);
                    }
                }
            }
            map.values_mut().for_each(drop_validation);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_validation),
        _ => {}
    }
}

/// The tri-state schema standing for a nullable schema.
fn tri_state_of(prop: &Value) -> Option<&'static str> {
    if prop.get("nullable") != Some(&Value::Bool(true)) {
        return None;
    }
    Some(match (prop["type"].as_str(), prop["format"].as_str()) {
        (Some("string"), Some("date-time")) => "NullableDateTime",
        (Some("string"), _) => "NullableString",
        (Some("integer"), _) => "NullableInteger",
        (Some("object"), _) => "NullableObject",
        _ => return None,
    })
}

/// `prop` replaced by a reference to `target`, keeping its description.
fn reference(target: &str, prop: &Value) -> Value {
    let r = json!({ "$ref": format!("#/components/schemas/{target}") });
    match prop.get("description") {
        Some(d) => json!({ "allOf": [r], "description": d }),
        None => r,
    }
}

/// Request bodies (schemas named `*Body`): every nullable field, and the nullable values of
/// a map field, become tri-states (see the [module docs](self)).
pub(crate) fn tri_states(doc: &mut Value) -> Result<(), String> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    for (name, schema) in schemas.iter_mut() {
        if !name.ends_with("Body") {
            continue;
        }
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, prop) in props.iter_mut() {
            if let Some(target) = tri_state_of(prop) {
                *prop = reference(target, prop);
            } else if prop.get("nullable") == Some(&Value::Bool(true)) {
                return Err(format!(
                    "{name}.{field}: no tri-state type for a nullable {}",
                    prop["type"]
                ));
            } else if let Some(values) = prop.get_mut("additionalProperties")
                && let Some(target) = tri_state_of(values)
            {
                *values = reference(target, values);
            }
        }
    }
    for (name, _) in NULLABLE {
        schemas.insert(
            (*name).to_string(),
            json!({ "type": "object", "title": name }),
        );
    }
    Ok(())
}

/// One inline string enum of the document.
struct Inline {
    /// JSON pointer of the schema.
    pointer: String,
    /// What the schema belongs to (`ListConversations`, `UpsertFileBodyIndexing`).
    owner: String,
    /// The property or parameter name.
    field: String,
    values: Vec<String>,
}

/// The string values of a plain string enum schema.
fn enum_values(schema: &Value) -> Option<Vec<String>> {
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    let values = schema.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
    )
}

/// Escapes a key for a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Collects the inline enums under `schema` (which is at `pointer` and belongs to `owner`).
fn collect(schema: &Value, pointer: &str, owner: &str, out: &mut Vec<Inline>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (field, prop) in props {
            let at = format!("{pointer}/properties/{}", escape(field));
            if let Some(values) = enum_values(prop) {
                out.push(Inline {
                    pointer: at,
                    owner: owner.to_string(),
                    field: field.clone(),
                    values,
                });
            } else {
                collect(prop, &at, &format!("{owner}{}", pascal(field)), out);
            }
        }
    }
    if let Some(items) = map.get("items") {
        let at = format!("{pointer}/items");
        match enum_values(items) {
            Some(values) => out.push(Inline {
                pointer: at,
                owner: owner.to_string(),
                field: "item".to_string(),
                values,
            }),
            None => collect(items, &at, &format!("{owner}Item"), out),
        }
    }
    if let Some(extra) = map.get("additionalProperties") {
        collect(
            extra,
            &format!("{pointer}/additionalProperties"),
            &format!("{owner}Value"),
            out,
        );
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            collect(sub, &format!("{pointer}/{key}/{i}"), owner, out);
        }
    }
}

/// Every named string enum of `components/schemas`, in name order.
pub(crate) fn named_enums(doc: &Value) -> BTreeMap<String, Vec<String>> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, schema)| Some((name.clone(), enum_values(schema)?)))
        .collect()
}

/// Makes every inline string enum a named one (see the [module docs](self)).
pub(crate) fn hoist_enums(doc: &mut Value) -> Result<(), String> {
    let named = named_enums(doc);
    let mut inline = Vec::new();
    for (name, schema) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !named.contains_key(name) {
            collect(
                schema,
                &format!("/components/schemas/{}", escape(name)),
                name,
                &mut inline,
            );
        }
    }
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            let owner = pascal(op["operationId"].as_str().unwrap_or_default());
            for (i, param) in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let pointer = format!("/paths/{}/{method}/parameters/{i}/schema", escape(path));
                let Some(schema) = param.get("schema") else {
                    continue;
                };
                let field = param["name"].as_str().unwrap_or_default().to_string();
                match enum_values(schema) {
                    Some(values) => inline.push(Inline {
                        pointer,
                        owner: owner.clone(),
                        field,
                        values,
                    }),
                    None => collect(
                        schema,
                        &pointer,
                        &format!("{owner}{}", pascal(&field)),
                        &mut inline,
                    ),
                }
            }
        }
    }
    // Inline enums that no named enum covers, grouped by value set.
    let mut groups: BTreeMap<BTreeSet<String>, Vec<usize>> = BTreeMap::new();
    let mut targets: Vec<Option<String>> = Vec::new();
    for (i, e) in inline.iter().enumerate() {
        let set: BTreeSet<String> = e.values.iter().cloned().collect();
        let mut supersets: Vec<(&String, usize)> = named
            .iter()
            .filter(|(_, values)| set.iter().all(|v| values.contains(v)))
            .map(|(name, values)| (name, values.len()))
            .collect();
        supersets.sort_by_key(|(_, len)| *len);
        match supersets.as_slice() {
            [] => {
                groups.entry(set).or_default().push(i);
                targets.push(None);
            }
            [(a, la), (b, lb), ..] if la == lb => {
                return Err(format!(
                    "{}: the inline enum {:?} fits both {a} and {b}; give it a $ref",
                    e.pointer, e.values
                ));
            }
            [(name, _), ..] => targets.push(Some((*name).clone())),
        }
    }
    let mut taken: BTreeSet<String> = doc["components"]["schemas"]
        .as_object()
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    let mut new_schemas = Vec::new();
    for members in groups.values() {
        let first = &inline[members[0]];
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for &m in members {
            *counts.entry(inline[m].field.as_str()).or_default() += 1;
        }
        let common = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(f, _)| pascal(f))
            .unwrap_or_default();
        let owned = format!("{}{}", first.owner, pascal(&first.field));
        let name = if members.len() > 1 && !taken.contains(&common) {
            common
        } else {
            owned
        };
        if !taken.insert(name.clone()) {
            return Err(format!("{}: the enum name {name} is taken", first.pointer));
        }
        for &m in members {
            targets[m] = Some(name.clone());
        }
        new_schemas.push((name, json!({ "type": "string", "enum": first.values })));
    }
    let all_named: BTreeMap<String, Vec<String>> = named
        .into_iter()
        .chain(
            new_schemas
                .iter()
                .map(|(n, s)| (n.clone(), enum_values(s).unwrap_or_default())),
        )
        .collect();
    for (e, target) in inline.iter().zip(&targets) {
        let target = target.as_ref().expect("every inline enum has a target");
        let schema = doc.pointer_mut(&e.pointer).expect("collected pointer");
        let mut description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if all_named[target].len() > e.values.len() {
            let listed: Vec<String> = e.values.iter().map(|v| format!("`{v}`")).collect();
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&format!("Accepted here: {}.", listed.join(", ")));
        }
        let mut replaced = json!({ "$ref": format!("#/components/schemas/{target}") });
        if !description.is_empty() {
            replaced = json!({ "allOf": [replaced], "description": description });
        }
        *schema = replaced;
    }
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .ok_or("the document has no components/schemas")?;
    for (name, schema) in new_schemas {
        schemas.insert(name, schema);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: Value, paths: Value) -> Value {
        json!({ "components": { "schemas": schemas }, "paths": paths })
    }

    #[test]
    fn subsets_become_the_smallest_named_enum() {
        let mut d = doc(
            json!({
                "WorkflowStatus": {"type": "string", "enum": ["pending", "in_progress", "failed", "completed"]},
                "CreateWorkflowBody": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["pending", "in_progress"], "description": "Status"}
                }},
            }),
            json!({}),
        );
        hoist_enums(&mut d).unwrap();
        let status = &d["components"]["schemas"]["CreateWorkflowBody"]["properties"]["status"];
        assert_eq!(
            status["allOf"][0]["$ref"],
            "#/components/schemas/WorkflowStatus"
        );
        assert_eq!(
            status["description"],
            "Status\n\nAccepted here: `pending`, `in_progress`."
        );
    }

    #[test]
    fn identical_inline_enums_share_one_name() {
        let mut d = doc(
            json!({
                "FindBody": {"type": "object", "properties": {
                    "orderDirection": {"type": "string", "enum": ["asc", "desc"]}
                }},
            }),
            json!({
                "/a": {"get": {"operationId": "listA", "parameters": [
                    {"name": "sortDirection", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv"]}}
                ]}},
                "/b": {"get": {"operationId": "listB", "parameters": [
                    {"name": "sortDirection", "in": "query", "schema": {"type": "string", "enum": ["desc", "asc"]}}
                ]}},
            }),
        );
        hoist_enums(&mut d).unwrap();
        let s = &d["components"]["schemas"];
        assert_eq!(s["SortDirection"]["enum"], json!(["asc", "desc"]));
        assert_eq!(s["ListAFormat"]["enum"], json!(["csv"]));
        assert_eq!(
            d["paths"]["/b"]["get"]["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/SortDirection"
        );
        assert_eq!(
            s["FindBody"]["properties"]["orderDirection"]["$ref"],
            "#/components/schemas/SortDirection"
        );
    }

    #[test]
    fn an_ambiguous_subset_is_refused() {
        let mut d = doc(
            json!({
                "A": {"type": "string", "enum": ["x", "y"]},
                "B": {"type": "string", "enum": ["x", "z"]},
                "Body": {"type": "object", "properties": {"f": {"type": "string", "enum": ["x"]}}},
            }),
            json!({}),
        );
        let err = hoist_enums(&mut d).unwrap_err();
        assert!(err.contains("fits both A and B"), "{err}");
    }

    #[test]
    fn nullable_body_fields_become_tri_states() {
        let mut d = doc(
            json!({
                "SetBody": {"type": "object", "required": ["expiry"], "properties": {
                    "expiry": {"type": "integer", "nullable": true, "description": "ms"},
                    "name": {"type": "string", "nullable": true},
                    "tags": {"type": "object", "additionalProperties": {"type": "string", "nullable": true}},
                }},
                "Thing": {"type": "object", "properties": {"name": {"type": "string", "nullable": true}}},
            }),
            json!({}),
        );
        tri_states(&mut d).unwrap();
        let p = &d["components"]["schemas"]["SetBody"]["properties"];
        assert_eq!(
            p["expiry"]["allOf"][0]["$ref"],
            "#/components/schemas/NullableInteger"
        );
        assert_eq!(p["name"]["$ref"], "#/components/schemas/NullableString");
        assert_eq!(
            p["tags"]["additionalProperties"]["$ref"],
            "#/components/schemas/NullableString"
        );
        // Responses keep `nullable`.
        assert_eq!(
            d["components"]["schemas"]["Thing"]["properties"]["name"]["nullable"],
            true
        );
    }

    #[test]
    fn validation_keywords_are_dropped() {
        let mut v = json!({"type": "string", "maxLength": 3, "default": "a",
            "properties": {"x": {"type": "integer", "minimum": 1}}, "additionalProperties": true});
        drop_validation(&mut v);
        assert_eq!(
            v,
            json!({"type": "string", "properties": {"x": {"type": "integer"}}, "additionalProperties": {}})
        );
    }
}
