//! The code generator: the OpenAPI document in, the typed client out.
//!
//! `build.rs` calls [`generate`] on `openapi/botpress.yaml` and writes what it returns into
//! `OUT_DIR`; `xtask` compiles the same modules to run their unit tests. The steps, one module
//! each:
//!
//! 1. [`document`]: the document shaped for code generation (tri-states, one enum per value
//!    set, validation keywords dropped);
//! 2. [`types`]: progenitor (typify) generates the schemas' Rust types, and passes over them
//!    add the wire's codecs and make request collections `Option`;
//! 3. [`enums`]: the named string enums become open enums;
//! 4. [`builders`]: every request type gets a builder with one setter per field;
//! 5. [`operations`]: every operation gets a builder with flat setters and `send()`;
//! 6. [`pagination`]: the table of list operations for `.stream()` / `.pages()`.
pub(crate) mod builders;
pub(crate) mod document;
pub(crate) mod enums;
pub(crate) mod names;
pub(crate) mod operations;
pub(crate) mod pagination;
pub(crate) mod types;

use std::collections::{BTreeMap, BTreeSet};

use quote::quote;

/// Schemas whose Rust type is hand-written in the SDK (the dotted query encoding).
const REPLACEMENTS: &[(&str, &str)] = &[
    ("TagsFilter", "crate::query::TagsFilter"),
    ("FileTagsFilter", "crate::query::FileTagsFilter"),
];

/// What the generator writes.
pub(crate) struct Generated {
    /// The client: `enums`, `types` (with the request builders) and `operations` modules.
    pub client: String,
    /// The pagination table (see [`pagination`]).
    pub pagination: String,
    /// The flat-setter wire cases of the tests (see [`operations::flat_setter_cases`]).
    pub flat_setter_cases: String,
    /// How many lines of the client were generated.
    pub lines: usize,
    /// The document as compact JSON (`botpress::OPENAPI_DOCUMENT`).
    pub document: String,
}

/// Generates the client from the text of the document.
pub(crate) fn generate(text: &str) -> Result<Generated, String> {
    let doc: serde_json::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let shaped = document::shape(doc.clone())?;
    let enums = document::named_enums(&shaped);
    let mut replacements: Vec<(String, String)> = enums
        .keys()
        .map(|name| (name.clone(), format!("crate::generated::enums::{name}")))
        .collect();
    for (schema, rust) in REPLACEMENTS.iter().chain(document::NULLABLE) {
        replacements.push((schema.to_string(), rust.to_string()));
    }
    let mut items = types::generate(&shaped, &replacements)?;
    let enum_names: BTreeSet<String> = enums.keys().cloned().collect();
    let ops = operations::operations(&shaped, &enum_names)?;
    let request = types::reachable(&items, ops.iter().filter_map(|o| o.body.clone()));
    if types::field_codecs(&mut items) == 0 {
        return Err("no DateTime<Utc> or Nullable field found in the generated types".into());
    }
    types::set_collections(&mut items, &request);
    let type_names: BTreeSet<String> = types::structs(&items)
        .keys()
        .cloned()
        .chain(enum_names.iter().cloned())
        .collect();
    types::doc_links(&mut items, &type_names);
    let nested: BTreeSet<String> = types::structs(&items)
        .keys()
        .filter(|n| request.contains(*n))
        .cloned()
        .collect();
    let mut builders = Vec::new();
    let mut setters = BTreeMap::new();
    for (name, s) in types::structs(&items) {
        if nested.contains(&name) {
            let (code, s) = builders::builder(s, &nested);
            builders.push(code);
            setters.insert(name, s);
        }
    }
    let operations = operations::generate(&ops, &setters);
    let flat_setter_cases = operations::flat_setter_cases(&ops, &setters);
    let enum_items = enums
        .iter()
        .map(|(name, values)| enums::open_enum(name, values));
    let file = quote! {
        /// Open string enums: the values the document lists, plus `Unknown` for any other.
        pub mod enums {
            #(#enum_items)*
        }
        /// The schemas' types, and the builders of the request types.
        pub mod types {
            #(#items)*
            #(#builders)*
        }
        /// The operation builders.
        pub mod operations {
            // The delegated setters name body field types as the `types` module does.
            use super::types::*;
            #operations
        }
    };
    let ast: syn::File =
        syn::parse2(file).map_err(|e| format!("generated code does not parse: {e}"))?;
    let client = prettyplease::unparse(&ast);
    Ok(Generated {
        document: serde_json::to_string(&doc).map_err(|e| format!("document as JSON: {e}"))?,
        lines: client.lines().count(),
        flat_setter_cases,
        client,
        pagination: pagination::pagination_table(&pagination::pagination(&doc)),
    })
}
