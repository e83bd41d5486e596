//! Generates the typed Botpress client from the OpenAPI document in `openapi/`.
//!
//! Three things are derived from the document and written to `OUT_DIR`:
//! - `botpress_api.rs`: the progenitor client (Builder interface, merged tags), with every
//!   named string enum of `components/schemas` replaced by an *open* enum (known variants plus
//!   `Unknown(String)`) so that new values from the service never break decoding, and the tags
//!   filters replaced by the SDK's dotted-query types;
//! - `pagination.rs`: one `cursor_list!` invocation per operation that pages by `nextToken`
//!   (the hand-written layer turns each into a `Paginate` implementation);
//! - nothing else: any other derived artifact is produced by `cargo xtask codegen`.

use std::{collections::BTreeMap, env, fs, path::PathBuf};

use quote::{format_ident, quote};
use serde_json::Value;

const DOCUMENT: &str = "openapi/botpress.yaml";

/// Schemas whose Rust type is hand-written in the SDK (the dotted query encoding).
const REPLACEMENTS: &[(&str, &str)] = &[
    ("TagsFilter", "crate::query::TagsFilter"),
    ("FileTagsFilter", "crate::query::FileTagsFilter"),
];

/// Synthetic schemas for optional request fields where `null` has a meaning of its own
/// (absent = unchanged, `null` = clear/delete): the field becomes
/// `Option<Nullable<T>>`, a tri-state.
const NULLABLE: &[(&str, &str)] = &[
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

/// Validation keywords the generated Rust types do not enforce: the service (and the
/// emulator, which validates against the document itself) does. Without them, strings stay
/// `String` and numbers `i64`, and `default`s are not filled in on requests, so a field the
/// caller did not set is not sent (as with the official client).
const CODEGEN_DROPPED_KEYWORDS: &[&str] = &[
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

fn main() {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = fs::read_to_string(DOCUMENT).unwrap_or_else(|e| panic!("reading {DOCUMENT}: {e}"));
    let doc: Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{DOCUMENT} is not valid YAML: {e}"));
    let enums = open_enums(&doc);
    let shaped = shape_for_codegen(doc.clone());
    let spec: openapiv3::OpenAPI = serde_json::from_value(shaped)
        .unwrap_or_else(|e| panic!("{DOCUMENT} is not an OpenAPI 3.0 document: {e}"));

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote!(crate::transport::Transport))
        .with_map_type("::std::collections::BTreeMap");
    for name in enums.keys() {
        settings.with_replacement(
            name,
            format!("crate::generated::enums::{name}"),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    for (schema, rust) in REPLACEMENTS.iter().chain(NULLABLE) {
        settings.with_replacement(schema, rust, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    let client = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor failed on {DOCUMENT}: {e}"));

    let enum_items = enums.iter().map(|(name, values)| open_enum(name, values));
    let file = quote! {
        /// Open string enums: the values the document lists, plus `Unknown` for any other.
        pub mod enums {
            #(#enum_items)*
        }
        #client
    };
    let ast: syn::File = syn::parse2(file).expect("generated code parses");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("botpress_api.rs"), prettyplease::unparse(&ast)).expect("write client");
    fs::write(out.join("pagination.rs"), pagination(&doc)).expect("write pagination table");
    fs::write(out.join("query_order.rs"), query_order(&doc)).expect("write query order table");
}

/// The document as progenitor sees it: validation keywords dropped (see
/// [`CODEGEN_DROPPED_KEYWORDS`]) and optional nullable request fields turned into tri-states.
fn shape_for_codegen(mut doc: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                // typify keeps undeclared keys (a flattened map) for `{}` but drops them for
                // `true`; both mean the same in JSON Schema.
                if map.contains_key("properties")
                    && map.get("additionalProperties") == Some(&Value::Bool(true))
                {
                    map.insert(
                        "additionalProperties".into(),
                        Value::Object(Default::default()),
                    );
                }
                let is_schema = map.contains_key("type") || map.contains_key("$ref");
                if is_schema {
                    for k in CODEGEN_DROPPED_KEYWORDS {
                        if map
                            .get(*k)
                            .is_some_and(|x| !x.is_object() || *k == "default")
                        {
                            map.remove(*k);
                        }
                    }
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    // Tri-states: only request bodies (schemas named `*Body`), top-level optional nullable fields.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if !name.ends_with("Body") {
                continue;
            }
            let required: Vec<String> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
                continue;
            };
            for (field, prop) in props.iter_mut() {
                if required.contains(field) || prop.get("nullable") != Some(&Value::Bool(true)) {
                    continue;
                }
                let target = match (prop["type"].as_str(), prop["format"].as_str()) {
                    (Some("string"), Some("date-time")) => "NullableDateTime",
                    (Some("string"), _) => "NullableString",
                    (Some("integer"), _) => "NullableInteger",
                    (Some("object"), _) => "NullableObject",
                    other => panic!("{name}.{field}: no tri-state type for nullable {other:?}"),
                };
                let description = prop.get("description").cloned();
                let mut replaced =
                    serde_json::json!({ "$ref": format!("#/components/schemas/{target}") });
                if let Some(d) = description {
                    replaced = serde_json::json!({ "allOf": [replaced], "description": d });
                }
                *prop = replaced;
            }
        }
        for (name, _) in NULLABLE {
            schemas.insert(
                (*name).to_string(),
                serde_json::json!({ "type": "object", "title": name }),
            );
        }
    }
    strip(&mut doc);
    doc
}

/// Every `components/schemas` entry that is a plain string enum, in name order.
fn open_enums(doc: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            if schema.get("type").and_then(Value::as_str) == Some("string")
                && let Some(values) = schema.get("enum").and_then(Value::as_array)
            {
                let values = values
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                out.insert(name.clone(), values);
            }
        }
    }
    out
}

fn variant_ident(value: &str) -> proc_macro2::Ident {
    let mut name = String::new();
    let mut upper = true;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                name.extend(c.to_uppercase());
            } else {
                name.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    format_ident!("{name}")
}

/// The Rust code of one open enum.
fn open_enum(name: &str, values: &[String]) -> proc_macro2::TokenStream {
    let ident = format_ident!("{name}");
    let variants: Vec<_> = values.iter().map(|v| variant_ident(v)).collect();
    let docs = values.iter().map(|v| format!("`{v}`"));
    let doc = format!(
        "`{name}`: one of {}. Values this SDK does not know yet decode as `Unknown`.",
        values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ident {
            #( #[doc = #docs] #variants, )*
            /// A value the service sent that this version of the SDK does not know.
            Unknown(String),
        }

        impl #ident {
            /// Every value listed by the OpenAPI document.
            pub const KNOWN: &'static [Self] = &[ #( Self::#variants ),* ];

            /// The wire form of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }
        }

        impl ::std::convert::AsRef<str> for #ident {
            fn as_ref(&self) -> &str { self.as_str() }
        }

        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #ident {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::convert::From<&str> for #ident {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::TryFrom<&String> for #ident {
            type Error = ::std::convert::Infallible;
            fn try_from(value: &String) -> ::std::result::Result<Self, Self::Error> {
                Ok(Self::from(value.as_str()))
            }
        }

        impl ::std::convert::TryFrom<String> for #ident {
            type Error = ::std::convert::Infallible;
            fn try_from(value: String) -> ::std::result::Result<Self, Self::Error> {
                Ok(Self::from(value.as_str()))
            }
        }

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    }
}

fn pascal(operation_id: &str) -> String {
    let mut s = operation_id.to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn snake(operation_id: &str) -> String {
    let mut s = String::new();
    for c in operation_id.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// `cursor_list!` invocations for every operation whose query takes `nextToken` and whose
/// response has `meta` plus exactly one array property (the items).
fn pagination(doc: &Value) -> String {
    let mut rows = Vec::new();
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
            if !takes_token {
                continue;
            }
            let Some(response) = success_schema(doc, op) else {
                continue;
            };
            let props = response.get("properties").and_then(Value::as_object);
            let Some(props) = props else { continue };
            if !props.contains_key("meta") {
                continue;
            }
            let arrays: Vec<_> = props
                .iter()
                .filter(|(_, v)| v.get("type").and_then(Value::as_str) == Some("array"))
                .collect();
            let [(field, array)] = arrays.as_slice() else {
                panic!("{op_id}: a paginated response must have exactly one array property");
            };
            let item_type = match array["items"].get("$ref").and_then(Value::as_str) {
                Some(r) => format!("types::{}", r.rsplit('/').next().unwrap_or_default()),
                None if array["items"]["type"] == "string" => "String".to_string(),
                None => panic!("{op_id}: paginated items must be a named schema or a string"),
            };
            let field_ident = snake(field);
            rows.push(format!(
                "    {op_id}: {builder}, {method}, {field_ident}, {item_type};",
                builder = pascal(op_id),
                method = snake(op_id),
            ));
        }
    }
    rows.sort();
    format!(
        "// Derived from {DOCUMENT} by build.rs: operations that page by `nextToken`.\ncursor_list! {{\n{}\n}}\n",
        rows.join("\n")
    )
}

/// `fn query_order(operation) -> &[name]`: the query parameters of each operation in the
/// document's declaration order, which is the order the official client puts them on the
/// wire (progenitor emits them alphabetically). Keyed by progenitor's snake_case operation id.
fn query_order(doc: &Value) -> String {
    let mut arms = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            let Some(op_id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let names: Vec<String> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(|n| format!("{n:?}")))
                .collect();
            if !names.is_empty() {
                arms.push(format!(
                    "        {:?} => &[{}],",
                    snake(op_id),
                    names.join(", ")
                ));
            }
        }
    }
    arms.sort();
    format!(
        "// Derived from {DOCUMENT} by build.rs.\n/// Query parameters of `operation` in declaration (wire) order.\npub(crate) fn query_order(operation: &str) -> &'static [&'static str] {{\n    match operation {{\n{}\n        _ => &[],\n    }}\n}}\n",
        arms.join("\n")
    )
}

/// The schema of an operation's 2xx JSON response, following one `$ref`.
fn success_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let responses = op.get("responses")?.as_object()?;
    let (_, resp) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
    let schema = resp.pointer("/content/application~1json/schema")?;
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')),
        None => Some(schema),
    }
}
