//! Pagination, derived from the document: the operations that page by `nextToken` (query
//! parameter `nextToken`, response `meta`) and those that page by `offset`/`limit`/`hasMore`
//! (body fields, response `hasMore`), written as one `cursor_list!` and one `offset_list!`
//! invocation that the hand-written layer (`sdk/paginate.rs`) turns into a `Paginate`
//! implementation per operation. A list operation added to the document is paginated with no
//! code of its own.
use serde_json::Value;

use super::names::{pascal, snake};

const DOCUMENT: &str = "openapi/botpress.yaml";

/// How a list operation pages.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Paging {
    /// `nextToken` query parameter, `meta.nextToken` in the response.
    Cursor,
    /// `offset`/`limit` in the request body, `hasMore` in the response.
    Offset,
}

/// One paginated operation, as derived from the document.
pub(crate) struct ListOp {
    pub paging: Paging,
    pub op_id: String,
    /// The 2xx response schema name (`ListConversationsResponse`).
    pub response: String,
    /// The items array property, snake_case (`conversations`).
    pub field: String,
    /// The Rust type of one item (`types::Conversation`, `String`).
    pub item: String,
    /// How to deduplicate items: a property of the item (`id`, `value`), `self` for strings,
    /// or nothing when the item has no identity.
    pub key: String,
}

/// Every paginated operation of the document: those whose query takes `nextToken` and whose
/// response has `meta` (cursor lists), and those whose JSON body takes `offset` and `limit`
/// and whose response has `hasMore` (offset lists). The items are the response's one
/// required array property.
pub(crate) fn pagination(doc: &Value) -> Vec<ListOp> {
    let mut ops = Vec::new();
    let paths = doc.get("paths").and_then(Value::as_object).expect("paths");
    for item in paths.values() {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            let Some(op_id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let takes_token = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == "nextToken" && p["in"] == "query")
                });
            let takes_offset = request_schema(doc, op)
                .and_then(|b| b.get("properties"))
                .and_then(Value::as_object)
                .is_some_and(|p| p.contains_key("offset") && p.contains_key("limit"));
            let Some(response_ref) = success_ref(op) else {
                continue;
            };
            let Some(response) = doc.pointer(response_ref.trim_start_matches('#')) else {
                continue;
            };
            let Some(props) = response.get("properties").and_then(Value::as_object) else {
                continue;
            };
            let paging = if takes_token && props.contains_key("meta") {
                Paging::Cursor
            } else if takes_offset && props.contains_key("hasMore") {
                Paging::Offset
            } else {
                continue;
            };
            let required: Vec<&str> = response
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let arrays: Vec<_> = props
                .iter()
                .filter(|(k, v)| {
                    v.get("type").and_then(Value::as_str) == Some("array")
                        && required.contains(&k.as_str())
                })
                .collect();
            let [(field, array)] = arrays.as_slice() else {
                panic!(
                    "{op_id}: a paginated response must have exactly one required array property"
                );
            };
            let (item, key) = match array["items"].get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let item_schema = doc
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or_else(|| panic!("{op_id}: dangling {r}"));
                    (
                        format!("types::{}", r.rsplit('/').next().unwrap_or_default()),
                        identity_property(item_schema),
                    )
                }
                None if array["items"]["type"] == "string" => {
                    ("String".to_string(), "self".to_string())
                }
                None => panic!("{op_id}: paginated items must be a named schema or a string"),
            };
            ops.push(ListOp {
                paging,
                op_id: op_id.to_string(),
                response: response_ref
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                field: snake(field),
                item,
                key,
            });
        }
    }
    ops.sort_by(|a, b| a.op_id.cmp(&b.op_id));
    ops
}

/// The property that identifies an item: `id` when the schema has a required `id`, else its
/// only required property when there is exactly one (e.g. `TagValue.value`), else none.
fn identity_property(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if required.contains(&"id") {
        return "id".to_string();
    }
    match required.as_slice() {
        [only] => snake(only),
        _ => String::new(),
    }
}

/// The text of `pagination.rs`: the `cursor_list!` and `offset_list!` invocations.
pub(crate) fn pagination_table(ops: &[ListOp]) -> String {
    let rows = |paging: Paging| {
        ops.iter()
            .filter(|o| o.paging == paging)
            .map(|o| {
                format!(
                    "    {op_id}: {builder}, {method}, types::{response}, {field}, {item}, key({key});",
                    op_id = o.op_id,
                    builder = pascal(&o.op_id),
                    method = snake(&o.op_id),
                    response = o.response,
                    field = o.field,
                    item = o.item,
                    key = o.key,
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "// Derived from {DOCUMENT} by build.rs.\n// Operations that page by `nextToken`:\n// operationId: Builder, method, response type, items field, item type, key(dedupe property).\ncursor_list! {{\n{}\n}}\n// Operations that page by `offset`/`limit`/`hasMore` (same columns).\noffset_list! {{\n{}\n}}\n",
        rows(Paging::Cursor),
        rows(Paging::Offset),
    )
}

/// The `$ref` of an operation's 2xx JSON response schema.
fn success_ref(op: &Value) -> Option<&str> {
    let responses = op.get("responses")?.as_object()?;
    let (_, resp) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
    resp.pointer("/content/application~1json/schema/$ref")?
        .as_str()
}

/// The JSON request body schema of an operation, following one `$ref`.
fn request_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let schema = op.pointer("/requestBody/content/application~1json/schema")?;
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')),
        None => Some(schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursor_and_offset_lists_are_found() {
        let doc = json!({
            "paths": {
                "/v1/chat/users": {"get": {
                    "operationId": "listUsers",
                    "parameters": [{"name": "nextToken", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ListUsersResponse"}}}}}
                }},
                "/v1/tables/{table}/rows/find": {"post": {
                    "operationId": "findTableRows",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FindBody"}}}},
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FindResponse"}}}}}
                }},
                "/v1/chat/users/{id}": {"get": {
                    "operationId": "getUser",
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}
                }}
            },
            "components": {"schemas": {
                "ListUsersResponse": {"type": "object", "required": ["users", "meta"], "properties": {
                    "users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
                    "meta": {"type": "object"}}},
                "User": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                "FindBody": {"type": "object", "properties": {"offset": {"type": "integer"}, "limit": {"type": "integer"}}},
                "FindResponse": {"type": "object", "required": ["rows", "hasMore"], "properties": {
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
                    "hasMore": {"type": "boolean"}}},
                "Row": {"type": "object", "required": ["id", "x"], "properties": {"id": {"type": "integer"}}}
            }}
        });
        let ops = pagination(&doc);
        let rows: Vec<_> = ops
            .iter()
            .map(|o| {
                (
                    o.op_id.as_str(),
                    o.paging == Paging::Cursor,
                    o.field.as_str(),
                    o.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("findTableRows", false, "rows", "id"),
                ("listUsers", true, "users", "id")
            ]
        );
        let table = pagination_table(&ops);
        assert!(table.contains("listUsers: ListUsers, list_users, types::ListUsersResponse, users, types::User, key(id);"), "{table}");
    }
}
