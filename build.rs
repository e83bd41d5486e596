//! Generates the typed Botpress client from the OpenAPI document in `openapi/`: the
//! generator is the `build/` folder (one module per step, see `build/mod.rs`); this script
//! reads the document and writes what it generates to `OUT_DIR`:
//! - `botpress_api.rs`: the open enums, the schemas' types with the request builders, and
//!   the operation builders;
//! - `pagination.rs`: the table of list operations (see `sdk/paginate.rs`);
//! - `openapi.json`: the document as compact JSON (`botpress::OPENAPI_DOCUMENT`);
//! - `flat_setter_cases.rs`: the wire cases of `tests/it/operations.rs` that send every body
//!   both whole and through the flat setters.

#[path = "build/mod.rs"]
#[allow(dead_code)]
mod codegen;

use std::{env, fs, path::PathBuf};

const DOCUMENT: &str = "openapi/botpress.yaml";

fn main() {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    let text = fs::read_to_string(DOCUMENT).unwrap_or_else(|e| panic!("reading {DOCUMENT}: {e}"));
    let generated = codegen::generate(&text).unwrap_or_else(|e| panic!("{DOCUMENT}: {e}"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("botpress_api.rs"), generated.client).expect("write client");
    fs::write(out.join("pagination.rs"), generated.pagination).expect("write pagination table");
    fs::write(out.join("openapi.json"), generated.document).expect("write the document as JSON");
    fs::write(
        out.join("flat_setter_cases.rs"),
        generated.flat_setter_cases,
    )
    .expect("write the flat setter cases");
}
