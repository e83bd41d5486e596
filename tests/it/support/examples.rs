//! The OpenAPI document as test data: operations and response examples synthesised from
//! their schemas, so tests need no hand-kept copy of any response shape.
use serde_json::{Map, Value, json};

/// How to synthesise an example.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mode {
    /// Add a field the document does not declare to every object with declared properties
    /// (a newer service version).
    pub unknown_fields: bool,
    /// Use a value the document does not list for every enum (a newer service version).
    pub unknown_enum_values: bool,
}

/// The parsed document.
pub(crate) struct Spec {
    pub doc: Value,
}

/// One operation of the document.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub success: u16,
    pub response: Value,
    pub tag: String,
}

impl Spec {
    /// Our document, `openapi/botpress.yaml`.
    pub(crate) fn load() -> Self {
        Self::from_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/openapi/botpress.yaml"
        )))
    }

    /// A document in YAML or JSON.
    pub(crate) fn from_file(path: &std::path::Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Self {
            doc: serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display())),
        }
    }

    /// The operation a request goes to: `method` and the raw (percent-encoded) `path` matched
    /// against the path templates (`{param}` is one non-empty segment); the template with
    /// the most literal segments wins (`/v1/files/search` over `/v1/files/{id}`).
    pub(crate) fn route(&self, method: &str, path: &str) -> Option<Operation> {
        let segments: Vec<&str> = path.split('/').collect();
        self.operations()
            .into_iter()
            .filter(|o| o.method.eq_ignore_ascii_case(method))
            .filter_map(|o| {
                let template: Vec<&str> = o.path.split('/').collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in template.iter().zip(&segments) {
                    if t.starts_with('{') && t.ends_with('}') {
                        if s.is_empty() {
                            return None;
                        }
                    } else if t == s {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, o))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, o)| o)
    }

    /// The operation object of `id` (`None` when the document lacks it) with its path item.
    fn operation_object(&self, id: &str) -> Option<(&Value, &Value)> {
        self.doc["paths"].as_object()?.values().find_map(|item| {
            item.as_object()?
                .values()
                .find(|op| op["operationId"] == id)
                .map(|op| (item, op))
        })
    }

    /// Whether the document has operation `id`.
    pub(crate) fn has(&self, id: &str) -> bool {
        self.operation_object(id).is_some()
    }

    /// The parameters of operation `id` (path-level and operation-level, `$ref`s resolved).
    pub(crate) fn parameters(&self, id: &str) -> Vec<Value> {
        let Some((item, op)) = self.operation_object(id) else {
            return Vec::new();
        };
        [&item["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| self.resolve(p).clone())
            .collect()
    }

    /// The request body of operation `id`, `$ref` resolved, if it declares one.
    pub(crate) fn request_body(&self, id: &str) -> Option<Value> {
        let (_, op) = self.operation_object(id)?;
        op.get("requestBody").map(|b| self.resolve(b).clone())
    }

    pub(crate) fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let (code, resp) = op["responses"]
                    .as_object()
                    .expect("responses")
                    .iter()
                    .find(|(c, _)| c.starts_with('2'))
                    .expect("a 2xx response");
                out.push(Operation {
                    id: op["operationId"].as_str().expect("operationId").to_string(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    success: code.parse().expect("numeric success code"),
                    response: resp["content"]["application/json"]["schema"].clone(),
                    tag: op["tags"][0].as_str().unwrap_or_default().to_string(),
                });
            }
        }
        out
    }

    pub(crate) fn operation(&self, id: &str) -> Operation {
        self.operations()
            .into_iter()
            .find(|o| o.id == id)
            .unwrap_or_else(|| panic!("no operation {id} in the document"))
    }

    /// `schema` itself, or what its `$ref` points at.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
            None => schema,
        }
    }

    /// A realistic example of `schema`.
    pub(crate) fn example(&self, schema: &Value, mode: Mode) -> Value {
        self.example_at(schema, mode, "", 0)
    }

    fn example_at(&self, schema: &Value, mode: Mode, name: &str, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return self.example_at(&all[0], mode, name, depth);
        }
        if let Some(one) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return self.example_at(&one[0], mode, name, depth);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            return if mode.unknown_enum_values && is_string {
                json!("someFutureValue")
            } else {
                values[0].clone()
            };
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") | None if depth < 12 => {
                let mut obj = Map::new();
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    // Deep down (recursive schemas), only what is required.
                    for (k, v) in props {
                        if depth < 6 || required.contains(&k.as_str()) {
                            obj.insert(k.clone(), self.example_at(v, mode, k, depth + 1));
                        }
                    }
                    let open = matches!(
                        schema.get("additionalProperties"),
                        Some(Value::Object(_)) | Some(Value::Bool(true))
                    );
                    if mode.unknown_fields && !props.is_empty() && !open {
                        obj.insert("someFutureField".into(), json!({"nested": [1, "two"]}));
                    }
                }
                match schema.get("additionalProperties") {
                    Some(Value::Object(inner)) if !inner.is_empty() => {
                        let inner = Value::Object(inner.clone());
                        obj.insert(
                            "key1".into(),
                            self.example_at(&inner, mode, name, depth + 1),
                        );
                    }
                    Some(Value::Bool(true)) | Some(Value::Object(_)) => {
                        obj.insert("anyKey".into(), json!({"free": ["form", 1, true]}));
                    }
                    _ => {}
                }
                if schema.get("properties").is_none()
                    && schema.get("additionalProperties").is_none()
                    && schema.get("type").is_some()
                {
                    obj.insert("anyKey".into(), json!("anyValue"));
                }
                Value::Object(obj)
            }
            Some("object") | None => json!({}),
            Some("array") => json!([self.example_at(&schema["items"], mode, name, depth + 1)]),
            Some("integer") => json!(42),
            Some("number") => json!(1.5),
            Some("boolean") => json!(true),
            Some("string") => string_example(schema, name),
            Some(other) => panic!("unexpected schema type {other}"),
        }
    }
}

fn string_example(schema: &Value, name: &str) -> Value {
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        return json!("2024-05-06T07:08:09.123Z");
    }
    let lower = name.to_ascii_lowercase();
    let value = if lower == "id" || lower.ends_with("id") {
        "id_01HXYZABCDEFGHJKMNPQRSTVW0".to_string()
    } else if lower.contains("url") {
        "https://files.example.test/object?X-Amz-Signature=abc%2Fdef".to_string()
    } else {
        format!("{name} value é")
    };
    json!(value)
}
