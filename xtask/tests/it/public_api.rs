//! The public-API listing (`cargo xtask public-api`) read from rustdoc JSON: what is listed,
//! under which path, and what is left out.

use serde_json::{Value, json};
use xtask::public_api::{line_diff, listing};

fn path(p: &str, id: u32) -> Value {
    json!({ "resolved_path": { "path": p, "id": id, "args": null } })
}

/// A crate `demo` with: a public module `inner` holding `Thing` (a struct with a public and a
/// private field, an inherent method, a private method, a trait impl, an auto-trait impl and a
/// blanket impl), re-exported at the root and again through a glob; a private function; an enum
/// with a tuple and a unit variant; a re-export of a foreign item.
fn fixture() -> Value {
    let no_generics = json!({ "params": [], "where_predicates": [] });
    json!({
        "root": 0,
        "format_version": 57,
        "paths": {
            "50": { "crate_id": 1, "path": ["core", "clone", "Clone"], "kind": "trait" },
            "51": { "crate_id": 1, "path": ["alloc", "string", "String"], "kind": "struct" },
            "52": { "crate_id": 2, "path": ["http", "header", "map", "HeaderMap"], "kind": "struct" }
        },
        "index": {
            "0": { "name": "demo", "visibility": "public", "inner": { "module": {
                "is_crate": true, "items": [1, 2, 3, 4, 5, 6, 7], "is_stripped": false } } },
            "1": { "name": "inner", "visibility": "public", "inner": { "module": {
                "is_crate": false, "items": [10], "is_stripped": false } } },
            "2": { "name": null, "visibility": "public", "inner": { "use": {
                "source": "inner::Thing", "name": "Thing", "id": 10, "is_glob": false } } },
            "3": { "name": "hidden", "visibility": "crate", "inner": { "function": {
                "sig": { "inputs": [], "output": null, "is_c_variadic": false },
                "generics": no_generics, "header": {}, "has_body": true } } },
            "4": { "name": "prelude", "visibility": "public", "inner": { "module": {
                "is_crate": false, "items": [8], "is_stripped": false } } },
            "5": { "name": "Shape", "visibility": "public", "inner": { "enum": {
                "generics": no_generics, "variants": [30, 31], "impls": [] } } },
            "6": { "name": null, "visibility": "public", "inner": { "use": {
                "source": "http::HeaderMap", "name": "HeaderMap", "id": 52, "is_glob": false } } },
            "7": { "name": "LIMIT", "visibility": "public", "inner": { "constant": {
                "type": { "primitive": "usize" }, "const": { "expr": "3" } } } },
            "8": { "name": null, "visibility": "public", "inner": { "use": {
                "source": "crate::inner", "name": "inner", "id": 1, "is_glob": true } } },
            "10": { "name": "Thing", "visibility": "public", "inner": { "struct": {
                "kind": { "plain": { "fields": [11, 12], "has_stripped_fields": false } },
                "generics": no_generics, "impls": [20, 21, 22, 23] } } },
            "11": { "name": "label", "visibility": "public", "inner": { "struct_field": path("String", 51) } },
            "12": { "name": "secret", "visibility": "default", "inner": { "struct_field": { "primitive": "u8" } } },
            "20": { "name": null, "visibility": "default", "inner": { "impl": {
                "trait": null, "for": path("Thing", 10), "items": [24, 25], "generics": no_generics,
                "is_synthetic": false, "blanket_impl": null, "is_negative": false } } },
            "21": { "name": null, "visibility": "default", "inner": { "impl": {
                "trait": { "path": "Clone", "id": 50, "args": null }, "for": path("Thing", 10),
                "items": [], "generics": no_generics,
                "is_synthetic": false, "blanket_impl": null, "is_negative": false } } },
            "22": { "name": null, "visibility": "default", "inner": { "impl": {
                "trait": { "path": "Send", "id": 53, "args": null }, "for": path("Thing", 10),
                "items": [], "generics": no_generics,
                "is_synthetic": true, "blanket_impl": null, "is_negative": false } } },
            "23": { "name": null, "visibility": "default", "inner": { "impl": {
                "trait": { "path": "Into", "id": 54, "args": null }, "for": { "generic": "T" },
                "items": [], "generics": no_generics,
                "is_synthetic": false, "blanket_impl": { "generic": "T" }, "is_negative": false } } },
            "24": { "name": "rename", "visibility": "public", "inner": { "function": {
                "sig": { "inputs": [
                    ["self", { "borrowed_ref": { "lifetime": null, "is_mutable": true, "type": { "generic": "Self" } } }],
                    ["to", { "impl_trait": [ { "trait_bound": {
                        "trait": { "path": "Into", "id": 54, "args": { "angle_bracketed": {
                            "args": [ { "type": path("String", 51) } ], "constraints": [] } } },
                        "generic_params": [], "modifier": "none" } } ] }]
                ], "output": { "borrowed_ref": { "lifetime": null, "is_mutable": false, "type": { "primitive": "str" } } },
                "is_c_variadic": false },
                "generics": { "params": [ { "name": "impl Into<String>", "kind": { "type": {
                    "bounds": [], "default": null, "is_synthetic": true } } } ], "where_predicates": [] },
                "header": { "is_async": true }, "has_body": true } } },
            "25": { "name": "internal", "visibility": "crate", "inner": { "function": {
                "sig": { "inputs": [], "output": null, "is_c_variadic": false },
                "generics": no_generics, "header": {}, "has_body": true } } },
            "30": { "name": "Circle", "visibility": "default", "inner": { "variant": {
                "kind": { "tuple": [32] }, "discriminant": null } } },
            "31": { "name": "Dot", "visibility": "default", "inner": { "variant": {
                "kind": "plain", "discriminant": null } } },
            "32": { "name": "0", "visibility": "default", "inner": { "struct_field": { "primitive": "f64" } } }
        }
    })
}

#[test]
fn lists_public_items_once_under_their_shortest_path() {
    let got = listing(&fixture()).unwrap();
    let want = "\
async fn demo::Thing::rename(&mut self, to: impl Into<String>) -> &str
const demo::LIMIT: usize
enum demo::Shape
field demo::Thing.label: String
impl Clone for demo::Thing
mod demo
mod demo::inner
mod demo::prelude
struct demo::Thing
use demo::HeaderMap => http::HeaderMap
use demo::inner::Thing => demo::Thing
use demo::prelude::Thing => demo::Thing
variant demo::Shape::Circle(f64)
variant demo::Shape::Dot
";
    assert_eq!(got, want, "listing:\n{got}");
}

#[test]
fn the_diff_shows_removed_and_added_lines() {
    let old = "fn a()\nfn b()\nstruct C\n";
    let new = "fn a()\nstruct C\nstruct D\n";
    assert_eq!(line_diff(old, new), "- fn b()\n+ struct D\n");
    assert_eq!(line_diff(new, new), "");
}

#[test]
fn a_document_without_an_index_is_an_error() {
    let err = listing(&json!({ "root": 0 })).unwrap_err();
    assert!(err.to_string().contains("no `index`"), "{err}");
}
