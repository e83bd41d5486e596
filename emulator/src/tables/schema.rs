//! Table schemas and row values.
//!
//! A schema arrives either as a JSON schema (`{type: "object", properties: {col: {...}}}`) or as
//! the bare object of columns (`{col: {type: ...}}`); both are stored in the normalised form of
//! `Table.schema` (as in `@botpress/api` 1.70.2): `{type: "object", properties, additionalProperties:
//! true, required?}` where each column carries `x-zui.index`. [`Columns`] is the parsed view used
//! to validate row values and to resolve column names in filters.

use serde_json::{Map, Value, json};

use super::limits::{MAX_COLUMN_NAME, REGEX_SIZE_LIMIT};
use crate::error::ApiError;

/// Names the service manages on every row; no user column may take them.
pub const RESERVED_NAMES: [&str; 6] = [
    "id",
    "createdAt",
    "updatedAt",
    "computed",
    "stale",
    "similarity",
];

/// The JSON type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// `string` (also dates: `format: date-time`).
    String,
    /// `number` (`integer` is accepted and stored as `number`).
    Number,
    /// `boolean`.
    Boolean,
    /// `object`.
    Object,
    /// `array`.
    Array,
    /// `null`.
    Null,
}

impl ColType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "number" | "integer" => Self::Number,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            "null" => Self::Null,
            _ => return None,
        })
    }

    /// The schema keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Object => "object",
            Self::Array => "array",
            Self::Null => "null",
        }
    }

    fn matches(self, v: &Value) -> bool {
        match self {
            Self::String => v.is_string(),
            Self::Number => v.is_number(),
            Self::Boolean => v.is_boolean(),
            Self::Object => v.is_object(),
            Self::Array => v.is_array(),
            Self::Null => v.is_null(),
        }
    }
}

/// One column of a table, parsed from the stored schema.
#[derive(Clone, Debug)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// JSON type.
    pub ty: ColType,
    /// `format: date-time`: values are ISO 8601 timestamps, stored normalised.
    pub is_date: bool,
    /// `null` accepted (the default).
    pub nullable: bool,
    /// Listed in the schema's `required`.
    pub required: bool,
    /// Allowed values of a string column.
    pub enum_values: Option<Vec<String>>,
    /// Pattern a string value must match.
    pub pattern: Option<regex::Regex>,
    /// Type of array items.
    pub items: Option<ColType>,
    /// `x-zui.searchable`.
    pub searchable: bool,
    /// `x-zui.computed` is set.
    pub computed: bool,
    /// `x-zui.index`.
    pub index: i64,
}

/// The columns of a table, in `x-zui.index` order.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    cols: Vec<Column>,
}

impl Columns {
    /// Parses a stored (normalised) schema.
    pub fn from_schema(schema: &Value) -> Self {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut cols: Vec<Column> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter_map(|(name, col)| {
                        let ty = ColType::parse(col.get("type")?.as_str()?)?;
                        let zui = col.get("x-zui");
                        Some(Column {
                            name: name.clone(),
                            ty,
                            is_date: col.get("format").and_then(Value::as_str) == Some("date-time"),
                            nullable: col.get("nullable").and_then(Value::as_bool).unwrap_or(true),
                            required: required.contains(&name.as_str()),
                            enum_values: col.get("enum").and_then(Value::as_array).map(|e| {
                                e.iter()
                                    .filter_map(|s| s.as_str().map(String::from))
                                    .collect()
                            }),
                            pattern: col
                                .get("pattern")
                                .and_then(Value::as_str)
                                .and_then(|p| compile_pattern(p).ok()),
                            items: col
                                .get("items")
                                .and_then(|i| i.get("type"))
                                .and_then(Value::as_str)
                                .and_then(ColType::parse),
                            searchable: zui
                                .and_then(|z| z.get("searchable"))
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                            computed: zui
                                .and_then(|z| z.get("computed"))
                                .is_some_and(|c| !c.is_null()),
                            index: zui
                                .and_then(|z| z.get("index"))
                                .and_then(Value::as_i64)
                                .unwrap_or(i64::MAX),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        cols.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.name.cmp(&b.name)));
        Self { cols }
    }

    /// The column named `name`.
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.cols.iter().find(|c| c.name == name)
    }

    /// All columns, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &Column> {
        self.cols.iter()
    }

    /// Columns that `search` looks into: the `x-zui.searchable` string columns, or every string
    /// column when none is marked (the emulator's stand-in for the service's semantic search).
    pub fn search_columns(&self) -> Vec<String> {
        let strings = || self.cols.iter().filter(|c| c.ty == ColType::String);
        let marked: Vec<String> = strings()
            .filter(|c| c.searchable)
            .map(|c| c.name.clone())
            .collect();
        if marked.is_empty() {
            strings().map(|c| c.name.clone()).collect()
        } else {
            marked
        }
    }

    /// Validates the user columns of one row. `partial` (updates) skips the `required` check.
    /// Returns the normalised values and warnings (ignored unknown columns), or a message naming
    /// the offending column.
    pub fn validate_row(
        &self,
        input: &Map<String, Value>,
        partial: bool,
    ) -> Result<(Map<String, Value>, Vec<String>), String> {
        let mut data = Map::new();
        let mut warnings = Vec::new();
        for (key, value) in input {
            if RESERVED_NAMES.contains(&key.as_str()) {
                continue;
            }
            let Some(col) = self.get(key) else {
                // The service's row schema is open (`additionalProperties: true`) and only stores
                // declared columns; the emulator drops the others and says so in `warnings`.
                warnings.push(format!(
                    "column \"{key}\" does not exist in the table and was ignored"
                ));
                continue;
            };
            data.insert(key.clone(), col.validate(value)?);
        }
        if !partial {
            for col in self.cols.iter().filter(|c| c.required) {
                if data.get(&col.name).is_none_or(Value::is_null) {
                    return Err(format!("column \"{}\" is required", col.name));
                }
            }
        }
        Ok((data, warnings))
    }
}

impl Column {
    /// Validates one value; dates come back normalised to the service's timestamp form.
    pub fn validate(&self, v: &Value) -> Result<Value, String> {
        let name = &self.name;
        if v.is_null() {
            return if self.nullable || self.ty == ColType::Null {
                Ok(Value::Null)
            } else {
                Err(format!("column \"{name}\" is not nullable"))
            };
        }
        if !self.ty.matches(v) {
            return Err(format!(
                "column \"{name}\" expects a {}, got {}",
                self.ty.as_str(),
                json_type_name(v)
            ));
        }
        if let Value::String(s) = v {
            if self.is_date {
                return parse_date(s).map(Value::String).ok_or_else(|| {
                    format!("column \"{name}\" expects an ISO 8601 date-time, got \"{s}\"")
                });
            }
            if let Some(allowed) = &self.enum_values
                && !allowed.iter().any(|a| a == s)
            {
                return Err(format!(
                    "column \"{name}\" expects one of {allowed:?}, got \"{s}\""
                ));
            }
            if let Some(p) = &self.pattern
                && !p.is_match(s)
            {
                return Err(format!(
                    "column \"{name}\" does not match the pattern {}",
                    p.as_str()
                ));
            }
        }
        if let (Value::Array(items), Some(item_ty)) = (v, self.items)
            && let Some(bad) = items.iter().find(|i| !item_ty.matches(i))
        {
            return Err(format!(
                "column \"{name}\" expects items of type {}, got {}",
                item_ty.as_str(),
                json_type_name(bad)
            ));
        }
        Ok(v.clone())
    }
}

/// Parses an ISO 8601 / RFC 3339 timestamp into the service's normalised form.
pub fn parse_date(s: &str) -> Option<String> {
    crate::ids::parse_time(s).map(crate::ids::timestamp)
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compiles a user regex with the size limit; the `regex` crate matches in linear time.
pub fn compile_pattern(p: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(p)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Checks a column name: 1..30 characters, not a system name, and free of the characters that
/// JSON paths and dotted `select` paths give a meaning to.
pub fn check_column_name(name: &str) -> Result<(), ApiError> {
    let len = name.chars().count();
    if len == 0 || len > MAX_COLUMN_NAME {
        return Err(ApiError::invalid_payload(format!(
            "column name \"{name}\" must have 1 to {MAX_COLUMN_NAME} characters"
        )));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(ApiError::invalid_payload(format!(
            "column name \"{name}\" is reserved for a system column"
        )));
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '.' | '"' | '\\' | '[' | ']' | '$' | '*'))
    {
        return Err(ApiError::invalid_payload(format!(
            "column name \"{name}\" may not contain control characters or any of . \" \\ [ ] $ *"
        )));
    }
    Ok(())
}

/// Normalises a schema given to createTable / getOrCreateTable / updateTable. `previous` (the
/// table's current schema) keeps the `x-zui.index` of columns that stay.
pub fn normalize(input: &Map<String, Value>, previous: Option<&Value>) -> Result<Value, ApiError> {
    let is_json_schema = input.get("properties").is_some_and(Value::is_object)
        && input.get("type").is_none_or(|t| t == "object");
    let (props, required_in) = if is_json_schema {
        (
            input["properties"].as_object().cloned().unwrap_or_default(),
            input.get("required"),
        )
    } else {
        (input.clone(), None)
    };
    // The service validates the schema with its request schema ("a maximum of 20 keys"), so too
    // many columns is an `InvalidPayload` (400), not a `LimitExceeded`.
    if let Some(max) = crate::platform::limits::current().table_columns
        && props.len() > max
    {
        return Err(ApiError::invalid_payload(format!(
            "schema: a table may have at most {max} columns, got {}",
            props.len()
        )));
    }
    let prev_index = |name: &str| {
        previous
            .and_then(|p| {
                p.pointer(&format!(
                    "/properties/{}/x-zui/index",
                    name.replace('~', "~0").replace('/', "~1")
                ))
            })
            .and_then(Value::as_i64)
    };
    let mut used: Vec<i64> = props.keys().filter_map(|k| prev_index(k)).collect();
    let mut next_index = previous
        .and_then(|p| p.get("properties"))
        .and_then(Value::as_object)
        .map(|p| {
            p.values()
                .filter_map(|c| c.pointer("/x-zui/index").and_then(Value::as_i64))
                .max()
                .map_or(0, |m| m + 1)
        })
        .unwrap_or(0);
    let mut out = Map::new();
    for (name, col) in &props {
        check_column_name(name)?;
        let Some(col) = col.as_object() else {
            return Err(ApiError::invalid_payload(format!(
                "schema.{name}: a column must be an object with a \"type\""
            )));
        };
        let mut col = col.clone();
        let ty = col
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match ty.as_str() {
            "date" => {
                col.insert("type".into(), json!("string"));
                col.insert("format".into(), json!("date-time"));
            }
            "integer" => {
                col.insert("type".into(), json!("number"));
            }
            t if ColType::parse(t).is_some() => {}
            _ => {
                return Err(ApiError::invalid_payload(format!(
                    "schema.{name}.type must be one of string, number, boolean, object, array, null (or date), got {}",
                    col.get("type")
                        .map_or("nothing".to_string(), |t| t.to_string())
                )));
            }
        }
        if let Some(p) = col.get("pattern") {
            let ok = p.as_str().is_some_and(|p| compile_pattern(p).is_ok());
            if !ok {
                return Err(ApiError::invalid_payload(format!(
                    "schema.{name}.pattern is not a valid regular expression"
                )));
            }
        }
        if let Some(e) = col.get("enum")
            && !e.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(ApiError::invalid_payload(format!(
                "schema.{name}.enum must be an array of strings"
            )));
        }
        let mut zui = match col.remove("x-zui") {
            Some(Value::Object(z)) => z,
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                return Err(ApiError::invalid_payload(format!(
                    "schema.{name}.x-zui must be an object"
                )));
            }
        };
        let index = match prev_index(name) {
            Some(i) => i,
            None => {
                let given = zui
                    .get("index")
                    .and_then(Value::as_i64)
                    .filter(|i| *i >= 0 && !used.contains(i));
                let i = given.unwrap_or_else(|| {
                    while used.contains(&next_index) {
                        next_index += 1;
                    }
                    next_index
                });
                used.push(i);
                i
            }
        };
        zui.insert("index".into(), json!(index));
        col.insert("x-zui".into(), Value::Object(zui));
        let col = Value::Object(col);
        // The stored column must read back as the API's `ColumnSchema` (typed `x-zui`, `items`
        // and `properties` with a `type`, ...): check it here rather than fail on the way out.
        if let Err(e) = serde_json::from_value::<botpress::types::ColumnSchema>(col.clone()) {
            return Err(ApiError::invalid_payload(format!("schema.{name}: {e}")));
        }
        out.insert(name.clone(), col);
    }
    let mut schema = json!({ "type": "object", "properties": out, "additionalProperties": true });
    if let Some(required) = required_in {
        let names = required
            .as_array()
            .filter(|r| r.iter().all(Value::is_string))
            .ok_or_else(|| {
                ApiError::invalid_payload("schema.required must be an array of column names")
            })?;
        for n in names {
            let n = n.as_str().unwrap_or_default();
            if !props.contains_key(n) {
                return Err(ApiError::invalid_payload(format!(
                    "schema.required names an unknown column \"{n}\""
                )));
            }
        }
        if !names.is_empty() {
            schema["required"] = Value::Array(names.clone());
        }
    }
    match input.get("$schema").filter(|_| is_json_schema) {
        Some(Value::String(s)) => schema["$schema"] = json!(s),
        Some(_) => return Err(ApiError::invalid_payload("schema.$schema must be a string")),
        None => {}
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn both_schema_forms_normalise_alike() {
        let a = normalize(&obj(json!({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}})), None).unwrap();
        let b = normalize(
            &obj(json!({"name": {"type": "string"}, "age": {"type": "number"}})),
            None,
        )
        .unwrap();
        assert_eq!(a["properties"]["age"]["type"], "number");
        assert_eq!(a["additionalProperties"], true);
        assert_eq!(a["type"], "object");
        let idx = |s: &Value, c: &str| s["properties"][c]["x-zui"]["index"].as_i64().unwrap();
        assert_ne!(idx(&a, "name"), idx(&a, "age"));
        assert_eq!(b["properties"]["name"]["type"], "string");
    }

    #[test]
    fn indexes_survive_a_schema_update_and_new_columns_get_new_ones() {
        let first = normalize(
            &obj(json!({"a": {"type": "string"}, "b": {"type": "string"}})),
            None,
        )
        .unwrap();
        let second = normalize(
            &obj(json!({"b": {"type": "string"}, "c": {"type": "boolean"}})),
            Some(&first),
        )
        .unwrap();
        assert_eq!(
            second["properties"]["b"]["x-zui"]["index"],
            first["properties"]["b"]["x-zui"]["index"]
        );
        assert_eq!(second["properties"]["c"]["x-zui"]["index"], json!(2));
    }

    #[test]
    fn bad_schemas_are_invalid_payload_naming_the_column() {
        let too_many: Map<String, Value> = (0..21)
            .map(|i| (format!("c{i}"), json!({"type": "string"})))
            .collect();
        let e = normalize(&too_many, None).unwrap_err();
        assert_eq!((e.status, e.error_type), (400, "InvalidPayload"));
        let e = normalize(&obj(json!({"x": {"type": "uuid"}})), None).unwrap_err();
        assert!(e.message.contains("schema.x.type"), "{}", e.message);
        let e = normalize(&obj(json!({"id": {"type": "string"}})), None).unwrap_err();
        assert!(e.message.contains("reserved"));
        for (col, needle) in [
            (
                json!({"type": "array", "items": {}}),
                "schema.x: missing field `type`",
            ),
            (
                json!({"type": "string", "x-zui": {"searchable": "yes"}}),
                "schema.x: invalid type",
            ),
            (
                json!({"type": "string", "nullable": 1}),
                "schema.x: invalid type",
            ),
            (
                json!({"type": "string", "x-zui": 3}),
                "schema.x.x-zui must be an object",
            ),
        ] {
            let e = normalize(&obj(json!({ "x": col })), None).unwrap_err();
            assert!(
                e.message.contains(needle),
                "{} should contain {needle}",
                e.message
            );
        }
        let e = normalize(&obj(json!({"a.b": {"type": "string"}})), None).unwrap_err();
        assert!(e.message.contains("a.b"));
        let e = normalize(&obj(json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]})), None).unwrap_err();
        assert!(e.message.contains("\"b\""));
    }

    #[test]
    fn values_are_checked_against_column_types() {
        let s = normalize(
            &obj(json!({"type": "object", "properties": {
                "name": {"type": "string", "enum": ["a", "b"]},
                "n": {"type": "number", "nullable": false},
                "when": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "code": {"type": "string", "pattern": "^[A-Z]{2}$"}
            }, "required": ["n"]})),
            None,
        )
        .unwrap();
        let cols = Columns::from_schema(&s);
        let ok = cols
            .validate_row(&obj(json!({"name": "a", "n": 1, "when": "2024-01-02T03:04:05+01:00", "tags": ["x"], "code": "AB", "extra": 1})), false)
            .unwrap();
        assert_eq!(ok.0["when"], "2024-01-02T02:04:05.000Z");
        assert!(!ok.0.contains_key("extra"));
        assert_eq!(ok.1.len(), 1);
        for (row, needle) in [
            (
                json!({"n": "1"}),
                "column \"n\" expects a number, got string",
            ),
            (json!({"n": null}), "column \"n\" is not nullable"),
            (
                json!({"name": "z", "n": 1}),
                "column \"name\" expects one of",
            ),
            (
                json!({"when": "yesterday", "n": 1}),
                "column \"when\" expects an ISO 8601",
            ),
            (
                json!({"tags": [1], "n": 1}),
                "column \"tags\" expects items of type string",
            ),
            (
                json!({"code": "abc", "n": 1}),
                "column \"code\" does not match",
            ),
            (json!({"name": "a"}), "column \"n\" is required"),
        ] {
            let e = cols.validate_row(&obj(row), false).unwrap_err();
            assert!(e.contains(needle), "{e} should contain {needle}");
        }
        assert!(cols.validate_row(&obj(json!({"name": "a"})), true).is_ok());
    }
}
