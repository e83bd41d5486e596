//! Builders of the request types: for every struct a request body reaches, `XBuilder` with
//! one setter per field, derived from the field's Rust type, with the same conventions for
//! every field of every operation:
//!
//! | field type | setter takes |
//! |---|---|
//! | `String` | `impl Into<String>` |
//! | a JSON object or any JSON value | `impl Serialize` (`json!({..})`, a map, your struct) |
//! | a list | `impl IntoIterator` of what an item's setter takes |
//! | a map | `impl IntoIterator` of `(impl Into<String>, what a value's setter takes)` |
//! | a nested request type `S` | `impl Into<SBuilder>` (an `S` or its builder) |
//! | a tri-state `Nullable<T>` | `impl Into<Nullable<T>>` (`"Ada"` or `Nullable::Null`) |
//! | anything else (numbers, enums, dates) | `impl Into<T>` |
//!
//! An optional field takes the value (not `Some`), and has a `set_<field>(Option<T>)` twin
//! that sets or unsets it. A conversion that can fail (a value that does not serialize to an
//! object) and a required field left unset are reported by `build()`, naming the field's
//! wire path (`schedule.dateTime`).
use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::{NULLABLE, OPTION, strip, type_text};

/// How a field's value is given and stored.
#[derive(Clone)]
enum Shape {
    /// `impl Into<String>`.
    Str,
    /// `impl Into<T>`.
    Into(syn::Type),
    /// `impl Serialize`: a JSON object (`object`), any JSON value, or a tri-state object.
    Json {
        object: bool,
        nullable: bool,
    },
    /// A request type with a builder: `impl Into<SBuilder>`, stored as the builder.
    Nested(syn::Ident),
    /// `Nullable<T>` from `impl Into<Nullable<T>>`.
    Nullable(syn::Type),
    List(Box<Shape>),
    Map(Box<Shape>),
}

const MAP_PREFIXES: &[&str] = &[
    "::std::collections::BTreeMap<::std::string::String,",
    "::std::collections::HashMap<::std::string::String,",
];

fn parse_type(text: &str) -> syn::Type {
    syn::parse_str(text).unwrap_or_else(|e| panic!("type {text}: {e}"))
}

/// The shape of a value of type `text`; `nested` names the types that have a builder.
fn shape(text: &str, nested: &BTreeSet<String>) -> Shape {
    if text == "::std::string::String" {
        return Shape::Str;
    }
    if text == "::serde_json::Map<::std::string::String,::serde_json::Value>" {
        return Shape::Json {
            object: true,
            nullable: false,
        };
    }
    if text == "::serde_json::Value" {
        return Shape::Json {
            object: false,
            nullable: false,
        };
    }
    if let Some(inner) = strip(text, NULLABLE) {
        if inner == "::serde_json::Map<::std::string::String,::serde_json::Value>" {
            return Shape::Json {
                object: true,
                nullable: true,
            };
        }
        return Shape::Nullable(parse_type(inner));
    }
    if let Some(inner) = strip(text, "::std::vec::Vec<") {
        return Shape::List(Box::new(shape(inner, nested)));
    }
    for prefix in MAP_PREFIXES {
        if let Some(inner) = strip(text, prefix) {
            return Shape::Map(Box::new(shape(inner, nested)));
        }
    }
    if nested.contains(text) {
        return Shape::Nested(format_ident!("{text}"));
    }
    Shape::Into(parse_type(text))
}

impl Shape {
    /// The setter's argument type.
    fn arg(&self) -> TokenStream {
        match self {
            Shape::Str => quote!(impl ::std::convert::Into<::std::string::String>),
            Shape::Into(t) => quote!(impl ::std::convert::Into<#t>),
            Shape::Json { .. } => quote!(impl ::serde::Serialize),
            Shape::Nested(s) => {
                let b = format_ident!("{s}Builder");
                quote!(impl ::std::convert::Into<#b>)
            }
            Shape::Nullable(t) => quote!(impl ::std::convert::Into<crate::nullable::Nullable<#t>>),
            Shape::List(item) => {
                let item = item.arg();
                quote!(impl ::std::iter::IntoIterator<Item = #item>)
            }
            Shape::Map(value) => {
                let value = value.arg();
                quote!(impl ::std::iter::IntoIterator<Item = (impl ::std::convert::Into<::std::string::String>, #value)>)
            }
        }
    }

    /// The type stored in the builder: nested request types as their builders.
    fn stored(&self) -> TokenStream {
        self.rust_type(false)
    }

    /// The type of the built value.
    fn built(&self) -> TokenStream {
        self.rust_type(true)
    }

    /// The Rust type of the value, with nested request types as themselves (`built`) or as
    /// their builders.
    fn rust_type(&self, built: bool) -> TokenStream {
        match self {
            Shape::Str => quote!(::std::string::String),
            Shape::Into(t) => quote!(#t),
            Shape::Json {
                object: true,
                nullable: false,
            } => {
                quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>)
            }
            Shape::Json {
                object: true,
                nullable: true,
            } => {
                quote!(
                    crate::nullable::Nullable<
                        ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                    >
                )
            }
            Shape::Json { object: false, .. } => quote!(::serde_json::Value),
            Shape::Nested(s) if built => quote!(#s),
            Shape::Nested(s) => {
                let b = format_ident!("{s}Builder");
                quote!(#b)
            }
            Shape::Nullable(t) => quote!(crate::nullable::Nullable<#t>),
            Shape::List(item) => {
                let item = item.rust_type(built);
                quote!(::std::vec::Vec<#item>)
            }
            Shape::Map(value) => {
                let value = value.rust_type(built);
                quote!(::std::collections::BTreeMap<::std::string::String, #value>)
            }
        }
    }

    fn fallible(&self) -> bool {
        match self {
            Shape::Json { .. } => true,
            Shape::List(i) | Shape::Map(i) => i.fallible(),
            _ => false,
        }
    }

    /// `value` (of the argument type) as the stored type; a `Result<_, String>` when
    /// [`Self::fallible`].
    fn convert(&self, value: TokenStream) -> TokenStream {
        match self {
            Shape::Str | Shape::Into(_) | Shape::Nested(_) | Shape::Nullable(_) => {
                quote!(::std::convert::Into::into(#value))
            }
            Shape::Json {
                object: true,
                nullable: false,
            } => quote!(crate::input::json_object(#value)),
            Shape::Json {
                object: true,
                nullable: true,
            } => quote!(crate::input::nullable_object(#value)),
            Shape::Json { object: false, .. } => quote!(crate::input::json_value(#value)),
            Shape::List(item) => {
                let each = item.convert(quote!(v));
                let stored = item.stored();
                if item.fallible() {
                    quote!(#value.into_iter().map(|v| #each).collect::<::std::result::Result<::std::vec::Vec<#stored>, ::std::string::String>>())
                } else {
                    quote!(#value.into_iter().map(|v| #each).collect::<::std::vec::Vec<#stored>>())
                }
            }
            Shape::Map(v) => {
                let each = v.convert(quote!(v));
                let stored = v.stored();
                if v.fallible() {
                    quote!(#value.into_iter().map(|(k, v)| Ok((::std::convert::Into::into(k), #each?))).collect::<::std::result::Result<::std::collections::BTreeMap<::std::string::String, #stored>, ::std::string::String>>())
                } else {
                    quote!(#value.into_iter().map(|(k, v)| (::std::convert::Into::into(k), #each)).collect::<::std::collections::BTreeMap<::std::string::String, #stored>>())
                }
            }
        }
    }

    fn has_nested(&self) -> bool {
        match self {
            Shape::Nested(_) => true,
            Shape::List(i) | Shape::Map(i) => i.has_nested(),
            _ => false,
        }
    }

    /// The stored `value` built, as `Result<built, BuildError>`; `wire` names the field.
    fn build(&self, value: TokenStream, wire: &str) -> TokenStream {
        match self {
            Shape::Nested(_) => quote!(#value.build().map_err(|e| e.within(#wire))),
            Shape::List(item) if item.has_nested() => {
                let each = item.build(quote!(v), "");
                quote!(#value.into_iter().enumerate().map(|(i, v)| #each.map_err(|e| e.within(&::std::format!("{}[{}]", #wire, i)))).collect::<::std::result::Result<::std::vec::Vec<_>, crate::input::BuildError>>())
            }
            Shape::Map(v) if v.has_nested() => {
                let each = v.build(quote!(v), "");
                quote!(#value.into_iter().map(|(k, v)| Ok((k.clone(), #each.map_err(|e| e.within(&::std::format!("{}.{}", #wire, k)))?))).collect::<::std::result::Result<::std::collections::BTreeMap<_, _>, crate::input::BuildError>>())
            }
            _ => quote!(::std::result::Result::<_, crate::input::BuildError>::Ok(#value)),
        }
    }

    /// A built `value` as the stored type (for `From<X> for XBuilder` and the `set_` twins).
    fn unbuild(&self, value: TokenStream) -> TokenStream {
        match self {
            Shape::Nested(_) => quote!(::std::convert::Into::into(#value)),
            Shape::List(item) if item.has_nested() => {
                let each = item.unbuild(quote!(v));
                quote!(#value.into_iter().map(|v| #each).collect())
            }
            Shape::Map(v) if v.has_nested() => {
                let each = v.unbuild(quote!(v));
                quote!(#value.into_iter().map(|(k, v)| (k, #each)).collect())
            }
            _ => value,
        }
    }
}

/// One setter of a builder (and of the operation builders that delegate to it).
#[derive(Clone)]
pub(crate) struct Setter {
    /// The field's Rust name (`conversation_id`, `type_`): the setter's name.
    pub method: syn::Ident,
    /// `set_<field>`.
    pub set_method: syn::Ident,
    /// The setter's argument type.
    pub arg: TokenStream,
    /// The `set_` twin's argument type (`Option<T>`).
    pub set_arg: TokenStream,
    /// The field's doc comment.
    pub docs: Vec<syn::Attribute>,
    /// The name on the wire.
    pub wire: String,
    pub required: bool,
}

/// The wire name of a field: its `serde(rename)`, else its Rust name.
pub(crate) fn wire_name(field: &syn::Field) -> String {
    for attr in &field.attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let text = quote::ToTokens::to_token_stream(attr).to_string();
        if let Some(at) = text.find("rename = \"") {
            let rest = &text[at + 10..];
            if let Some(end) = rest.find('"') {
                return rest[..end].to_string();
            }
        }
    }
    let name = field.ident.as_ref().expect("named field").to_string();
    name.trim_end_matches('_').to_string()
}

/// The builder of `s`, and its setters.
pub(crate) fn builder(
    s: &syn::ItemStruct,
    nested: &BTreeSet<String>,
) -> (TokenStream, Vec<Setter>) {
    let name = &s.ident;
    let builder = format_ident!("{name}Builder");
    let mut setters = Vec::new();
    let mut fields = Vec::new();
    let mut methods = Vec::new();
    let mut builds = Vec::new();
    let mut unbuilds = Vec::new();
    let mut fallible = false;
    for field in s.fields.iter() {
        let ident = field.ident.clone().expect("named field");
        let text = type_text(&field.ty);
        let (required, inner) = match strip(&text, OPTION) {
            Some(inner) => (false, inner.to_string()),
            None => (true, text.clone()),
        };
        let shape = shape(&inner, nested);
        let wire = wire_name(field);
        let docs: Vec<syn::Attribute> = field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        let stored = shape.stored();
        let built = shape.built();
        let arg = shape.arg();
        let set_method = format_ident!("set_{}", ident.to_string().trim_end_matches('_'));
        let converted = shape.convert(quote!(value));
        fallible |= shape.fallible();
        let assign = if shape.fallible() {
            quote! {
                match #converted {
                    ::std::result::Result::Ok(v) => self.#ident = ::std::option::Option::Some(v),
                    ::std::result::Result::Err(e) => self.fail(#wire, e),
                }
            }
        } else {
            quote!(self.#ident = ::std::option::Option::Some(#converted);)
        };
        let unbuilt = shape.unbuild(quote!(v));
        methods.push(quote! {
            #(#docs)*
            pub fn #ident(mut self, value: #arg) -> Self {
                #assign
                self
            }
            #[doc = concat!("Sets or unsets `", #wire, "`.")]
            pub fn #set_method(mut self, value: ::std::option::Option<#built>) -> Self {
                self.#ident = value.map(|v| #unbuilt);
                self
            }
        });
        fields.push(quote!(#ident: ::std::option::Option<#stored>));
        let each = shape.build(quote!(v), &wire);
        builds.push(if required {
            quote! {
                #ident: match self.#ident {
                    ::std::option::Option::Some(v) => #each?,
                    ::std::option::Option::None => return ::std::result::Result::Err(crate::input::BuildError::missing(#wire)),
                }
            }
        } else {
            quote! {
                #ident: match self.#ident {
                    ::std::option::Option::Some(v) => ::std::option::Option::Some(#each?),
                    ::std::option::Option::None => ::std::option::Option::None,
                }
            }
        });
        unbuilds.push(if required {
            quote!(#ident: ::std::option::Option::Some({ let v = value.#ident; #unbuilt }))
        } else {
            quote!(#ident: value.#ident.map(|v| #unbuilt))
        });
        setters.push(Setter {
            method: ident,
            set_method,
            arg,
            set_arg: quote!(::std::option::Option<#built>),
            docs,
            wire,
            required,
        });
    }
    let fail = fallible.then(|| {
        quote! {
            fn fail(&mut self, field: &str, problem: ::std::string::String) {
                if self.error.is_none() {
                    self.error = ::std::option::Option::Some(crate::input::BuildError::invalid(field, problem));
                }
            }
        }
    });
    let doc = format!(
        "Builds a [`{name}`]: one setter per field (see the [`crate::types`] docs for what each takes); `build()` reports a required field left unset."
    );
    let code = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, Default)]
        #[must_use]
        pub struct #builder {
            #(#fields,)*
            error: ::std::option::Option<crate::input::BuildError>,
        }

        impl #builder {
            #(#methods)*
            #fail

            #[doc = concat!("The [`", stringify!(#name), "`], or the first problem: a required field left unset, or a value that did not convert.")]
            pub fn build(self) -> ::std::result::Result<#name, crate::input::BuildError> {
                if let ::std::option::Option::Some(e) = self.error {
                    return ::std::result::Result::Err(e);
                }
                ::std::result::Result::Ok(#name { #(#builds,)* })
            }
        }

        impl ::std::convert::From<#name> for #builder {
            fn from(value: #name) -> Self {
                Self { #(#unbuilds,)* error: ::std::option::Option::None }
            }
        }

        impl #name {
            #[doc = concat!("A builder of [`", stringify!(#name), "`].")]
            pub fn builder() -> #builder {
                ::std::default::Default::default()
            }
        }
    };
    (code, setters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(text: &str) -> Shape {
        shape(
            &text.replace(' ', ""),
            &BTreeSet::from(["Schedule".to_string()]),
        )
    }

    #[test]
    fn arguments_follow_the_field_type() {
        let arg = |t: &str| shape_of(t).arg().to_string().replace(' ', "");
        assert_eq!(
            arg("::std::string::String"),
            "impl::std::convert::Into<::std::string::String>"
        );
        assert_eq!(arg("i64"), "impl::std::convert::Into<i64>");
        assert_eq!(
            arg("::serde_json::Map<::std::string::String, ::serde_json::Value>"),
            "impl::serde::Serialize"
        );
        assert_eq!(arg("Schedule"), "impl::std::convert::Into<ScheduleBuilder>");
        assert_eq!(
            arg("::std::collections::BTreeMap<::std::string::String, ::std::string::String>"),
            "impl::std::iter::IntoIterator<Item=(impl::std::convert::Into<::std::string::String>,impl::std::convert::Into<::std::string::String>)>"
        );
        assert_eq!(
            arg("::std::vec::Vec<Schedule>"),
            "impl::std::iter::IntoIterator<Item=impl::std::convert::Into<ScheduleBuilder>>"
        );
        assert_eq!(
            arg("crate::nullable::Nullable<::std::string::String>"),
            "impl::std::convert::Into<crate::nullable::Nullable<::std::string::String>>"
        );
    }

    #[test]
    fn builder_of_a_struct() {
        let s: syn::ItemStruct = syn::parse_quote! {
            pub struct CreateEventBody {
                /// The conversation
                #[serde(rename = "conversationId")]
                pub conversation_id: ::std::option::Option<::std::string::String>,
                pub schedule: ::std::option::Option<Schedule>,
                #[serde(rename = "type")]
                pub type_: ::std::string::String,
            }
        };
        let (code, setters) = builder(&s, &BTreeSet::from(["Schedule".to_string()]));
        let names: Vec<_> = setters
            .iter()
            .map(|s| (s.method.to_string(), s.wire.clone(), s.required))
            .collect();
        assert_eq!(
            names,
            [
                ("conversation_id".into(), "conversationId".into(), false),
                ("schedule".into(), "schedule".into(), false),
                ("type_".into(), "type".into(), true)
            ]
        );
        let code = code.to_string();
        assert!(code.contains("pub struct CreateEventBodyBuilder"), "{code}");
        assert!(code.contains("fn set_type"), "{code}");
        assert!(code.contains("BuildError :: missing (\"type\")"), "{code}");
        assert!(code.contains("within (\"schedule\")"), "{code}");
    }
}
