//! The Rust types of the document's schemas: typify (through progenitor) generates them,
//! then passes over the generated items give them the behaviour the wire needs, each found
//! from the items themselves (field types and attributes), so they follow whatever typify
//! emits:
//!
//! - [`field_codecs`]: `DateTime<Utc>` fields (plain, optional, tri-state) decode the
//!   service's usual `…Z` form without chrono's general parser and encode with milliseconds
//!   (`…T00:00:00.000Z`, as the official client's `Date.toISOString()`); `Option<Nullable<T>>`
//!   fields decode an explicit `null` as `Some(Nullable::Null)`;
//! - [`set_collections`]: in request types, an optional list or map is `Option<…>`, so a
//!   list or object the caller set is sent even when empty, and only an unset one is left
//!   out (typify leaves out every empty one);
//! - [`doc_links`]: the vendor's anchors in descriptions become links to the generated types.
use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;

/// A type's tokens without spaces (`::std::option::Option<::std::string::String>`).
pub(crate) fn type_text(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

pub(crate) const OPTION: &str = "::std::option::Option<";
pub(crate) const DATE: &str = "::chrono::DateTime<::chrono::offset::Utc>";
pub(crate) const NULLABLE: &str = "crate::nullable::Nullable<";

/// `Option<T>` → `T`.
pub(crate) fn strip<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix).and_then(|t| t.strip_suffix('>'))
}

/// The items of the generated `types` module, from progenitor run on `doc` (the shaped
/// document): every schema of `components/schemas`, with `replacements` (schema name → Rust
/// path) standing for the named enums, the tri-states and the tags filters.
pub(crate) fn generate(
    doc: &serde_json::Value,
    replacements: &[(String, String)],
) -> Result<Vec<syn::Item>, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_map_type("::std::collections::BTreeMap");
    for (schema, rust) in replacements {
        settings.with_replacement(schema, rust, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor failed: {e}"))?;
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated code: {e}"))?;
    file.items
        .into_iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "types" => m.content.map(|(_, c)| c),
            _ => None,
        })
        .ok_or_else(|| "progenitor generated no `types` module".to_string())
}

/// The structs among `items`, by name.
pub(crate) fn structs(items: &[syn::Item]) -> BTreeMap<String, &syn::ItemStruct> {
    items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect()
}

/// Every identifier in `tokens`.
fn idents(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
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

/// The types reachable from `roots` through the fields of the types among `items`
/// (`roots` included): the request types, when the roots are the request bodies.
pub(crate) fn reachable(
    items: &[syn::Item],
    roots: impl IntoIterator<Item = String>,
) -> BTreeSet<String> {
    let mut mentions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items {
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
        if !mentions.contains_key(&name) || !keep.insert(name.clone()) {
            continue;
        }
        todo.extend(
            mentions[&name]
                .iter()
                .filter(|n| !keep.contains(*n))
                .cloned(),
        );
    }
    keep
}

fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive") && a.to_token_stream().to_string().contains("Deserialize")
    })
}

fn has_serde(attrs: &[syn::Attribute], word: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("serde") && a.to_token_stream().to_string().contains(word))
}

/// The codec attributes of a field of type `ty` (see the [module docs](self)).
fn codec(ty: &str) -> Option<(Option<&'static str>, Option<&'static str>)> {
    let option = strip(ty, OPTION);
    let nullable = option
        .and_then(|t| strip(t, NULLABLE))
        .or_else(|| strip(ty, NULLABLE));
    Some(match (option, nullable) {
        _ if ty == DATE => (
            Some("crate::timestamp::deserialize"),
            Some("crate::timestamp::serialize"),
        ),
        (Some(t), _) if t == DATE => (
            Some("crate::timestamp::deserialize_option"),
            Some("crate::timestamp::serialize_option"),
        ),
        (Some(_), Some(t)) if t == DATE => (
            Some("crate::timestamp::deserialize_present_nullable"),
            Some("crate::timestamp::serialize_option_nullable"),
        ),
        (None, Some(t)) if t == DATE => (
            Some("crate::timestamp::deserialize_nullable"),
            Some("crate::timestamp::serialize_nullable"),
        ),
        (Some(_), Some(_)) => (Some("crate::nullable::deserialize_present"), None),
        _ => return None,
    })
}

/// Adds the codecs of the [module docs](self) to the fields of every struct; the number of
/// fields changed.
pub(crate) fn field_codecs(items: &mut [syn::Item]) -> usize {
    let mut count = 0;
    for item in items {
        let syn::Item::Struct(s) = item else { continue };
        if !derives_deserialize(&s.attrs) {
            continue;
        }
        for field in s.fields.iter_mut() {
            let ty = type_text(&field.ty);
            let Some((de, ser)) = codec(&ty) else {
                continue;
            };
            // An optional field must stay optional once it has a decoder of its own: serde
            // then needs `default` to accept its absence.
            if ty.starts_with(OPTION) && !has_serde(&field.attrs, "default") {
                field.attrs.push(syn::parse_quote!(#[serde(default)]));
            }
            if let Some(de) = de {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(deserialize_with = #de)]));
            }
            if let Some(ser) = ser {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(serialize_with = #ser)]));
            }
            count += 1;
        }
    }
    count
}

/// Makes the optional lists and maps of the structs named in `request` `Option<…>` (see the
/// [module docs](self)); the number of fields changed.
pub(crate) fn set_collections(items: &mut [syn::Item], request: &BTreeSet<String>) -> usize {
    let mut count = 0;
    for item in items {
        let syn::Item::Struct(s) = item else { continue };
        if !request.contains(&s.ident.to_string()) {
            continue;
        }
        for field in s.fields.iter_mut() {
            let mut changed = false;
            for attr in &mut field.attrs {
                let syn::Meta::List(list) = &mut attr.meta else {
                    continue;
                };
                if !list.path.is_ident("serde") {
                    continue;
                }
                let text = list.tokens.to_string();
                let Some(start) = text.find("skip_serializing_if") else {
                    continue;
                };
                let rest = &text[start..];
                let Some(open) = rest.find('"') else { continue };
                let Some(len) = rest[open + 1..].find('"') else {
                    continue;
                };
                let lit = &rest[open..open + len + 2];
                if !lit.ends_with("is_empty\"") {
                    continue;
                }
                let replaced = text.replace(lit, "\"::std::option::Option::is_none\"");
                list.tokens = replaced.parse().expect("serde attribute tokens");
                changed = true;
            }
            if changed {
                let ty = &field.ty;
                field.ty = syn::parse_quote!(::std::option::Option<#ty>);
                count += 1;
            }
        }
    }
    count
}

/// Makes the document's descriptions valid rustdoc: the vendor's anchors to its reference
/// pages (`[User](#schema_user)`) become links to the generated types
/// (`crate::types::User`; plain text when there is no such type), and a bracketed word that
/// is not a link (`[DEPRECATED]`) is escaped.
pub(crate) fn doc_text(text: &str, types: &BTreeSet<String>) -> String {
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

/// Applies [`doc_text`] to every doc comment of `items`.
pub(crate) fn doc_links(items: &mut [syn::Item], types: &BTreeSet<String>) {
    fn fix(attrs: &mut [syn::Attribute], types: &BTreeSet<String>) {
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
                let fixed = doc_text(&doc.value(), types);
                if fixed != doc.value() {
                    *doc = syn::LitStr::new(&fixed, doc.span());
                }
            }
        }
    }
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                fix(&mut s.attrs, types);
                for field in s.fields.iter_mut() {
                    fix(&mut field.attrs, types);
                }
            }
            syn::Item::Enum(e) => {
                fix(&mut e.attrs, types);
                for variant in e.variants.iter_mut() {
                    fix(&mut variant.attrs, types);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(code: &str) -> Vec<syn::Item> {
        syn::parse_file(code).unwrap().items
    }

    #[test]
    fn request_collections_become_options() {
        let mut it = items(
            r#"
            #[derive(serde::Serialize, serde::Deserialize)]
            pub struct Body {
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub ids: ::std::vec::Vec<::std::string::String>,
                #[serde(default, skip_serializing_if = ":: std :: collections :: BTreeMap::is_empty")]
                pub tags: ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
                pub name: ::std::string::String,
            }
            #[derive(serde::Serialize, serde::Deserialize)]
            pub struct Response {
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub ids: ::std::vec::Vec<::std::string::String>,
            }"#,
        );
        let n = set_collections(&mut it, &BTreeSet::from(["Body".to_string()]));
        assert_eq!(n, 2);
        let code = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: vec![],
            items: it,
        });
        assert!(
            code.contains("pub ids: ::std::option::Option<::std::vec::Vec<::std::string::String>>"),
            "{code}"
        );
        assert!(
            code.contains("skip_serializing_if = \"::std::option::Option::is_none\""),
            "{code}"
        );
        // The response keeps typify's form.
        assert!(code.contains("pub struct Response {\n    #[serde(default, skip_serializing_if = \"::std::vec::Vec::is_empty\")]"), "{code}");
    }

    #[test]
    fn dates_get_codecs() {
        let mut it = items(
            r#"
            #[derive(serde::Serialize, serde::Deserialize)]
            pub struct T {
                pub at: ::chrono::DateTime<::chrono::offset::Utc>,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub maybe: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                pub name: ::std::option::Option<crate::nullable::Nullable<::std::string::String>>,
                pub plain: ::std::string::String,
            }"#,
        );
        assert_eq!(field_codecs(&mut it), 3);
        let code = it[0].to_token_stream().to_string();
        assert!(code.contains("crate::timestamp::serialize\""), "{code}");
        assert!(
            code.contains("crate::timestamp::deserialize_option"),
            "{code}"
        );
        assert!(
            code.contains("crate::nullable::deserialize_present"),
            "{code}"
        );
    }

    #[test]
    fn reachability_follows_fields() {
        let it = items(
            "pub struct A { b: B } pub struct B { c: Vec<C> } pub struct C {} pub struct D { a: A }",
        );
        let r = reachable(&it, ["A".to_string()]);
        assert_eq!(r, BTreeSet::from(["A".into(), "B".into(), "C".into()]));
    }

    #[test]
    fn anchors_become_links() {
        let types = BTreeSet::from(["User".to_string()]);
        assert_eq!(
            doc_text(
                "Tags of the [User](#schema_user) and [Bot](#schema_bot) [DEPRECATED] `[x]`",
                &types
            ),
            "Tags of the [User](crate::types::User) and Bot \\[DEPRECATED\\] `[x]`"
        );
    }
}
