//! The authoring rules of `openapi/botpress.yaml`, checked by `cargo xtask codegen`.
//!
//! Each rule exists because progenitor (or the SDK's hand-written layer) depends on it:
//!
//! | rule | what it requires |
//! |---|---|
//! | `operation-id` | every operation has an `operationId`, unique in the document |
//! | `api-tag` | every operation has exactly one of the tags `Runtime`, `Files`, `Tables` |
//! | `path-parameters` | every `{name}` of the path template is a required `in: path` parameter |
//! | `no-default-response` | no `default` response (progenitor mishandles them) |
//! | `error-responses` | `4XX` and `5XX` responses referencing the shared `Error` |
//! | `one-json-success` | exactly one 2xx response, with an `application/json` schema |
//! | `open-responses` | no `additionalProperties: false` on a schema reachable from a response |
//! | `no-identity-headers` | no header parameter for an identity header (they are security schemes) |
//! | `named-response-enums` | every string enum reachable from a response is a named component schema |
//! | `named-query-schemas` | object/array query parameters (other than arrays of scalars) use a named schema |
//! | `list-shape` | a `nextToken` list's response has `meta` (`$ref` ListMeta) and exactly one array |
//! | `resolvable-refs` | every `$ref` resolves |
//!
//! [`validate`] returns every violation (it never stops at the first), each naming the
//! operation or schema and the rule.

use std::{
    collections::{BTreeMap, HashSet},
    fmt,
};

use serde_json::Value;

use crate::document::{Document, Operation, ref_name};

/// The tags that say which API an operation belongs to, in inventory order.
pub const APIS: &[&str] = &["Runtime", "Files", "Tables"];

/// Identity headers: injected from client configuration, never per-operation parameters.
pub const IDENTITY_HEADERS: &[&str] = &[
    "x-bot-id",
    "x-integration-id",
    "x-integration-alias",
    "x-workspace-id",
    "x-user-id",
    "x-user-role",
    "x-integration-name",
];

const ERROR_RESPONSE: &str = "#/components/responses/Error";
const ERROR_SCHEMA: &str = "#/components/schemas/Error";
const LIST_META: &str = "#/components/schemas/ListMeta";

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `operation getUser (GET /v1/chat/users/{id})` or `schema User.tags`.
    pub place: String,
    /// The rule's name (see the module docs).
    pub rule: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [rule {}]", self.place, self.message, self.rule)
    }
}

/// Checks every rule on `doc`; an empty result means the document is fine.
pub fn validate(doc: &Document) -> Vec<Violation> {
    let mut v = Vec::new();
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut response_roots: Vec<(String, &Value)> = Vec::new();
    for op in doc.operations() {
        let place = format!("operation {op}");
        let mut push = |rule, message: String| {
            v.push(Violation {
                place: place.clone(),
                rule,
                message,
            })
        };
        match op.id {
            Some(id) if !id.is_empty() => {
                ids.entry(id)
                    .or_default()
                    .push(format!("{} {}", op.method.to_uppercase(), op.path))
            }
            _ => push(
                "operation-id",
                "has no `operationId`; every operation needs one (it names the SDK method)".into(),
            ),
        }
        check_tags(&op, &mut push);
        check_path_parameters(doc, &op, &mut push);
        check_parameters(doc, &op, &mut push);
        check_responses(doc, &op, &mut push);
        if let Ok(Some((_, schema))) = doc.success_schema(&op) {
            response_roots.push((op.name(), schema));
            check_list_shape(doc, &op, schema, &mut push);
        }
    }
    for (id, places) in ids {
        if places.len() > 1 {
            v.push(Violation {
                place: format!("operation {id}"),
                rule: "operation-id",
                message: format!(
                    "`operationId: {id}` is used by {} operations: {}",
                    places.len(),
                    places.join(", ")
                ),
            });
        }
    }
    check_response_schemas(doc, &response_roots, &mut v);
    v
}

fn check_tags(op: &Operation<'_>, push: &mut impl FnMut(&'static str, String)) {
    let apis: Vec<&str> = op.tags().into_iter().filter(|t| APIS.contains(t)).collect();
    if apis.len() != 1 {
        push(
            "api-tag",
            format!(
                "must have exactly one of the tags {} (it has {:?})",
                APIS.join(", "),
                op.tags()
            ),
        );
    }
}

fn check_path_parameters(
    doc: &Document,
    op: &Operation<'_>,
    push: &mut impl FnMut(&'static str, String),
) {
    let mut declared = HashSet::new();
    for p in &op.parameters {
        match doc.parameter(p) {
            Ok(("path", name, p)) => {
                if p.get("required") != Some(&Value::Bool(true)) {
                    push(
                        "path-parameters",
                        format!("path parameter `{name}` must be `required: true`"),
                    );
                }
                declared.insert(name.to_string());
            }
            Ok(_) => {}
            Err(e) => push("resolvable-refs", format!("parameter: {e}")),
        }
    }
    let mut rest = op.path;
    let mut in_template = HashSet::new();
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        in_template.insert(name.to_string());
        if !declared.contains(name) {
            push(
                "path-parameters",
                format!("`{{{name}}}` of the path has no `in: path` parameter"),
            );
        }
        rest = &rest[start + len..];
    }
    for name in declared.difference(&in_template) {
        push(
            "path-parameters",
            format!("path parameter `{name}` is not in the path template"),
        );
    }
}

fn check_parameters(
    doc: &Document,
    op: &Operation<'_>,
    push: &mut impl FnMut(&'static str, String),
) {
    for p in &op.parameters {
        let Ok((location, name, param)) = doc.parameter(p) else {
            continue;
        };
        if location == "header" && IDENTITY_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            push(
                "no-identity-headers",
                format!(
                    "header parameter `{name}` is an identity header: declare it as a security scheme, the client injects it from its configuration"
                ),
            );
        }
        if location != "query" {
            continue;
        }
        let Some(schema) = param.get("schema") else {
            continue;
        };
        if schema.get("$ref").is_some() {
            continue;
        }
        let inline_ok = match schema.get("type").and_then(Value::as_str) {
            Some("object") => false,
            Some("array") => match schema.get("items") {
                Some(items) => match doc.resolve(items) {
                    Ok(items) => matches!(
                        items.get("type").and_then(Value::as_str),
                        Some("string" | "integer" | "number" | "boolean")
                    ),
                    Err(e) => {
                        push("resolvable-refs", format!("query parameter `{name}`: {e}"));
                        true
                    }
                },
                None => false,
            },
            _ => {
                !(schema.get("properties").is_some()
                    || schema.get("additionalProperties").is_some())
            }
        };
        if !inline_ok {
            push(
                "named-query-schemas",
                format!(
                    "query parameter `{name}` has an inline object/array schema: give it a named schema (like TagsFilter / FileTagsFilter) so build.rs can replace it with a type that encodes it"
                ),
            );
        }
    }
}

fn check_responses(
    doc: &Document,
    op: &Operation<'_>,
    push: &mut impl FnMut(&'static str, String),
) {
    let responses = op.responses();
    if op.op.get("responses").is_none() {
        push("one-json-success", "has no `responses`".into());
        return;
    }
    if responses.iter().any(|(status, _)| *status == "default") {
        push(
            "no-default-response",
            "declares a `default` response; progenitor mishandles them: declare `4XX` and `5XX` referencing the shared Error instead".into(),
        );
    }
    for range in ["4XX", "5XX"] {
        match responses.iter().find(|(status, _)| *status == range) {
            None => push(
                "error-responses",
                format!("declares no `{range}` response (`$ref: '{ERROR_RESPONSE}'`)"),
            ),
            Some((_, r)) if !is_error_response(r) => push(
                "error-responses",
                format!(
                    "its `{range}` response must be `$ref: '{ERROR_RESPONSE}'` (or a JSON response with schema `$ref: '{ERROR_SCHEMA}'`)"
                ),
            ),
            Some(_) => {}
        }
    }
    let successes: Vec<_> = responses
        .iter()
        .filter(|(s, _)| s.starts_with('2'))
        .collect();
    match successes.as_slice() {
        [(status, response)] => match doc.resolve(response) {
            Ok(r) if r.pointer("/content/application~1json/schema").is_none() => push(
                "one-json-success",
                format!("its `{status}` response has no `application/json` schema"),
            ),
            Ok(_) => {}
            Err(e) => push("resolvable-refs", format!("response `{status}`: {e}")),
        },
        [] => push("one-json-success", "declares no 2xx response".into()),
        many => push(
            "one-json-success",
            format!(
                "declares {} 2xx responses ({}); exactly one is allowed",
                many.len(),
                many.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

fn is_error_response(response: &Value) -> bool {
    response.get("$ref").and_then(Value::as_str) == Some(ERROR_RESPONSE)
        || response
            .pointer("/content/application~1json/schema/$ref")
            .and_then(Value::as_str)
            == Some(ERROR_SCHEMA)
}

fn check_list_shape(
    doc: &Document,
    op: &Operation<'_>,
    schema: &Value,
    push: &mut impl FnMut(&'static str, String),
) {
    let takes_token = op
        .parameters
        .iter()
        .filter_map(|p| doc.parameter(p).ok())
        .any(|(location, name, _)| location == "query" && name == "nextToken");
    if !takes_token {
        return;
    }
    let Ok(schema) = doc.resolve(schema) else {
        return;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let meta = props.and_then(|p| p.get("meta"));
    if meta.and_then(|m| m.get("$ref")).and_then(Value::as_str) != Some(LIST_META) {
        push(
            "list-shape",
            format!("takes `nextToken`, so its response must have `meta: {{$ref: '{LIST_META}'}}`"),
        );
    }
    let arrays: Vec<&str> = props
        .into_iter()
        .flatten()
        .filter(|(_, p)| {
            doc.resolve(p)
                .is_ok_and(|p| p.get("type").and_then(Value::as_str) == Some("array"))
        })
        .map(|(k, _)| k.as_str())
        .collect();
    if arrays.len() != 1 {
        push(
            "list-shape",
            format!(
                "takes `nextToken`, so its response must have exactly one array property (the items); it has {}: {arrays:?}",
                arrays.len()
            ),
        );
    }
}

/// Walks every schema reachable from a 2xx response (each named schema once) and checks
/// `open-responses` and `named-response-enums`.
fn check_response_schemas(doc: &Document, roots: &[(String, &Value)], v: &mut Vec<Violation>) {
    let mut seen = HashSet::new();
    for (op, schema) in roots {
        walk(
            doc,
            schema,
            &format!("response of {op}"),
            false,
            op,
            &mut seen,
            v,
        );
    }
}

fn walk(
    doc: &Document,
    schema: &Value,
    place: &str,
    named_root: bool,
    op: &str,
    seen: &mut HashSet<String>,
    v: &mut Vec<Violation>,
) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if !seen.insert(reference.to_string()) {
            return;
        }
        match doc.lookup(reference) {
            Ok(target) => {
                let name = ref_name(reference).to_string();
                walk(doc, target, &format!("schema {name}"), true, op, seen, v);
            }
            Err(e) => v.push(Violation {
                place: place.to_string(),
                rule: "resolvable-refs",
                message: e.to_string(),
            }),
        }
        return;
    }
    let mut push = |rule, message: String| {
        v.push(Violation {
            place: format!("{place} (reachable from the response of {op})"),
            rule,
            message,
        })
    };
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        push(
            "open-responses",
            "has `additionalProperties: false`; response schemas must stay open so a new field from the service does not break decoding".into(),
        );
    }
    if map.contains_key("enum")
        && !named_root
        && map
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(|t| t == "string")
    {
        push(
            "named-response-enums",
            "is an inline string enum; move it to a named schema in components/schemas so build.rs makes it an open enum".into(),
        );
    }
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            walk(doc, prop, &format!("{place}.{name}"), false, op, seen, v);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get(key) {
            let suffix = match key {
                "items" => "[]".to_string(),
                other => format!(".<{other}>"),
            };
            walk(doc, sub, &format!("{place}{suffix}"), false, op, seen, v);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            walk(
                doc,
                sub,
                &format!("{place}.<{key}[{i}]>"),
                false,
                op,
                seen,
                v,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn violations(yaml: &str) -> Vec<Violation> {
        let doc = Document::parse(Path::new("fixture.yaml"), yaml).expect("fixture parses");
        validate(&doc)
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";
    const ERRORS: &str = "        4XX: {$ref: '#/components/responses/Error'}\n        5XX: {$ref: '#/components/responses/Error'}\n";
    const COMPONENTS: &str = "components:\n  responses:\n    Error:\n      description: e\n      content:\n        application/json:\n          schema: {$ref: '#/components/schemas/Error'}\n  schemas:\n    Error: {type: object}\n    ListMeta: {type: object, properties: {nextToken: {type: string}}}\n";

    fn op(path: &str, body: &str) -> String {
        format!("{HEAD}paths:\n  {path}:\n{body}{COMPONENTS}")
    }

    #[test]
    fn a_correct_document_passes() {
        let yaml = op(
            "/v1/things/{id}",
            &format!(
                "    get:\n      operationId: getThing\n      tags: [Runtime]\n      parameters:\n      - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object}}\n{ERRORS}"
            ),
        );
        assert_eq!(violations(&yaml), vec![]);
    }

    #[test]
    fn path_template_and_parameters_must_agree() {
        let yaml = op(
            "/v1/things/{id}",
            &format!(
                "    get:\n      operationId: getThing\n      tags: [Runtime]\n      parameters:\n      - {{name: other, in: path, required: false, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object}}\n{ERRORS}"
            ),
        );
        let v = violations(&yaml);
        let messages: Vec<String> = v.iter().map(|v| v.to_string()).collect();
        assert_eq!(v.len(), 3, "{messages:#?}");
        assert!(v.iter().all(|v| v.rule == "path-parameters"
            && v.place == "operation getThing (GET /v1/things/{id})"));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`{id}` of the path has no `in: path` parameter"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`other` must be `required: true`"))
        );
    }

    #[test]
    fn list_operations_need_meta_and_one_array() {
        let yaml = op(
            "/v1/things",
            &format!(
                "    get:\n      operationId: listThings\n      tags: [Files]\n      parameters:\n      - {{name: nextToken, in: query, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  a: {{type: array, items: {{type: string}}}}\n                  b: {{type: array, items: {{type: string}}}}\n{ERRORS}"
            ),
        );
        let v = violations(&yaml);
        assert_eq!(v.len(), 2, "{v:#?}");
        assert!(
            v.iter()
                .all(|v| v.rule == "list-shape" && v.place.contains("listThings"))
        );
        assert!(v[0].message.contains("meta"), "{}", v[0]);
        assert!(
            v[1].message.contains("exactly one array property"),
            "{}",
            v[1]
        );
    }

    #[test]
    fn object_query_parameters_need_a_named_schema() {
        let yaml = op(
            "/v1/things",
            &format!(
                "    get:\n      operationId: listThings\n      tags: [Tables]\n      parameters:\n      - {{name: tags, in: query, schema: {{type: object, additionalProperties: {{type: string}}}}}}\n      - {{name: ids, in: query, schema: {{type: array, items: {{type: string}}}}}}\n      - {{name: x-user-role, in: header, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object}}\n{ERRORS}"
            ),
        );
        let v = violations(&yaml);
        assert_eq!(v.len(), 2, "{v:#?}");
        assert_eq!(v[0].rule, "named-query-schemas");
        assert!(v[0].message.contains("query parameter `tags`"), "{}", v[0]);
        assert_eq!(v[1].rule, "no-identity-headers");
        assert!(v[1].message.contains("`x-user-role`"), "{}", v[1]);
    }
}
