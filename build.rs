//! Generates the typed Botpress client from the OpenAPI document in `openapi/`.
//!
//! Three things are derived from the document and written to `OUT_DIR`:
//! - `botpress_api.rs`: the progenitor client (Builder interface, merged tags), with every
//!   named string enum of `components/schemas` replaced by an *open* enum (known variants plus
//!   `Unknown(String)`) so that new values from the service never break decoding, and the tags
//!   filters replaced by the SDK's dotted-query types;
//! - `pagination.rs`: one `cursor_list!` invocation listing the operations that page by
//!   `nextToken` and one `offset_list!` invocation listing those that page by
//!   `offset`/`limit`/`hasMore` (the hand-written layer turns each row into a `Paginate`
//!   implementation); the builders of those operations also get a `send_owned` method (a
//!   `'static` future, so that the next page can be prefetched on a spawned task);
//! - nothing else: any other derived artifact is produced by `cargo xtask codegen`.

use std::{collections::BTreeMap, env, fs, path::PathBuf};

use quote::{ToTokens, format_ident, quote};
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
    let mut ast: syn::File = syn::parse2(file).expect("generated code parses");
    let lists = pagination(&doc);
    owned_senders(&mut ast, &lists);
    field_decoders(&mut ast);
    strip_api_version(&mut ast);
    parsed_base_url(&mut ast);
    doc_links(&mut ast);
    prune_type_builders(&mut ast);
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("botpress_api.rs"), prettyplease::unparse(&ast)).expect("write client");
    fs::write(out.join("pagination.rs"), pagination_table(&lists)).expect("write pagination table");
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

/// How a list operation pages.
#[derive(Clone, Copy, PartialEq)]
enum Paging {
    /// `nextToken` query parameter, `meta.nextToken` in the response.
    Cursor,
    /// `offset`/`limit` in the request body, `hasMore` in the response.
    Offset,
}

/// One paginated operation, as derived from the document.
struct ListOp {
    paging: Paging,
    op_id: String,
    /// The 2xx response schema name (`ListConversationsResponse`).
    response: String,
    /// The items array property, snake_case (`conversations`).
    field: String,
    /// The Rust type of one item (`types::Conversation`, `String`).
    item: String,
    /// How to deduplicate items: a property of the item (`id`, `value`), `self` for strings,
    /// or nothing when the item has no identity.
    key: String,
}

/// Every paginated operation of the document: those whose query takes `nextToken` and whose
/// response has `meta` (cursor lists), and those whose JSON body takes `offset` and `limit`
/// and whose response has `hasMore` (offset lists). The items are the response's one
/// required array property.
fn pagination(doc: &Value) -> Vec<ListOp> {
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
fn pagination_table(ops: &[ListOp]) -> String {
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

/// The items of the inline module `name` among `items` (panics when there is none).
fn module<'a>(items: &'a mut [syn::Item], name: &str) -> &'a mut Vec<syn::Item> {
    items
        .iter_mut()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, c)| c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the generated client has no inline `{name}` module"))
}

/// Calls `f` on every item of `items`, and of the modules among them, recursively.
fn each_item(items: &mut [syn::Item], f: &mut impl FnMut(&mut syn::Item)) {
    for item in items {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &mut m.content
        {
            each_item(inner, f);
        }
        f(item);
    }
}

/// Calls `f` on the body of every method of every `impl` block in `items` (recursively).
fn each_method_body(items: &mut [syn::Item], f: &mut impl FnMut(&mut syn::Block)) {
    each_item(items, &mut |item| {
        if let syn::Item::Impl(i) = item {
            for member in &mut i.items {
                if let syn::ImplItem::Fn(method) = member {
                    f(&mut method.block);
                }
            }
        }
    });
}

/// Decoding rules added to the fields of the generated types, by field type (found in the
/// generated code itself, so they follow whatever progenitor emits):
/// - `DateTime<Utc>` and `Option<DateTime<Utc>>` decode with `crate::timestamp`, which reads
///   the service's usual `…Z` form directly and hands any other form to chrono;
/// - `Option<Nullable<T>>` decodes `null` as `Some(Nullable::Null)` (serde's default would
///   make it `None`, losing the explicit `null` that the field exists to carry) and an
///   absent field as `None`.
fn field_decoders(ast: &mut syn::File) {
    const DATE: &str = ":: chrono :: DateTime < :: chrono :: offset :: Utc >";
    const OPTION: &str = ":: std :: option :: Option <";
    const NULLABLE: &str = "crate :: nullable :: Nullable <";
    fn decoder(ty: &str) -> Option<&'static str> {
        let inner = ty
            .strip_prefix(OPTION)
            .and_then(|t| t.strip_suffix('>'))
            .map(str::trim);
        match inner {
            None if ty == DATE => Some("crate::timestamp::deserialize"),
            Some(t) if t == DATE => Some("crate::timestamp::deserialize_option"),
            Some(t) if t.starts_with(NULLABLE) => Some("crate::nullable::deserialize_present"),
            _ => None,
        }
    }
    fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| {
            a.path().is_ident("derive") && a.to_token_stream().to_string().contains("Deserialize")
        })
    }
    let mut count = 0;
    each_item(&mut ast.items, &mut |item| {
        let syn::Item::Struct(s) = item else { return };
        if !derives_deserialize(&s.attrs) {
            return;
        }
        for field in s.fields.iter_mut() {
            let ty = field.ty.to_token_stream().to_string();
            let Some(path) = decoder(&ty) else { continue };
            // An optional field must stay optional once it has a decoder of its
            // own: serde then needs `default` to accept its absence.
            let optional = ty.starts_with(OPTION);
            let has_default = field.attrs.iter().any(|a| {
                a.path().is_ident("serde") && a.to_token_stream().to_string().contains("default")
            });
            field.attrs.push(if optional && !has_default {
                syn::parse_quote!(#[serde(default, deserialize_with = #path)])
            } else {
                syn::parse_quote!(#[serde(deserialize_with = #path)])
            });
            count += 1;
        }
    });
    assert!(
        count > 0,
        "no DateTime<Utc> or Nullable field found in the generated types"
    );
}

/// Removes the `api-version` header progenitor puts on every request (from the document's
/// `info.version`): the service does not take it and the official client does not send it.
/// The operation's header map then starts empty (`with_capacity` one smaller), so requests
/// without header parameters allocate nothing for it.
fn strip_api_version(ast: &mut syn::File) {
    fn is_api_version(stmt: &syn::Stmt) -> bool {
        matches!(stmt, syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_))
            if call.method == "append"
                && call.receiver.to_token_stream().to_string() == "header_map"
                && call.args.first().is_some_and(|a| a.to_token_stream().to_string().contains("\"api-version\"")))
    }
    fn shrink_capacity(stmt: &mut syn::Stmt) {
        let syn::Stmt::Local(local) = stmt else {
            return;
        };
        if local.pat.to_token_stream().to_string() != "mut header_map" {
            return;
        }
        let Some(init) = &mut local.init else { return };
        let syn::Expr::Call(call) = init.expr.as_mut() else {
            return;
        };
        if let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        })) = call.args.first_mut()
        {
            let value = n
                .base10_parse::<usize>()
                .expect("header map capacity")
                .saturating_sub(1);
            *n = syn::LitInt::new(&format!("{value}usize"), n.span());
            // The capacity counted the header parameters: none left, nothing is appended.
            if let (0, syn::Pat::Ident(binding)) = (value, &mut local.pat) {
                binding.mutability = None;
            }
        }
    }
    let mut count = 0;
    each_method_body(&mut ast.items, &mut |block| {
        let before = block.stmts.len();
        block.stmts.retain(|s| !is_api_version(s));
        if block.stmts.len() < before {
            count += before - block.stmts.len();
            block.stmts.iter_mut().for_each(shrink_capacity);
        }
    });
    assert!(
        count > 0,
        "progenitor no longer adds an api-version header: remove strip_api_version"
    );
    assert!(
        !ast.to_token_stream()
            .to_string()
            .contains("\"api-version\""),
        "an api-version header is left in the generated client"
    );
}

/// Replaces progenitor's `let url = format!("{}/v1/…", client.baseurl, …)` in every
/// operation by `crate::wire::endpoint(client, format_args!("/v1/…", …))`, which joins the
/// path to the client's base URL parsed once, instead of building a string that reqwest
/// parses again on every request (the largest single cost of sending a small request). An
/// invalid base URL gives the same `Error::InvalidRequest` as before, from `send()`.
fn parsed_base_url(ast: &mut syn::File) {
    use syn::{Expr, Token, punctuated::Punctuated};
    fn rewrite(stmt: &mut syn::Stmt) -> bool {
        let syn::Stmt::Local(local) = stmt else {
            return false;
        };
        if local.pat.to_token_stream().to_string() != "url" {
            return false;
        }
        let Some(init) = &local.init else {
            return false;
        };
        let Expr::Macro(mac) = init.expr.as_ref() else {
            return false;
        };
        if !mac.mac.path.is_ident("format") {
            return false;
        }
        let args = mac
            .mac
            .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            .expect("format! arguments");
        let mut args = args.into_iter();
        let Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(template),
            ..
        })) = args.next()
        else {
            panic!("unexpected URL format in the generated code");
        };
        let base = args.next().map(|a| a.to_token_stream().to_string());
        let path = template
            .value()
            .strip_prefix("{}")
            .map(str::to_owned)
            .filter(|_| base.as_deref() == Some("client . baseurl"))
            .unwrap_or_else(|| {
                panic!(
                    "unexpected URL format {:?} in the generated code",
                    template.value()
                )
            });
        let path = syn::LitStr::new(&path, template.span());
        let rest: Vec<Expr> = args.collect();
        *stmt = syn::parse_quote! {
            let url = match crate::wire::endpoint(client, ::std::format_args!(#path, #(#rest),*)) {
                Ok(url) => url,
                Err(e) => return Err(Error::InvalidRequest(e)),
            };
        };
        true
    }
    let mut count = 0;
    each_method_body(&mut ast.items, &mut |block| {
        count += block.stmts.iter_mut().map(rewrite).filter(|r| *r).count();
    });
    assert!(
        count > 0,
        "no operation URL found to rewrite: check parsed_base_url against the generated code"
    );
}

/// Makes the document's descriptions valid rustdoc in the generated doc comments: the
/// vendor's anchors to its own reference pages (`[User](#schema_user)`) become links to the
/// generated types (`crate::types::User`; plain text when there is no such type), and a
/// bracketed word that is not a link (`[DEPRECATED]`) is escaped.
fn doc_links(ast: &mut syn::File) {
    fn pascal_type(anchor: &str) -> String {
        anchor
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
            })
            .collect()
    }
    fn rewrite(text: &str, types: &std::collections::BTreeSet<String>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find(']') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let label = &after[..close];
            let tail = &after[close + 1..];
            let in_code = out.matches('`').count() % 2 == 1;
            let word = !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_');
            if in_code {
                out.push('[');
                rest = after;
            } else if let Some(anchor) = tail.strip_prefix("(#").and_then(|t| t.split_once(')')) {
                let ty = anchor.0.strip_prefix("schema_").map(pascal_type);
                match ty.filter(|t| types.contains(t)) {
                    Some(t) => out.push_str(&format!("[{label}](crate::types::{t})")),
                    None => out.push_str(label),
                }
                rest = anchor.1;
            } else if tail.starts_with('(') || !word {
                out.push('[');
                rest = after;
            } else {
                out.push_str(&format!("\\[{label}\\]"));
                rest = tail;
            }
        }
        out.push_str(rest);
        out
    }
    let mut types = std::collections::BTreeSet::new();
    each_item(&mut ast.items, &mut |item| match item {
        syn::Item::Struct(s) => {
            types.insert(s.ident.to_string());
        }
        syn::Item::Enum(e) => {
            types.insert(e.ident.to_string());
        }
        _ => {}
    });
    fn fix(attrs: &mut [syn::Attribute], types: &std::collections::BTreeSet<String>) {
        for attr in attrs {
            let syn::Meta::NameValue(nv) = &mut attr.meta else {
                continue;
            };
            if !nv.path.is_ident("doc") {
                continue;
            }
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(doc),
                ..
            }) = &mut nv.value
            {
                let fixed = rewrite(&doc.value(), types);
                if fixed != doc.value() {
                    *doc = syn::LitStr::new(&fixed, doc.span());
                }
            }
        }
    }
    each_item(&mut ast.items, &mut |item| match item {
        syn::Item::Struct(s) => {
            fix(&mut s.attrs, &types);
            for field in s.fields.iter_mut() {
                fix(&mut field.attrs, &types);
            }
        }
        syn::Item::Enum(e) => {
            fix(&mut e.attrs, &types);
            for variant in e.variants.iter_mut() {
                fix(&mut variant.attrs, &types);
            }
        }
        syn::Item::Impl(i) => {
            for member in &mut i.items {
                if let syn::ImplItem::Fn(f) = member {
                    fix(&mut f.attrs, &types);
                }
            }
        }
        _ => {}
    });
}

/// Keeps typify's struct builders (`types::builder::X`, `X::builder()`) only for the types a
/// caller builds: the request bodies the operation builders take (`body_map`), and the types
/// reachable from their fields. Builders of response-only types (about half of the generated
/// code) are removed: nobody builds a response, and the compiler would otherwise type-check
/// and expand them on every build. Everything is read from the generated code itself.
fn prune_type_builders(ast: &mut syn::File) {
    /// The last identifier of a type path (`super::X` → `X`).
    fn type_name(ty: &syn::Type) -> Option<String> {
        match ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }
    }
    /// Every identifier in `tokens` (type names among them).
    fn idents(tokens: proc_macro2::TokenStream, out: &mut std::collections::BTreeSet<String>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    use std::collections::{BTreeMap, BTreeSet};
    // Roots: `types::builder::X` named by the operation builders.
    let mut roots = BTreeSet::new();
    let ops = module(&mut ast.items, "builder")
        .iter()
        .map(|i| i.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    for part in ops.split("types :: builder :: ").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        roots.insert(name);
    }
    assert!(
        !roots.is_empty(),
        "no operation builder takes a types::builder body"
    );
    let types = module(&mut ast.items, "types");
    // The identifiers each type's definition mentions.
    let mut mentions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types.iter() {
        let (name, tokens) = match item {
            syn::Item::Struct(s) => (s.ident.to_string(), s.fields.to_token_stream()),
            syn::Item::Enum(e) => (e.ident.to_string(), e.variants.to_token_stream()),
            _ => continue,
        };
        idents(tokens, mentions.entry(name).or_default());
    }
    let mut keep = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        if let Some(m) = mentions.get(&name) {
            todo.extend(
                m.iter()
                    .filter(|n| mentions.contains_key(*n) && !keep.contains(*n))
                    .cloned(),
            );
        }
    }
    let is_pruned = |name: &str| mentions.contains_key(name) && !keep.contains(name);
    let pruned = |ty: &syn::Type| type_name(ty).is_some_and(|n| is_pruned(&n));
    // `impl X { pub fn builder() -> builder::X }` in `types`.
    let before = types.len();
    types.retain(|i| match i {
        syn::Item::Impl(imp) => {
            !(imp.trait_.is_none()
                && pruned(&imp.self_ty)
                && imp.items.len() == 1
                && matches!(&imp.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder"))
        }
        _ => true,
    });
    let removed_fns = before - types.len();
    // The builder structs and their impls (`Default`, setters, `TryFrom`/`From` both ways).
    let builders = module(types, "builder");
    let before = builders.len();
    builders.retain(|i| match i {
        syn::Item::Struct(s) => !is_pruned(&s.ident.to_string()),
        syn::Item::Impl(imp) => !pruned(&imp.self_ty),
        _ => true,
    });
    assert!(
        removed_fns > 0 && builders.len() < before,
        "no response-only builder found to prune: check prune_type_builders against the generated code"
    );
}

/// Adds `send_owned(self)` to the builder of every paginated operation: the same request as
/// `send()`, on a clone of the client, as a `'static` future (so it can be spawned, which
/// is how the next page is prefetched). The builder's fields are read from the generated
/// code, so this follows whatever progenitor emits.
fn owned_senders(ast: &mut syn::File, ops: &[ListOp]) {
    let items = module(&mut ast.items, "builder");
    let mut extra: Vec<syn::Item> = Vec::new();
    for op in ops {
        let name = format_ident!("{}", pascal(&op.op_id));
        let response = format_ident!("{}", op.response);
        let fields: Vec<syn::Ident> = items
            .iter()
            .find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no generated builder {name}"))
            .fields
            .iter()
            .filter_map(|f| f.ident.clone())
            .filter(|f| f != "client")
            .collect();
        extra.push(syn::parse_quote! {
            impl<'a> #name<'a> {
                /// The same request as `send()`, on a clone of the client: the future
                /// borrows nothing, so it can be spawned (used to prefetch pages).
                pub(crate) fn send_owned(
                    self,
                ) -> impl ::std::future::Future<
                    Output = Result<ResponseValue<types::#response>, Error<types::Error>>,
                > + Send + 'static {
                    let client = self.client.clone();
                    let Self { client: _, #(#fields),* } = self;
                    async move { #name { client: &client, #(#fields),* }.send().await }
                }
            }
        });
    }
    items.extend(extra);
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
