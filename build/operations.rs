//! The operations: one builder per operation of the document, with the aws-sdk-rust shape
//! `client.op().field(v).send().await`:
//!
//! - a setter (and a `set_` twin) for every path, query and header parameter, with the
//!   conventions of [`crate::builders`] (strings take `impl Into<String>`, dates
//!   `DateTime<Utc>`, tag filters any iterator of pairs, …);
//! - a flat setter for every field of the body, delegating to the body's builder, beside
//!   `body(..)` and `body_map(..)`. **Name rule**: a body field whose name is also a
//!   parameter's, or one of the builder's own methods (`body`, `send`, `stream`, …), is set
//!   through `body_<name>`;
//! - `with_options(CallOptions)`: this call's own timeouts, retry policy and headers;
//! - `idempotency_key(key)` on a create whose resource has a get-or-create twin taking
//!   `discriminateByTags` (`createConversation` and `getOrCreateConversation`, …): the call is
//!   then sent as the twin with a reserved tag (see `crate::once`);
//! - `send()` → `botpress::Result<Output>` (the response body) and `send_with_response()` →
//!   `botpress::Result<Response<Output>>` (with status and headers); the request is built
//!   and checked by `crate::operation`, so no operation has code of its own beyond listing
//!   its parts.
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::builders::Setter;
use super::names::{ident, pascal, snake, variant};

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
}

/// The Rust side of a parameter's type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ParamType {
    String,
    Integer,
    Boolean,
    DateTime,
    /// A named enum of `crate::types`.
    Enum(String),
    /// The dotted `tags.k=v` filter.
    Tags,
    /// The files' tag filter (values, lists, `.not`).
    FileTags,
    List(Box<ParamType>),
}

impl ParamType {
    fn rust(&self) -> TokenStream {
        match self {
            ParamType::String => quote!(::std::string::String),
            ParamType::Integer => quote!(i64),
            ParamType::Boolean => quote!(bool),
            ParamType::DateTime => quote!(::chrono::DateTime<::chrono::offset::Utc>),
            ParamType::Enum(name) => {
                let name = format_ident!("{name}");
                quote!(crate::types::#name)
            }
            ParamType::Tags => quote!(crate::query::TagsFilter),
            ParamType::FileTags => quote!(crate::query::FileTagsFilter),
            ParamType::List(item) => {
                let item = item.rust();
                quote!(::std::vec::Vec<#item>)
            }
        }
    }

    fn arg(&self) -> TokenStream {
        match self {
            ParamType::String => quote!(impl ::std::convert::Into<::std::string::String>),
            ParamType::Tags => quote!(
                impl ::std::iter::IntoIterator<
                    Item = (
                        impl ::std::convert::Into<::std::string::String>,
                        impl ::std::convert::Into<::std::string::String>
                    ),
                >
            ),
            ParamType::List(item) => {
                let item = item.arg();
                quote!(impl ::std::iter::IntoIterator<Item = #item>)
            }
            other => {
                let t = other.rust();
                quote!(impl ::std::convert::Into<#t>)
            }
        }
    }

    fn convert(&self, value: TokenStream) -> TokenStream {
        match self {
            ParamType::Tags => quote!(#value.into_iter().collect::<crate::query::TagsFilter>()),
            ParamType::List(item) => {
                let each = item.convert(quote!(v));
                quote!(#value.into_iter().map(|v| #each).collect())
            }
            _ => quote!(::std::convert::Into::into(#value)),
        }
    }

    /// A value of this type for a doc example.
    fn example(&self, name: &str) -> String {
        match self {
            ParamType::String => format!("{name:?}"),
            ParamType::Integer => "1".into(),
            ParamType::Boolean => "true".into(),
            ParamType::DateTime => "chrono::Utc::now()".into(),
            ParamType::Enum(e) => format!("botpress::types::{e}::KNOWN[0].clone()"),
            ParamType::Tags => "[(\"key\", \"value\")]".into(),
            ParamType::FileTags => "[(\"key\", \"value\")]".into(),
            ParamType::List(item) => format!("[{}]", item.example(name)),
        }
    }
}

/// One parameter of an operation.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub wire: String,
    pub location: Location,
    pub ty: ParamType,
    pub required: bool,
    pub description: String,
}

/// One operation of the document.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<Param>,
    /// The request body schema.
    pub body: Option<String>,
    /// The success response schema and status.
    pub response: String,
    pub success: u16,
}

/// The named schema a schema stands for (`$ref`, or `allOf` of one `$ref`).
fn ref_name(schema: &Value) -> Option<&str> {
    let r = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))?
        .as_str()?;
    r.rsplit('/').next()
}

fn param_type(schema: &Value, enums: &BTreeSet<String>, at: &str) -> Result<ParamType, String> {
    if let Some(name) = ref_name(schema) {
        return match name {
            "TagsFilter" => Ok(ParamType::Tags),
            "FileTagsFilter" => Ok(ParamType::FileTags),
            n if enums.contains(n) => Ok(ParamType::Enum(n.to_string())),
            n => Err(format!(
                "{at}: parameter schema {n} is not an enum or a tags filter"
            )),
        };
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("string"), Some("date-time")) => Ok(ParamType::DateTime),
        (Some("string"), _) => Ok(ParamType::String),
        (Some("integer"), _) => Ok(ParamType::Integer),
        (Some("boolean"), _) => Ok(ParamType::Boolean),
        (Some("array"), _) => Ok(ParamType::List(Box::new(param_type(
            &schema["items"],
            enums,
            at,
        )?))),
        other => Err(format!(
            "{at}: no Rust type for a parameter of type {other:?}"
        )),
    }
}

/// Every operation of the (shaped) document, in operation id order; `enums` names the
/// named string enums.
pub(crate) fn operations(doc: &Value, enums: &BTreeSet<String>) -> Result<Vec<Operation>, String> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let id = op["operationId"]
                .as_str()
                .ok_or_else(|| format!("{method} {path}: no operationId"))?
                .to_string();
            let mut params = Vec::new();
            for p in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let wire = p["name"].as_str().unwrap_or_default().to_string();
                let location = match p["in"].as_str() {
                    Some("path") => Location::Path,
                    Some("query") => Location::Query,
                    Some("header") => Location::Header,
                    other => {
                        return Err(format!(
                            "{id}.{wire}: parameters in {other:?} are not supported"
                        ));
                    }
                };
                params.push(Param {
                    ty: param_type(&p["schema"], enums, &format!("{id}.{wire}"))?,
                    required: p["required"].as_bool().unwrap_or(false)
                        || location == Location::Path,
                    description: p["description"].as_str().unwrap_or_default().to_string(),
                    wire,
                    location,
                });
            }
            let body = match op.pointer("/requestBody/content/application~1json/schema") {
                Some(schema) => Some(
                    ref_name(schema)
                        .ok_or_else(|| format!("{id}: the request body must be a named schema"))?
                        .to_string(),
                ),
                None => None,
            };
            let (status, response) = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .find(|(code, _)| code.starts_with('2'))
                .ok_or_else(|| format!("{id}: no success response"))?;
            let response = response
                .pointer("/content/application~1json/schema")
                .and_then(ref_name)
                .ok_or_else(|| format!("{id}: the success response must be a named JSON schema"))?
                .to_string();
            ops.push(Operation {
                summary: op["summary"].as_str().unwrap_or_default().to_string(),
                description: op["description"].as_str().unwrap_or_default().to_string(),
                success: status
                    .parse()
                    .map_err(|_| format!("{id}: status {status}"))?,
                method: method.to_uppercase(),
                path: path.clone(),
                id,
                params,
                body,
                response,
            });
        }
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(ops)
}

/// Methods of an operation builder that a body field must not shadow (see the name rule in
/// the [module docs](self)).
const RESERVED: &[&str] = &[
    "body",
    "body_map",
    "send",
    "send_with_response",
    "stream",
    "pages",
    "send_created",
    "new",
    "with_options",
    "idempotency_key",
];

/// The get-or-create twin of a create operation: `getOrCreate{R}` for `create{R}`, when it
/// takes the create's body plus `discriminateByTags` on a path without parameters, and the
/// create's body has `tags` (the reserved tag's place).
fn twin<'a>(
    op: &Operation,
    ops: &'a [Operation],
    bodies: &BTreeMap<String, Vec<Setter>>,
) -> Option<&'a Operation> {
    let resource = op.id.strip_prefix("create")?;
    let twin = ops
        .iter()
        .find(|o| o.id.strip_prefix("getOrCreate") == Some(resource))?;
    let fields = |o: &Operation| -> BTreeSet<String> {
        let body = o.body.as_ref().and_then(|b| bodies.get(b));
        body.into_iter().flatten().map(|s| s.wire.clone()).collect()
    };
    let (ours, theirs) = (fields(op), fields(twin));
    let fits = ours.contains("tags")
        && theirs.contains("discriminateByTags")
        && ours.is_subset(&theirs)
        && !twin.path.contains('{')
        && twin.method == "POST";
    fits.then_some(twin)
}

fn doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// The name of a body field's flat setter on an operation whose parameters are `params`.
pub(crate) fn flat_name(setter: &Setter, params: &BTreeSet<String>) -> syn::Ident {
    let name = setter.method.to_string();
    if params.contains(&name) || RESERVED.contains(&name.as_str()) {
        format_ident!("body_{}", name.trim_end_matches('_'))
    } else {
        setter.method.clone()
    }
}

/// The example value of a body setter, for the docs.
fn body_example(setter: &Setter) -> String {
    example_for(&setter.arg.to_string().replace(' ', ""), &setter.wire)
}

/// An expression of the argument type `arg` (spaces removed), for the docs.
fn example_for(arg: &str, wire: &str) -> String {
    const MAP: &str =
        "impl::std::iter::IntoIterator<Item=(impl::std::convert::Into<::std::string::String>,";
    const LIST: &str = "impl::std::iter::IntoIterator<Item=";
    const INTO: &str = "impl::std::convert::Into<";
    if let Some(value) = arg.strip_prefix(MAP).and_then(|v| v.strip_suffix(")>")) {
        return format!("[(\"key\", {})]", example_for(value, wire));
    }
    if let Some(item) = arg.strip_prefix(LIST).and_then(|v| v.strip_suffix('>')) {
        return format!("[{}]", example_for(item, wire));
    }
    if arg == "impl::serde::Serialize" {
        return "serde_json::json!({})".into();
    }
    let Some(mut t) = arg.strip_prefix(INTO).and_then(|v| v.strip_suffix('>')) else {
        return format!("{wire:?}");
    };
    if let Some(inner) = t
        .strip_prefix("crate::nullable::Nullable<")
        .and_then(|v| v.strip_suffix('>'))
    {
        t = inner;
    }
    match t {
        "::std::string::String" => format!("{wire:?}"),
        "i64" | "i32" | "u64" | "u32" => "1".into(),
        "f64" | "f32" => "1.0".into(),
        "bool" => "true".into(),
        _ if t.contains("DateTime") => "chrono::Utc::now()".into(),
        _ => {
            let name = t.rsplit("::").next().unwrap_or(t);
            match name.strip_suffix("Builder") {
                Some(s) => format!("botpress::types::{s}::builder()"),
                None => format!("botpress::types::{name}::KNOWN[0].clone()"),
            }
        }
    }
}

/// The code of every operation: the builders, and the `Client` methods that create them.
/// `bodies` gives the setters of each body type.
pub(crate) fn generate(ops: &[Operation], bodies: &BTreeMap<String, Vec<Setter>>) -> TokenStream {
    let mut builders = Vec::new();
    let mut methods = Vec::new();
    for op in ops {
        let name = format_ident!("{}", pascal(&op.id));
        let method = format_ident!("{}", snake(&op.id));
        let response = format_ident!("{}", op.response);
        let id = &op.id;
        let http = format_ident!("{}", variant(&op.method.to_lowercase()));
        let template = &op.path;
        let success = op.success;
        let param_names: BTreeSet<String> = op
            .params
            .iter()
            .map(|p| ident(&snake(&p.wire)).to_string())
            .collect();
        let mut fields = vec![
            quote!(client: crate::Client),
            quote!(call_options: crate::CallOptions),
        ];
        let mut inits = vec![
            quote!(client: client.clone()),
            quote!(call_options: ::std::default::Default::default()),
        ];
        let mut setters = Vec::new();
        let mut binds = vec![quote!(client), quote!(call_options)];
        let mut example = format!("let response = client\n    .{method}()");
        for p in &op.params {
            let f = ident(&snake(&p.wire));
            let set = format_ident!("set_{}", f.to_string().trim_end_matches('_'));
            let ty = p.ty.rust();
            let arg = p.ty.arg();
            let conv = p.ty.convert(quote!(value));
            let mut doc = p.description.clone();
            if doc.is_empty() {
                doc = format!("`{}`", p.wire);
            }
            let where_ = match p.location {
                Location::Path => "path",
                Location::Query => "query",
                Location::Header => "header",
            };
            doc.push_str(&format!(
                "\n\n{} {where_} parameter `{}`.",
                if p.required { "Required" } else { "Optional" },
                p.wire
            ));
            let docs = doc_lines(&doc);
            let wire = &p.wire;
            fields.push(quote!(#f: ::std::option::Option<#ty>));
            inits.push(quote!(#f: ::std::option::Option::None));
            binds.push(quote!(#f));
            setters.push(quote! {
                #docs
                pub fn #f(mut self, value: #arg) -> Self {
                    self.#f = ::std::option::Option::Some(#conv);
                    self
                }
                #[doc = concat!("Sets or unsets the ", #where_, " parameter `", #wire, "`.")]
                pub fn #set(mut self, value: ::std::option::Option<#ty>) -> Self {
                    self.#f = value;
                    self
                }
            });
            if p.required {
                example.push_str(&format!("\n    .{f}({})", p.ty.example(&p.wire)));
            }
        }
        // The request, part by part.
        let mut parts = Vec::new();
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .expect("closed path parameter");
            let literal = &rest[..open];
            let wire = &rest[open + 1..close];
            let f = ident(&snake(wire));
            parts.push(quote!(request.path(#literal);));
            parts.push(quote!(request.segment(#wire, #f.as_ref());));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(quote!(request.path(#rest);));
        }
        for p in op.params.iter().filter(|p| p.location != Location::Path) {
            let f = ident(&snake(&p.wire));
            let wire = &p.wire;
            let call = match (p.location, p.required) {
                (Location::Query, true) => quote!(request.required_query(#wire, #f.as_ref());),
                (Location::Query, false) => quote!(request.query(#wire, #f.as_ref());),
                (_, true) => quote!(request.required_header(#wire, #f.as_deref());),
                (_, false) => quote!(request.header(#wire, #f.as_deref());),
            };
            parts.push(call);
        }
        let mut body_methods = TokenStream::new();
        if let Some(body) = &op.body {
            let builder = format_ident!("{body}Builder");
            fields.push(quote!(body: crate::types::#builder));
            inits.push(quote!(body: ::std::default::Default::default()));
            binds.push(quote!(body));
            parts.push(quote!(request.json(body.build());));
            let flat = bodies.get(body).map(Vec::as_slice).unwrap_or_default();
            for s in flat {
                let m = flat_name(s, &param_names);
                let set = if m == s.method {
                    s.set_method.clone()
                } else {
                    format_ident!("set_{m}")
                };
                let inner = &s.method;
                let inner_set = &s.set_method;
                let arg = &s.arg;
                let set_arg = &s.set_arg;
                let docs = &s.docs;
                let wire = &s.wire;
                body_methods.extend(quote! {
                    #(#docs)*
                    #[doc = ""]
                    #[doc = concat!("Body field `", #wire, "`.")]
                    pub fn #m(mut self, value: #arg) -> Self {
                        self.body = self.body.#inner(value);
                        self
                    }
                    #[doc = concat!("Sets or unsets the body field `", #wire, "`.")]
                    pub fn #set(mut self, value: #set_arg) -> Self {
                        self.body = self.body.#inner_set(value);
                        self
                    }
                });
                if s.required {
                    example.push_str(&format!("\n    .{m}({})", body_example(s)));
                }
            }
            body_methods.extend(quote! {
                /// Replaces the whole body: a complete value or a builder.
                pub fn body(mut self, value: impl ::std::convert::Into<crate::types::#builder>) -> Self {
                    self.body = value.into();
                    self
                }
                /// Changes the body through its builder.
                pub fn body_map(mut self, f: impl ::std::ops::FnOnce(crate::types::#builder) -> crate::types::#builder) -> Self {
                    self.body = f(self.body);
                    self
                }
            });
        }
        let mut once_methods = TokenStream::new();
        if let Some(twin) = twin(op, ops, bodies) {
            let (twin_id, twin_path, twin_success) = (&twin.id, &twin.path, twin.success);
            fields.push(quote!(idempotency_key: ::std::option::Option<::std::string::String>));
            inits.push(quote!(idempotency_key: ::std::option::Option::None));
            binds.push(quote!(idempotency_key));
            parts.push(quote! {
                if let ::std::option::Option::Some(key) = idempotency_key {
                    static TWIN: crate::operation::Operation = crate::operation::Operation {
                        id: #twin_id,
                        method: crate::operation::HttpMethod::Post,
                        path: #twin_path,
                        success: #twin_success,
                    };
                    request.exactly_once(&TWIN, &key);
                }
            });
            let doc = doc_lines(&format!(
                "Makes this create exactly-once under `key`: it is sent as `{twin_id}` with the \
                 reserved tag [`IDEMPOTENCY_TAG`](crate::once::IDEMPOTENCY_TAG) set to `key` \
                 and `discriminateByTags` on it, so a retried or re-run call with the same key \
                 returns the resource the first one created instead of a second one, and it is \
                 retried like an idempotent call. See [`once`](crate::once)."
            ));
            once_methods.extend(quote! {
                #doc
                pub fn idempotency_key(mut self, key: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.idempotency_key = ::std::option::Option::Some(key.into());
                    self
                }
            });
        }
        example.push_str("\n    .send()\n    .await?;");
        let doc_head = if op.description.is_empty() {
            &op.summary
        } else {
            &op.description
        };
        let doc = format!(
            "{doc_head}\n\nSends `{} {}` (operation `{id}`); `send()` returns [`{}`](crate::types::{}).\n\n```no_run\n# async fn example(client: &botpress::Client) -> botpress::Result<()> {{\n{example}\n# let _ = response;\n# Ok(()) }}\n```",
            op.method, op.path, op.response, op.response
        );
        let method_docs = doc_lines(&doc);
        let builder_doc = format!(
            "The request of [`Client::{method}`](crate::Client::{method}): set its parts, then `send()`."
        );
        builders.push(quote! {
            #[doc = #builder_doc]
            #[derive(Clone, Debug)]
            #[must_use = "an operation does nothing until `send()` is awaited"]
            pub struct #name {
                #(#fields,)*
            }

            impl #name {
                pub(crate) fn new(client: &crate::Client) -> Self {
                    Self { #(#inits,)* }
                }

                #(#setters)*
                #body_methods
                #once_methods

                /// Options of this call only: its own timeout, total deadline, retry policy or
                /// extra headers (see [`CallOptions`](crate::CallOptions)).
                pub fn with_options(mut self, options: crate::CallOptions) -> Self {
                    self.call_options = options;
                    self
                }

                /// Sends the request; the response body.
                pub async fn send(self) -> crate::Result<crate::types::#response> {
                    self.send_with_response().await.map(crate::Response::into_inner)
                }

                /// Sends the request; the response body with the status and headers.
                pub async fn send_with_response(self) -> crate::Result<crate::Response<crate::types::#response>> {
                    static OPERATION: crate::operation::Operation = crate::operation::Operation {
                        id: #id,
                        method: crate::operation::HttpMethod::#http,
                        path: #template,
                        success: #success,
                    };
                    let Self { #(#binds,)* } = self;
                    let mut request = crate::operation::Request::new(&OPERATION);
                    #(#parts)*
                    request.options = call_options;
                    client.execute(request).await
                }
            }
        });
        methods.push(quote! {
            #method_docs
            pub fn #method(&self) -> #name {
                #name::new(self)
            }
        });
    }
    quote! {
        #(#builders)*

        impl crate::Client {
            #(#methods)*
        }
    }
}

/// The text of `flat_setter_cases.rs`, for the wire tests (`tests/it/operations.rs`): for
/// every operation with a body, the same body sent once whole (`body(..)`) and once through
/// the flat `set_` twins, one per field. The includer defines `Pending`, `pending(future)` and
/// `to_json(response)`.
pub(crate) fn flat_setter_cases(
    ops: &[Operation],
    bodies: &BTreeMap<String, Vec<Setter>>,
) -> String {
    let mut cases = Vec::new();
    for op in ops {
        let Some(body) = &op.body else { continue };
        let method = snake(&op.id);
        let params: BTreeSet<String> = op
            .params
            .iter()
            .map(|p| ident(&snake(&p.wire)).to_string())
            .collect();
        let mut base = format!("client.{method}()");
        for p in op.params.iter().filter(|p| p.required) {
            let value = p.ty.example(&p.wire).replace(
                "chrono::Utc::now()",
                "chrono::DateTime::<chrono::Utc>::UNIX_EPOCH",
            );
            base.push_str(&format!(".{}({value})", ident(&snake(&p.wire))));
        }
        let mut flat = String::from("base");
        for s in bodies.get(body).map(Vec::as_slice).unwrap_or_default() {
            let m = flat_name(s, &params);
            let field = &s.method;
            let value = if s.required {
                format!("Some(typed.{field})")
            } else {
                format!("typed.{field}")
            };
            flat.push_str(&format!(
                ".set_{}({value})",
                m.to_string().trim_end_matches('_')
            ));
        }
        cases.push(format!(
            "    {{\n        let typed: botpress::types::{body} = serde_json::from_value(body({body:?})).expect({body:?});\n        let base = {base};\n        let whole = base.clone().body(typed.clone());\n        let flat = {flat};\n        out.push(({id:?}, pending(async move {{ whole.send().await.map(to_json) }}), pending(async move {{ flat.send().await.map(to_json) }})));\n    }}",
            id = op.id
        ));
    }
    format!(
        "// Generated by build.rs from the document (build/operations.rs).\n/// For every operation with a body: its id, the request with `body(..)`, the same request through the flat setters.\npub(crate) fn flat_setter_cases(client: &botpress::Client, body: &dyn Fn(&str) -> serde_json::Value) -> Vec<(&'static str, Pending, Pending)> {{\n    let mut out = Vec::new();\n{}\n    out\n}}\n",
        cases.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A string field's setter.
    fn setter(name: &str, required: bool) -> Setter {
        Setter {
            method: format_ident!("{name}"),
            set_method: format_ident!("set_{name}"),
            arg: quote!(impl Into<String>),
            set_arg: quote!(Option<String>),
            docs: vec![],
            wire: name.into(),
            required,
        }
    }

    fn doc() -> Value {
        json!({
            "paths": {
                "/v1/chat/states/{type}/{id}/{name}": {"post": {
                    "operationId": "setState",
                    "parameters": [
                        {"name": "type", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/StateType"}},
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SetStateBody"}}}},
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SetStateResponse"}}}}}
                }},
                "/v1/chat/users": {"get": {
                    "operationId": "listUsers",
                    "parameters": [
                        {"name": "tags", "in": "query", "schema": {"$ref": "#/components/schemas/TagsFilter"}},
                        {"name": "afterDate", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
                    ],
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ListUsersResponse"}}}}}
                }}
            }
        })
    }

    #[test]
    fn the_model_reads_parameters_bodies_and_responses() {
        let ops = operations(&doc(), &BTreeSet::from(["StateType".to_string()])).unwrap();
        assert_eq!(ops.len(), 2);
        let list = &ops[0];
        assert_eq!(
            (list.id.as_str(), list.method.as_str(), list.success),
            ("listUsers", "GET", 200)
        );
        let types: Vec<_> = list.params.iter().map(|p| p.ty.clone()).collect();
        assert_eq!(
            types,
            [
                ParamType::Tags,
                ParamType::DateTime,
                ParamType::List(Box::new(ParamType::String))
            ]
        );
        let set = &ops[1];
        assert_eq!(set.body.as_deref(), Some("SetStateBody"));
        assert_eq!(set.params[0].ty, ParamType::Enum("StateType".into()));
        assert!(set.params.iter().all(|p| p.required));
    }

    #[test]
    fn an_unknown_parameter_schema_is_an_error() {
        let mut d = doc();
        d["paths"]["/v1/chat/users"]["get"]["parameters"][0]["schema"] = json!({"type": "object"});
        let err = operations(&d, &BTreeSet::from(["StateType".to_string()])).unwrap_err();
        assert!(err.contains("listUsers.tags"), "{err}");
    }

    #[test]
    fn examples_follow_the_argument_type() {
        // Argument types as the builders print them, spaces removed.
        let ex = |arg: &str| example_for(arg, "name");
        let string = "impl::std::convert::Into<::std::string::String>";
        assert_eq!(ex(string), "\"name\"");
        assert_eq!(
            ex("impl::std::convert::Into<crate::generated::enums::WorkflowStatus>"),
            "botpress::types::WorkflowStatus::KNOWN[0].clone()"
        );
        assert_eq!(
            ex("impl::std::convert::Into<crate::nullable::Nullable<i64>>"),
            "1"
        );
        assert_eq!(
            ex("impl::std::iter::IntoIterator<Item=impl::serde::Serialize>"),
            "[serde_json::json!({})]"
        );
        assert_eq!(
            ex("impl::std::iter::IntoIterator<Item=impl::std::convert::Into<RowBuilder>>"),
            "[botpress::types::Row::builder()]"
        );
        let map = format!("impl::std::iter::IntoIterator<Item=({string},{string})>");
        assert_eq!(ex(&map), "[(\"key\", \"name\")]");
    }

    #[test]
    fn flat_cases_set_every_body_field() {
        let ops = operations(&doc(), &BTreeSet::from(["StateType".to_string()])).unwrap();
        let bodies = BTreeMap::from([(
            "SetStateBody".to_string(),
            vec![setter("payload", true), setter("expiry", false)],
        )]);
        let code = flat_setter_cases(&ops, &bodies);
        assert!(
            code.contains(".set_payload(Some(typed.payload)).set_expiry(typed.expiry)"),
            "{code}"
        );
        assert!(
            code.contains(
                ".type_(botpress::types::StateType::KNOWN[0].clone()).id(\"id\").name(\"name\")"
            ),
            "{code}"
        );
        assert_eq!(code.matches("out.push").count(), 1, "listUsers has no body");
    }

    #[test]
    fn body_fields_that_clash_get_a_prefix() {
        let params = BTreeSet::from(["id".to_string()]);
        assert_eq!(flat_name(&setter("id", false), &params), "body_id");
        assert_eq!(flat_name(&setter("send", false), &params), "body_send");
        assert_eq!(flat_name(&setter("name", false), &params), "name");
    }

    #[test]
    fn generated_code_builds_the_path_in_parts() {
        let ops = operations(&doc(), &BTreeSet::from(["StateType".to_string()])).unwrap();
        let code = generate(&ops, &BTreeMap::new()).to_string();
        assert!(code.contains("request . path (\"/v1/chat/states/\") ; request . segment (\"type\" , type_ . as_ref ())"), "{code}");
        assert!(
            code.contains("pub fn set_state (& self) -> SetState"),
            "{code}"
        );
        assert!(
            code.contains("request . query (\"afterDate\" , after_date . as_ref ())"),
            "{code}"
        );
    }
}
