//! The OpenAPI document the SDK is generated from ([`botpress::OPENAPI_DOCUMENT`]) as the
//! emulator uses it: one [`Operation`] per operation with its route, parameters, validators
//! and success status.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::validate::{compile, to_json_schema};

/// The document the SDK is generated from, as JSON.
pub const DOCUMENT: &str = botpress::OPENAPI_DOCUMENT;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
}

/// How a query value is read from the raw query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One scalar of this JSON type (`string`, `integer`, `number`, `boolean`).
    Scalar(&'static str),
    /// Repeated keys, each an item of this JSON type.
    Array(&'static str),
    /// Dotted keys `name.k=v` into a map of strings (runtime `tags`).
    DottedMap,
    /// Dotted keys with repeats (OR) and `.not` (exclusion): files `tags`.
    DottedFileTags,
}

/// One parameter of an operation.
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Where it goes.
    pub location: Location,
    /// Whether the document requires it.
    pub required: bool,
    /// How the raw value is read.
    pub shape: Shape,
    /// Its schema, compiled.
    pub validator: Validator,
}

/// A segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Static(String),
    /// A `{name}` parameter.
    Param(String),
}

/// One operation of the document.
pub struct Operation {
    /// `operationId`.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template, e.g. `/v1/chat/conversations/{id}`.
    pub path: String,
    /// The template split into segments.
    pub segments: Vec<Segment>,
    /// Path, query and header parameters.
    pub params: Vec<Param>,
    /// The request body schema, compiled, when the operation takes a body.
    pub body: Option<Validator>,
    /// The declared success status (200, or 201 for the runtime `create*`).
    pub success: u16,
    /// The success response schema, compiled.
    pub response: Option<Validator>,
}

/// A matched operation and its raw path parameters (name, still-encoded value).
pub type Matched<'s, 'p> = (&'s Operation, Vec<(&'s str, &'p str)>);

/// Every operation of the document.
pub struct Spec {
    /// In document order.
    pub operations: Vec<Operation>,
}

fn json_type(schema: &Value) -> &'static str {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => "integer",
        Some("number") => "number",
        Some("boolean") => "boolean",
        Some("array") => "array",
        Some("object") => "object",
        _ => "string",
    }
}

fn shape(param: &Value, schema: &Value) -> Shape {
    if param.get("x-botpress-query-style").and_then(Value::as_str) == Some("dotted") {
        let reference = param
            .pointer("/schema/$ref")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return if reference.ends_with("/FileTagsFilter") {
            Shape::DottedFileTags
        } else {
            Shape::DottedMap
        };
    }
    match json_type(schema) {
        "array" => Shape::Array(json_type(schema.get("items").unwrap_or(&Value::Null))),
        other => Shape::Scalar(other),
    }
}

impl Spec {
    /// The document, parsed once per process.
    pub fn get() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| Spec::parse(DOCUMENT))
    }

    /// Whether the document has an operation with this `operationId`.
    pub fn has_operation(id: &str) -> bool {
        Self::get().operations.iter().any(|op| op.id == id)
    }

    /// Parses a document in JSON (panics on a malformed one: it is compiled in and tested).
    pub fn parse(text: &str) -> Spec {
        let doc: Value = serde_json::from_str(text).expect("the document is valid JSON");
        let empty = Map::new();
        let components = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                let id = op["operationId"].as_str().expect("operationId").to_string();
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| ps.iter().map(|p| parse_param(p, components)).collect())
                    .unwrap_or_default();
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|s| compile(&to_json_schema(s, components)));
                let (success, response) = op["responses"]
                    .as_object()
                    .and_then(|r| r.iter().find(|(code, _)| code.starts_with('2')))
                    .map(|(code, r)| {
                        let schema = r.pointer("/content/application~1json/schema");
                        (
                            code.parse().unwrap_or(200),
                            schema.map(|s| compile(&to_json_schema(s, components))),
                        )
                    })
                    .unwrap_or((200, None));
                let segments = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name.to_string()),
                            None => Segment::Static(s.to_string()),
                        },
                    )
                    .collect();
                operations.push(Operation {
                    id,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    segments,
                    params,
                    body,
                    success,
                    response,
                });
            }
        }
        Spec { operations }
    }

    /// The operation serving `method` on the (raw, still percent-encoded) path segments, with
    /// its raw path parameters; `Err(true)` when the path exists with other methods only.
    pub fn find<'s, 'p>(
        &'s self,
        method: &str,
        segments: &[&'p str],
    ) -> Result<Matched<'s, 'p>, bool> {
        let mut best: Option<(&Operation, usize)> = None;
        let mut path_exists = false;
        for op in &self.operations {
            if op.segments.len() != segments.len() {
                continue;
            }
            let mut statics = 0;
            let fits = op.segments.iter().zip(segments).all(|(t, s)| match t {
                Segment::Static(text) => {
                    statics += 1;
                    text == s
                }
                Segment::Param(_) => !s.is_empty(),
            });
            if !fits {
                continue;
            }
            path_exists = true;
            if op.method == method && best.is_none_or(|(_, n)| statics > n) {
                best = Some((op, statics));
            }
        }
        let (op, _) = best.ok_or(path_exists)?;
        let params = op
            .segments
            .iter()
            .zip(segments)
            .filter_map(|(t, s)| match t {
                Segment::Param(name) => Some((name.as_str(), *s)),
                Segment::Static(_) => None,
            })
            .collect();
        Ok((op, params))
    }
}

fn parse_param(p: &Value, components: &Map<String, Value>) -> Param {
    let location = match p["in"].as_str() {
        Some("path") => Location::Path,
        Some("header") => Location::Header,
        _ => Location::Query,
    };
    let schema = to_json_schema(&p["schema"], components);
    Param {
        name: p["name"].as_str().expect("parameter name").to_string(),
        location,
        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
        shape: shape(p, &schema),
        validator: compile(&schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_81_operations_with_their_success_codes() {
        let spec = Spec::get();
        assert_eq!(spec.operations.len(), 81);
        let code = |id: &str| spec.operations.iter().find(|o| o.id == id).unwrap().success;
        assert_eq!(code("createConversation"), 201);
        assert_eq!(code("createMessage"), 201);
        assert_eq!(code("getOrCreateConversation"), 200);
        assert_eq!(code("upsertFile"), 200);
    }

    #[test]
    fn static_segments_win_over_parameters() {
        let spec = Spec::get();
        let (op, params) = spec.find("GET", &["v1", "files", "search"]).ok().unwrap();
        assert_eq!(op.id, "searchFiles");
        assert!(params.is_empty());
        let (op, params) = spec.find("GET", &["v1", "files", "file_1"]).ok().unwrap();
        assert_eq!(
            (op.id.as_str(), params),
            ("getFile", vec![("id", "file_1")])
        );
        let (op, _) = spec.find("POST", &["v1", "files", "a", "b"]).ok().unwrap();
        assert_eq!(op.id, "copyFile");
        let (op, _) = spec
            .find("GET", &["v1", "files", "tags", "t", "values"])
            .ok()
            .unwrap();
        assert_eq!(op.id, "listFileTagValues");
        assert_eq!(spec.find("PATCH", &["v1", "files"]).err(), Some(true));
        assert_eq!(spec.find("GET", &["v2", "nothing"]).err(), Some(false));
    }
}
