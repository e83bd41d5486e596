//! Loading an OpenAPI 3.0 document (ours in YAML, the vendor's in JSON) and walking it.
//!
//! A [`Document`] is the parsed tree as a `serde_json::Value` plus the file it came from.
//! Loading checks two things and reports failures with the file and the location:
//! the text is valid YAML/JSON, and it has the structure of an OpenAPI 3.0 document (the same
//! `openapiv3` model `build.rs` feeds to progenitor). Everything after that (the authoring rules,
//! the inventory, the comparison with the vendor export) works on the `Value` tree, so a
//! document that loads never makes those steps panic.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold, in the order operations are listed.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A parsed OpenAPI document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it was read from (used in messages).
    pub path: PathBuf,
    /// The whole document.
    pub root: Value,
}

/// One operation of a document, with path-level parameters merged in.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// `operationId`, if the operation has one.
    pub id: Option<&'a str>,
    /// Lower-case HTTP method (`get`, `post`, ...).
    pub method: &'static str,
    /// The path template (`/v1/chat/users/{id}`).
    pub path: &'a str,
    /// The operation object.
    pub op: &'a Value,
    /// Path-level then operation-level parameters, as written (possibly `$ref`s).
    pub parameters: Vec<&'a Value>,
}

impl<'a> Operation<'a> {
    /// `operationId`, or `METHOD path` when it has none: how messages name the operation.
    pub fn name(&self) -> String {
        match self.id {
            Some(id) => id.to_string(),
            None => format!("{} {}", self.method.to_uppercase(), self.path),
        }
    }

    /// The operation's tags.
    pub fn tags(&self) -> Vec<&'a str> {
        self.op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `responses` map (empty if absent or malformed).
    pub fn responses(&self) -> Vec<(&'a str, &'a Value)> {
        self.op
            .get("responses")
            .and_then(Value::as_object)
            .map(|r| r.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default()
    }
}

impl fmt::Display for Operation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {})",
            self.name(),
            self.method.to_uppercase(),
            self.path
        )
    }
}

impl Document {
    /// Reads and parses `path` (YAML or JSON).
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(path, &text)
    }

    /// Parses `text` as the document found at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let shown = path.display();
        let root: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| anyhow!("{shown}: not a valid YAML/JSON document: {e}"))?;
        if !root.is_object() {
            bail!("{shown}: not an OpenAPI document: the top level must be a mapping");
        }
        match root.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0") => {}
            Some(v) => bail!("{shown}: `openapi: {v}`: only OpenAPI 3.0.x documents are supported"),
            None => bail!("{shown}: not an OpenAPI document: no `openapi: 3.0.x` version field"),
        }
        if let Err(e) = serde_yaml_ng::from_str::<openapiv3::OpenAPI>(text) {
            // serde's untagged enums (`$ref` or inline) lose the place of the error: narrow it
            // down part by part.
            return Err(match structure_error(&root) {
                Some((keys, message)) => {
                    let line = key_line(text, &keys)
                        .map(|l| format!(" (line {l})"))
                        .unwrap_or_default();
                    anyhow!(
                        "{shown}: not a valid OpenAPI 3.0 document: at {}{line}: {message}",
                        keys.join(".")
                    )
                }
                None => anyhow!("{shown}: not a valid OpenAPI 3.0 document: {e}"),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            root,
        })
    }

    /// Every operation: by path (sorted, as `serde_json` maps are), then in [`METHODS`] order.
    pub fn operations(&self) -> Vec<Operation<'_>> {
        let mut out = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let shared: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .map(|p| p.iter().collect())
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(*method).filter(|op| op.is_object()) else {
                    continue;
                };
                let mut parameters = shared.clone();
                if let Some(own) = op.get("parameters").and_then(Value::as_array) {
                    parameters.extend(own);
                }
                out.push(Operation {
                    id: op.get("operationId").and_then(Value::as_str),
                    method,
                    path,
                    op,
                    parameters,
                });
            }
        }
        out
    }

    /// The target of a local `$ref` (`#/components/...`), or an error naming the reference.
    pub fn lookup(&self, reference: &str) -> Result<&Value> {
        let pointer = reference.strip_prefix('#').ok_or_else(|| {
            anyhow!("`$ref: {reference}`: only local references (`#/...`) are supported")
        })?;
        self.root
            .pointer(pointer)
            .ok_or_else(|| anyhow!("`$ref: {reference}` does not resolve"))
    }

    /// `value` with `$ref`s followed until a non-reference (at most 32 hops).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> Result<&'a Value> {
        for _ in 0..32 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => value = self.lookup(r)?,
                None => return Ok(value),
            }
        }
        bail!("`$ref` chain longer than 32 references (a cycle?)")
    }

    /// A parameter (resolved): `(in, name)`.
    pub fn parameter<'a>(&'a self, parameter: &'a Value) -> Result<(&'a str, &'a str, &'a Value)> {
        let p = self.resolve(parameter)?;
        let location = p.get("in").and_then(Value::as_str).unwrap_or("");
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        Ok((location, name, p))
    }

    /// The JSON schema of an operation's request body, if it has one.
    pub fn request_schema<'a>(&'a self, op: &Operation<'a>) -> Result<Option<&'a Value>> {
        let Some(body) = op.op.get("requestBody") else {
            return Ok(None);
        };
        let body = self.resolve(body)?;
        Ok(body.pointer("/content/application~1json/schema"))
    }

    /// The 2xx responses of an operation: `(status, response)` with the response resolved.
    pub fn success_responses<'a>(
        &'a self,
        op: &Operation<'a>,
    ) -> Result<Vec<(&'a str, &'a Value)>> {
        let mut out = Vec::new();
        for (status, response) in op.responses() {
            if status.starts_with('2') {
                out.push((status, self.resolve(response)?));
            }
        }
        Ok(out)
    }

    /// The JSON schema of the (first) 2xx response, if any.
    pub fn success_schema<'a>(
        &'a self,
        op: &Operation<'a>,
    ) -> Result<Option<(&'a str, &'a Value)>> {
        let responses = self.success_responses(op)?;
        Ok(responses.into_iter().find_map(|(status, r)| {
            r.pointer("/content/application~1json/schema")
                .map(|s| (status, s))
        }))
    }
}

/// Deserializes `value` as `T`, or as a `$ref` when it is one: the error message if neither.
fn check<T: serde::de::DeserializeOwned>(value: &Value) -> Option<String> {
    if value.get("$ref").is_some() {
        return serde_json::from_value::<openapiv3::ReferenceOr<T>>(value.clone())
            .err()
            .map(|e| e.to_string());
    }
    serde_json::from_value::<T>(value.clone())
        .err()
        .map(|e| e.to_string())
}

/// A check of one kind of OpenAPI object.
type Check = fn(&Value) -> Option<String>;

/// The first part of `root` that is not valid OpenAPI 3.0: its key path and the error.
fn structure_error(root: &Value) -> Option<(Vec<String>, String)> {
    let at = |keys: &[&str], message: String| {
        Some((keys.iter().map(|k| k.to_string()).collect(), message))
    };
    let empty = serde_json::Map::new();
    let entries = |v: Option<&Value>| v.and_then(Value::as_object).unwrap_or(&empty).clone();
    for (path, item) in entries(root.get("paths")) {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let params = op.get("parameters").and_then(Value::as_array);
            for (i, param) in params.into_iter().flatten().enumerate() {
                if let Some(e) = check::<openapiv3::Parameter>(param) {
                    return at(&["paths", &path, method, "parameters", &i.to_string()], e);
                }
            }
            if let Some(e) = op
                .get("requestBody")
                .and_then(check::<openapiv3::RequestBody>)
            {
                return at(&["paths", &path, method, "requestBody"], e);
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                for (status, response) in responses {
                    if let Some(e) = check::<openapiv3::Response>(response) {
                        return at(&["paths", &path, method, "responses", status], e);
                    }
                }
            }
            if let Some(e) = op.get("responses").and_then(check::<openapiv3::Responses>) {
                return at(&["paths", &path, method, "responses"], e);
            }
            if let Some(e) = check::<openapiv3::Operation>(op) {
                return at(&["paths", &path, method], e);
            }
        }
        if let Some(e) = check::<openapiv3::PathItem>(&item) {
            return at(&["paths", &path], e);
        }
    }
    let components = root.get("components");
    let section = |name: &str| entries(components.and_then(|c| c.get(name)));
    let checks: [(&str, Check); 5] = [
        ("schemas", check::<openapiv3::Schema>),
        ("responses", check::<openapiv3::Response>),
        ("parameters", check::<openapiv3::Parameter>),
        ("requestBodies", check::<openapiv3::RequestBody>),
        ("securitySchemes", check::<openapiv3::SecurityScheme>),
    ];
    for (kind, check) in checks {
        for (name, value) in section(kind) {
            if let Some(e) = check(&value) {
                return at(&["components", kind, &name], e);
            }
        }
    }
    None
}

/// The 1-based line of a block-style YAML key path (`paths./v1/x.get`), found by walking the
/// text: each key is looked for after the previous one, more indented. Array indexes are
/// skipped. `None` when not found (e.g. in a JSON document on one line).
fn key_line(text: &str, keys: &[String]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let (mut from, mut indent, mut found) = (0usize, None::<usize>, None);
    for key in keys.iter().filter(|k| k.parse::<usize>().is_err()) {
        let forms = [
            format!("{key}:"),
            format!("'{key}':"),
            format!("\"{key}\":"),
        ];
        let (i, line) = lines.iter().enumerate().skip(from).find(|(_, l)| {
            let body = l.trim_start();
            indent.is_none_or(|p| l.len() - body.len() > p)
                && forms.iter().any(|f| body.starts_with(f.as_str()))
        })?;
        indent = Some(line.len() - line.trim_start().len());
        from = i + 1;
        found = Some(i + 1);
    }
    found
}

/// The names in a schema's `required` list.
pub fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The component name a `$ref` points at (`#/components/schemas/User` → `User`).
pub fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// `snake_case` of an operationId: the SDK method name (`getOrCreateUser` → `get_or_create_user`).
pub fn snake_case(operation_id: &str) -> String {
    let mut out = String::with_capacity(operation_id.len() + 4);
    let chars: Vec<char> = operation_id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if prev_lower || (prev_upper && next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_matches_sdk_method_names() {
        assert_eq!(snake_case("getOrCreateUser"), "get_or_create_user");
        assert_eq!(snake_case("listFilePassages"), "list_file_passages");
        assert_eq!(snake_case("getTableJobs"), "get_table_jobs");
        assert_eq!(snake_case("exportURLFor"), "export_url_for");
    }

    #[test]
    fn rejects_non_openapi_yaml() {
        let err = Document::parse(Path::new("x.yaml"), "just: text\n").unwrap_err();
        assert!(
            err.to_string().contains("x.yaml: not an OpenAPI document"),
            "{err}"
        );
        let err = Document::parse(Path::new("x.yaml"), "openapi: 3.1.0\npaths: {}\n").unwrap_err();
        assert!(err.to_string().contains("only OpenAPI 3.0.x"), "{err}");
    }
}
