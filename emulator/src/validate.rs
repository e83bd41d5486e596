//! Request (and optionally response) validation against the OpenAPI document itself.
//!
//! OpenAPI 3.0 schemas are turned into self-contained JSON Schema (draft 4) documents:
//! `$ref`s inlined, `nullable: true` turned into a `null` alternative. Failures become
//! `400 InvalidPayload` with a message naming the field (`body.tags.a: ...`).

use jsonschema::Validator;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// Deepest `$ref` nesting followed when inlining (the document has no recursive schemas).
const MAX_REF_DEPTH: usize = 32;

/// The schema with every `$ref` to `#/components/schemas/*` inlined and OpenAPI's
/// `nullable` expressed in JSON Schema.
pub fn to_json_schema(schema: &Value, components: &Map<String, Value>) -> Value {
    convert(schema, components, 0)
}

fn convert(schema: &Value, components: &Map<String, Value>, depth: usize) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let name = reference.rsplit('/').next().unwrap_or_default();
                let target = match components.get(name) {
                    Some(t) if depth < MAX_REF_DEPTH => convert(t, components, depth + 1),
                    _ => json!({}),
                };
                return if map.get("nullable") == Some(&Value::Bool(true)) {
                    json!({"anyOf": [target, {"type": "null"}]})
                } else {
                    target
                };
            }
            let mut out = Map::new();
            for (key, value) in map {
                let converted = match key.as_str() {
                    // Keyword values that are not schemas.
                    "enum" | "required" | "example" | "examples" | "description" | "title"
                    | "default" => value.clone(),
                    "properties" | "patternProperties" => match value {
                        Value::Object(props) => Value::Object(
                            props
                                .iter()
                                .map(|(k, v)| (k.clone(), convert(v, components, depth)))
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    k if k.starts_with("x-") => continue,
                    _ => convert(value, components, depth),
                };
                out.insert(key.clone(), converted);
            }
            // Draft 4 wants at least one item in `required`.
            if out
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                out.remove("required");
            }
            if out.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(values)) = out.get_mut("enum") {
                        values.push(Value::Null);
                    }
                } else if out.contains_key("allOf")
                    || out.contains_key("oneOf")
                    || out.contains_key("anyOf")
                {
                    return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| convert(v, components, depth))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Compiles a converted schema.
pub fn compile(schema: &Value) -> Validator {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the OpenAPI document holds an invalid schema ({e}): {schema}"))
}

/// `/a/0/b` → `a[0].b`, prefixed by `root` (`body`, `query.pageSize`, ...).
fn field_path(root: &str, pointer: &str) -> String {
    let mut out = root.to_string();
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            out.push('.');
            out.push_str(&segment);
        }
    }
    out
}

/// The longest rendering of the failing value kept in a message (a 1,000-row body is not echoed
/// back whole).
const MAX_SHOWN_VALUE: usize = 120;

/// `message` with the value it quotes (`shown`) cut to [`MAX_SHOWN_VALUE`] bytes.
fn shortened(message: &str, shown: &str) -> String {
    if shown.len() <= MAX_SHOWN_VALUE {
        return message.to_string();
    }
    let cut = (0..=MAX_SHOWN_VALUE)
        .rev()
        .find(|&i| shown.is_char_boundary(i))
        .unwrap_or(0);
    message.replacen(
        shown,
        &format!("{}… ({} bytes)", &shown[..cut], shown.len()),
        1,
    )
}

/// Checks `instance` against `validator`; the first failure becomes `InvalidPayload` naming
/// the field under `root`.
pub fn check(validator: &Validator, instance: &Value, root: &str) -> Result<(), ApiError> {
    // The common case first: a yes/no validation stops early and builds no error values.
    if validator.is_valid(instance) {
        return Ok(());
    }
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(3)
        .map(|e| {
            format!(
                "{}: {}",
                field_path(root, e.instance_path().as_str()),
                shortened(&e.to_string(), &e.instance().to_string())
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_payload(errors.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = format!("\"{}\"", "é".repeat(100));
        let message = format!("{long} is too long");
        let short = shortened(&message, &long);
        assert!(short.ends_with("… (202 bytes) is too long"), "{short}");
        assert!(short.len() < 160, "{short}");
        assert_eq!(shortened("1 is not a string", "1"), "1 is not a string");
    }

    fn components() -> Map<String, Value> {
        json!({
            "Status": {"type": "string", "enum": ["a", "b"]},
            "Body": {
                "type": "object",
                "additionalProperties": false,
                "required": ["status"],
                "properties": {
                    "status": {"$ref": "#/components/schemas/Status"},
                    "name": {"type": "string", "nullable": true, "maxLength": 3},
                    "tags": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn validator() -> Validator {
        compile(&to_json_schema(
            &json!({"$ref": "#/components/schemas/Body"}),
            &components(),
        ))
    }

    #[test]
    fn valid_bodies_pass_and_null_is_allowed_where_nullable() {
        let v = validator();
        check(
            &v,
            &json!({"status": "a", "name": null, "tags": {"k": "v"}}),
            "body",
        )
        .unwrap();
    }

    #[test]
    fn failures_name_the_field() {
        let v = validator();
        let e = check(&v, &json!({"status": "c"}), "body").unwrap_err();
        assert_eq!((e.status, e.error_type), (400, "InvalidPayload"));
        assert!(e.message.starts_with("body.status: "), "{}", e.message);
        let e = check(&v, &json!({"status": "a", "tags": {"k": 1}}), "body").unwrap_err();
        assert!(e.message.starts_with("body.tags.k: "), "{}", e.message);
        let e = check(&v, &json!({"status": "a", "extra": 1}), "body").unwrap_err();
        assert!(e.message.contains("extra"), "{}", e.message);
        let e = check(&v, &json!({"status": "a", "name": "long"}), "body").unwrap_err();
        assert!(e.message.starts_with("body.name: "), "{}", e.message);
    }
}
