//! `cargo xtask public-api [--check]`: the public API of the published crates as a checked-in
//! listing (`xtask/public-api/<crate>.txt`), one line per public item with its signature, so a
//! change that adds, removes or alters a public item shows in review and fails CI until the
//! listing is refreshed on purpose.
//!
//! The listing is read from rustdoc's JSON output (`--output-format json`, unstable, enabled
//! with `RUSTC_BOOTSTRAP=1` on the stable toolchain). Only the fields that have been stable
//! across format versions are read (`index`, `paths`, `root`, the items' `name`, `visibility`
//! and `inner`), and anything else the renderer does not know prints as `_` rather than
//! failing, so a newer toolchain at worst changes a few lines.
//!
//! What is listed: every item reachable by a public path (modules, types, functions,
//! constants, statics, type aliases, macros, traits and their items), the public fields and
//! variants of types, their inherent methods and the traits they implement (not auto traits
//! and blanket implementations, which follow from the rest). An item re-exported under several
//! paths is listed once under its shortest, with `use` lines for the others.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// The crates whose API is listed: package name and crate name.
pub const CRATES: [(&str, &str); 2] = [
    ("botpress", "botpress"),
    ("botpress-emulator", "botpress_emulator"),
];

/// Where the listing of `package` is kept, relative to the workspace root.
pub fn listing_path(package: &str) -> PathBuf {
    PathBuf::from(format!("xtask/public-api/{package}.txt"))
}

/// Builds each crate's rustdoc JSON, lists its public API and writes the listing, or with
/// `check` fails if a listing differs, showing the lines that differ.
pub fn command(root: &Path, check: bool) -> Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut stale = Vec::new();
    for (package, crate_name) in CRATES {
        crate::run(
            std::process::Command::new(crate::cargo())
                .current_dir(root)
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["rustdoc", "--quiet", "--lib", "-p", package, "--"])
                .args(["-Z", "unstable-options", "--output-format", "json"]),
        )?;
        let json_path = target.join("doc").join(format!("{crate_name}.json"));
        let text = std::fs::read_to_string(&json_path)
            .with_context(|| format!("reading {}", json_path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", json_path.display()))?;
        let listing = listing(&doc).with_context(|| format!("listing {package}"))?;
        let path = root.join(listing_path(package));
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let count = listing.lines().count();
        if old == listing {
            println!("{package}: {count} public items, listing up to date");
            continue;
        }
        if check {
            println!(
                "{package}: the public API differs from {}:",
                listing_path(package).display()
            );
            print!("{}", line_diff(&old, &listing));
            stale.push(package);
        } else {
            std::fs::create_dir_all(path.parent().expect("listing has a folder"))?;
            std::fs::write(&path, &listing)
                .with_context(|| format!("writing {}", path.display()))?;
            println!(
                "{package}: {count} public items, wrote {}",
                listing_path(package).display()
            );
        }
    }
    if !stale.is_empty() {
        bail!(
            "the public API of {} changed; if that is intended, run `cargo xtask public-api` and commit the listing",
            stale.join(", ")
        );
    }
    Ok(())
}

/// The lines only in `old` (`-`) and only in `new` (`+`); listings are sorted sets of lines.
pub fn line_diff(old: &str, new: &str) -> String {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    let mut out = String::new();
    for line in old.difference(&new) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in new.difference(&old) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

/// The public API of the crate described by rustdoc JSON `doc`: sorted lines, one per item.
pub fn listing(doc: &Value) -> Result<String> {
    let index = doc["index"]
        .as_object()
        .context("no `index` in the rustdoc JSON")?;
    let root = id_key(&doc["root"]).context("no `root` in the rustdoc JSON")?;
    let crate_name = index
        .get(&root)
        .and_then(|r| r["name"].as_str())
        .context("the root module has no name")?;
    let empty = Map::new();
    let mut api = Api {
        index,
        paths: doc["paths"].as_object().unwrap_or(&empty),
        canonical: HashMap::new(),
        order: Vec::new(),
        lines: BTreeSet::new(),
    };
    api.walk(&root, crate_name);
    for (id, path) in api.order.clone() {
        api.render(&id, &path);
    }
    let mut out = String::new();
    for line in &api.lines {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// An id of the index as its key (ids are numbers in recent formats, strings in older ones).
fn id_key(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The one key of an externally tagged enum value (`{"struct": {...}}`) and its content.
fn tagged(v: &Value) -> (&str, &Value) {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            (k.as_str(), v)
        }
        Value::String(s) => (s.as_str(), &Value::Null),
        _ => ("", &Value::Null),
    }
}

/// Names from the standard prelude, printed without their path.
const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "ToString",
    "ToOwned",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "Fn",
    "FnMut",
    "FnOnce",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Iterator",
    "IntoIterator",
    "Extend",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "AsRef",
    "AsMut",
];

struct Api<'a> {
    index: &'a Map<String, Value>,
    paths: &'a Map<String, Value>,
    /// The path each listed item is listed under (its shortest public path).
    canonical: HashMap<String, String>,
    /// The listed items in the order they were found.
    order: Vec<(String, String)>,
    lines: BTreeSet<String>,
}

impl Api<'_> {
    /// Finds every item reachable from module `root`, breadth first so that each item's
    /// canonical path is its shortest.
    fn walk(&mut self, root: &str, crate_name: &str) {
        let mut queue = VecDeque::from([(root.to_string(), crate_name.to_string())]);
        while let Some((id, path)) = queue.pop_front() {
            let Some(item) = self.index.get(&id) else {
                continue;
            };
            if let Some(first) = self.canonical.get(&id) {
                self.lines.insert(format!("use {path} => {first}"));
                continue;
            }
            self.canonical.insert(id.clone(), path.clone());
            self.order.push((id.clone(), path.clone()));
            let (kind, inner) = tagged(&item["inner"]);
            if kind != "module" {
                continue;
            }
            for child in inner["items"].as_array().into_iter().flatten() {
                let Some(child_id) = id_key(child) else {
                    continue;
                };
                let Some(child_item) = self.index.get(&child_id) else {
                    continue;
                };
                if child_item["visibility"] != "public" {
                    continue;
                }
                let (child_kind, child_inner) = tagged(&child_item["inner"]);
                if child_kind == "use" {
                    let name = child_inner["name"].as_str().unwrap_or("_");
                    let source = child_inner["source"].as_str().unwrap_or("_");
                    let target = id_key(&child_inner["id"]).filter(|t| self.index.contains_key(t));
                    let glob = child_inner["is_glob"].as_bool().unwrap_or(false);
                    match (target, glob) {
                        (Some(t), true) => {
                            // The module's items, as if declared here.
                            let module = &self.index[&t];
                            for grandchild in tagged(&module["inner"]).1["items"]
                                .as_array()
                                .into_iter()
                                .flatten()
                            {
                                if let Some(g) = id_key(grandchild)
                                    && let Some(g_item) = self.index.get(&g)
                                    && g_item["visibility"] == "public"
                                {
                                    let g_name = g_item["name"].as_str().unwrap_or("_");
                                    queue.push_back((g, format!("{path}::{g_name}")));
                                }
                            }
                        }
                        (Some(t), false) => queue.push_back((t, format!("{path}::{name}"))),
                        (None, true) => {
                            self.lines.insert(format!("use {path}::* => {source}::*"));
                        }
                        (None, false) => {
                            self.lines.insert(format!("use {path}::{name} => {source}"));
                        }
                    }
                    continue;
                }
                let name = child_item["name"].as_str().unwrap_or("_");
                queue.push_back((child_id, format!("{path}::{name}")));
            }
        }
    }

    /// The lines of the item `id` listed under `path`.
    fn render(&mut self, id: &str, path: &str) {
        let item = &self.index[id];
        let (kind, inner) = tagged(&item["inner"]);
        let line = match kind {
            "module" => format!("mod {path}"),
            "struct" | "union" => {
                let generics = self.generics(&inner["generics"]);
                let (shape, fields) = tagged(&inner["kind"]);
                match shape {
                    "tuple" => {
                        let fields: Vec<String> = fields
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|f| match id_key(f).and_then(|f| self.index.get(&f)) {
                                Some(field) if field["visibility"] == "public" => {
                                    self.ty(&field["inner"]["struct_field"])
                                }
                                _ => "_".into(),
                            })
                            .collect();
                        format!("{kind} {path}{generics}({})", fields.join(", "))
                    }
                    "plain" => {
                        self.fields(fields["fields"].as_array(), path);
                        if fields["has_stripped_fields"] == true {
                            format!("{kind} {path}{generics} {{ .. }}")
                        } else {
                            format!("{kind} {path}{generics}")
                        }
                    }
                    _ => format!("{kind} {path}{generics}"),
                }
            }
            "enum" => {
                for variant in inner["variants"].as_array().into_iter().flatten() {
                    if let Some(v) = id_key(variant)
                        && let Some(v_item) = self.index.get(&v)
                    {
                        let line = self.variant(v_item, path);
                        self.lines.insert(line);
                    }
                }
                format!("enum {path}{}", self.generics(&inner["generics"]))
            }
            "trait" => {
                for member in inner["items"].as_array().into_iter().flatten() {
                    if let Some(m) = id_key(member)
                        && let Some(m_item) = self.index.get(&m)
                    {
                        let name = m_item["name"].as_str().unwrap_or("_");
                        if let Some(line) = self.member(m_item, &format!("{path}::{name}")) {
                            self.lines.insert(line);
                        }
                    }
                }
                let bounds = self.bounds(&inner["bounds"]);
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                format!("trait {path}{}{bounds}", self.generics(&inner["generics"]))
            }
            "macro" | "proc_macro" => format!("macro {path}!"),
            _ => match self.member(item, path) {
                Some(line) => line,
                None => format!("{kind} {path}"),
            },
        };
        self.lines.insert(line);
        if matches!(kind, "struct" | "union" | "enum") {
            self.impls(inner["impls"].as_array(), path);
        }
    }

    /// A function, constant, static or type alias (also as a member of a type or trait).
    fn member(&self, item: &Value, path: &str) -> Option<String> {
        let (kind, inner) = tagged(&item["inner"]);
        Some(match kind {
            "function" => {
                let header = &inner["header"];
                let mut quals = String::new();
                for (flag, word) in [
                    ("is_const", "const "),
                    ("is_async", "async "),
                    ("is_unsafe", "unsafe "),
                ] {
                    if header[flag] == true {
                        quals.push_str(word);
                    }
                }
                let sig = &inner["sig"];
                let params: Vec<String> = sig["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.param(p))
                    .collect();
                let output = self.returns(&sig["output"]);
                let (generics, where_clause) = self.generics_split(&inner["generics"]);
                format!(
                    "{quals}fn {path}{generics}({}){output}{where_clause}",
                    params.join(", ")
                )
            }
            "constant" => format!("const {path}: {}", self.ty(&inner["type"])),
            "assoc_const" => format!("const {path}: {}", self.ty(&inner["type"])),
            "static" => format!("static {path}: {}", self.ty(&inner["type"])),
            "type_alias" => format!(
                "type {path}{} = {}",
                self.generics(&inner["generics"]),
                self.ty(&inner["type"])
            ),
            "assoc_type" => {
                let bounds = self.bounds(&inner["bounds"]);
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                match &inner["type"] {
                    Value::Null => format!("type {path}{bounds}"),
                    t => format!("type {path}{bounds} = {}", self.ty(t)),
                }
            }
            _ => return None,
        })
    }

    /// The public fields of a type with named fields.
    fn fields(&mut self, fields: Option<&Vec<Value>>, path: &str) {
        for field in fields.into_iter().flatten() {
            if let Some(f) = id_key(field)
                && let Some(f_item) = self.index.get(&f)
                && f_item["visibility"] == "public"
            {
                let name = f_item["name"].as_str().unwrap_or("_");
                let line = format!(
                    "field {path}.{name}: {}",
                    self.ty(&f_item["inner"]["struct_field"])
                );
                self.lines.insert(line);
            }
        }
    }

    /// A variant of enum `path`, with its fields.
    fn variant(&mut self, item: &Value, path: &str) -> String {
        let name = item["name"].as_str().unwrap_or("_");
        let (shape, fields) = tagged(&item["inner"]["variant"]["kind"]);
        let field_type = |f: &Value| {
            id_key(f)
                .and_then(|f| self.index.get(&f))
                .map(|field| self.ty(&field["inner"]["struct_field"]))
                .unwrap_or_else(|| "_".into())
        };
        match shape {
            "tuple" => {
                let types: Vec<String> = fields
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(field_type)
                    .collect();
                format!("variant {path}::{name}({})", types.join(", "))
            }
            "struct" => {
                let named: Vec<String> = fields["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let n = id_key(f)
                            .and_then(|f| self.index.get(&f))
                            .and_then(|f| f["name"].as_str())
                            .unwrap_or("_");
                        format!("{n}: {}", field_type(f))
                    })
                    .collect();
                format!("variant {path}::{name} {{ {} }}", named.join(", "))
            }
            _ => format!("variant {path}::{name}"),
        }
    }

    /// The inherent members and the trait implementations of type `path`.
    fn impls(&mut self, impls: Option<&Vec<Value>>, path: &str) {
        for imp in impls.into_iter().flatten() {
            let Some(imp) = id_key(imp).and_then(|i| self.index.get(&i)) else {
                continue;
            };
            let inner = &imp["inner"]["impl"];
            if inner["is_synthetic"] == true || !inner["blanket_impl"].is_null() {
                continue;
            }
            match &inner["trait"] {
                Value::Null => {
                    for member in inner["items"].as_array().into_iter().flatten() {
                        if let Some(m) = id_key(member).and_then(|m| self.index.get(&m))
                            && m["visibility"] == "public"
                        {
                            let name = m["name"].as_str().unwrap_or("_");
                            if let Some(line) = self.member(m, &format!("{path}::{name}")) {
                                self.lines.insert(line);
                            }
                        }
                    }
                }
                tr => {
                    let (generics, where_clause) = self.generics_split(&inner["generics"]);
                    let neg = if inner["is_negative"] == true {
                        "!"
                    } else {
                        ""
                    };
                    let line = format!(
                        "impl{generics} {neg}{} for {}{where_clause}",
                        self.path(tr),
                        self.ty(&inner["for"])
                    );
                    self.lines.insert(line);
                }
            }
        }
    }

    /// A function parameter: `self` forms as written, others `name: Type`.
    fn param(&self, p: &Value) -> String {
        let name = p[0].as_str().unwrap_or("_");
        let ty = &p[1];
        if name == "self" {
            let (kind, inner) = tagged(ty);
            if kind == "generic" && inner == "Self" {
                return "self".into();
            }
            if kind == "borrowed_ref" && inner["type"]["generic"] == "Self" {
                let lt = inner["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let m = if inner["is_mutable"] == true {
                    "mut "
                } else {
                    ""
                };
                return format!("&{lt}{m}self");
            }
        }
        format!("{name}: {}", self.ty(ty))
    }

    /// The name of item `id` as written at `written`: its listed path if it is listed, its
    /// defining path if rustdoc knows it (prelude names bare), else as written.
    fn name_of(&self, id: &Value, written: &str) -> String {
        if let Some(key) = id_key(id) {
            if let Some(path) = self.canonical.get(&key) {
                return path.clone();
            }
            if let Some(segments) = self.paths.get(&key).and_then(|p| p["path"].as_array()) {
                let segments: Vec<&str> = segments.iter().filter_map(Value::as_str).collect();
                if let (Some(first), Some(last)) = (segments.first(), segments.last())
                    && matches!(*first, "core" | "alloc" | "std")
                    && PRELUDE.contains(last)
                {
                    return (*last).to_string();
                }
                if !segments.is_empty() {
                    return segments.join("::");
                }
            }
        }
        written.to_string()
    }

    /// A path to a type or trait with its generic arguments.
    fn path(&self, p: &Value) -> String {
        let written = p["path"]
            .as_str()
            .or_else(|| p["name"].as_str())
            .unwrap_or("_");
        format!(
            "{}{}",
            self.name_of(&p["id"], written),
            self.args(&p["args"])
        )
    }

    fn args(&self, args: &Value) -> String {
        let (kind, inner) = tagged(args);
        match kind {
            "angle_bracketed" => {
                let mut parts: Vec<String> = inner["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        let (k, v) = tagged(a);
                        match k {
                            "lifetime" => v.as_str().unwrap_or("'_").to_string(),
                            "type" => self.ty(v),
                            "const" => v["expr"].as_str().unwrap_or("_").to_string(),
                            _ => "_".into(),
                        }
                    })
                    .collect();
                for c in inner["constraints"].as_array().into_iter().flatten() {
                    let name = c["name"].as_str().unwrap_or("_");
                    let (k, v) = tagged(&c["binding"]);
                    parts.push(match k {
                        "equality" => match tagged(v) {
                            ("type", t) => format!("{name} = {}", self.ty(t)),
                            _ => format!("{name} = _"),
                        },
                        "constraint" => format!("{name}: {}", self.bounds(v)),
                        _ => name.to_string(),
                    });
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            "parenthesized" => {
                let inputs: Vec<String> = inner["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| self.ty(t))
                    .collect();
                let output = self.returns(&inner["output"]);
                format!("({}){output}", inputs.join(", "))
            }
            _ => String::new(),
        }
    }

    /// ` -> T` for a return type, nothing for none.
    fn returns(&self, output: &Value) -> String {
        match output {
            Value::Null => String::new(),
            t => format!(" -> {}", self.ty(t)),
        }
    }

    fn ty(&self, t: &Value) -> String {
        let (kind, inner) = tagged(t);
        match kind {
            "resolved_path" => self.path(inner),
            "generic" | "primitive" => inner.as_str().unwrap_or("_").to_string(),
            "tuple" => {
                let parts: Vec<String> = inner
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| self.ty(t))
                    .collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            "slice" => format!("[{}]", self.ty(inner)),
            "array" => format!(
                "[{}; {}]",
                self.ty(&inner["type"]),
                inner["len"].as_str().unwrap_or("_")
            ),
            "borrowed_ref" => {
                let lt = inner["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let m = if inner["is_mutable"] == true {
                    "mut "
                } else {
                    ""
                };
                format!("&{lt}{m}{}", self.ty(&inner["type"]))
            }
            "raw_pointer" => {
                let m = if inner["is_mutable"] == true {
                    "mut"
                } else {
                    "const"
                };
                format!("*{m} {}", self.ty(&inner["type"]))
            }
            "impl_trait" => format!("impl {}", self.bounds(inner)),
            "dyn_trait" => {
                let mut parts: Vec<String> = inner["traits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.path(&p["trait"]))
                    .collect();
                if let Some(lt) = inner["lifetime"].as_str() {
                    parts.push(lt.to_string());
                }
                format!("dyn {}", parts.join(" + "))
            }
            "qualified_path" => {
                let name = inner["name"].as_str().unwrap_or("_");
                let self_type = self.ty(&inner["self_type"]);
                match &inner["trait"] {
                    Value::Null => format!("{self_type}::{name}{}", self.args(&inner["args"])),
                    tr => format!(
                        "<{self_type} as {}>::{name}{}",
                        self.path(tr),
                        self.args(&inner["args"])
                    ),
                }
            }
            "function_pointer" => {
                let sig = &inner["sig"];
                let params: Vec<String> = sig["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.ty(&p[1]))
                    .collect();
                let output = self.returns(&sig["output"]);
                format!("fn({}){output}", params.join(", "))
            }
            _ => "_".into(),
        }
    }

    fn bounds(&self, bounds: &Value) -> String {
        let parts: Vec<String> = bounds
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| {
                let (k, v) = tagged(b);
                match k {
                    "trait_bound" => {
                        let maybe = if v["modifier"] == "maybe" { "?" } else { "" };
                        format!("{maybe}{}", self.path(&v["trait"]))
                    }
                    "outlives" => v.as_str().unwrap_or("'_").to_string(),
                    _ => "_".into(),
                }
            })
            .collect();
        parts.join(" + ")
    }

    /// Generic parameters and where clause together (for types and traits).
    fn generics(&self, g: &Value) -> String {
        let (params, where_clause) = self.generics_split(g);
        format!("{params}{where_clause}")
    }

    /// `<params>` and ` where ...`, leaving out the parameters of `impl Trait` arguments.
    fn generics_split(&self, g: &Value) -> (String, String) {
        let params: Vec<String> = g["params"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let name = p["name"].as_str().unwrap_or("_");
                let (k, v) = tagged(&p["kind"]);
                match k {
                    "lifetime" => Some(name.to_string()),
                    "type" if v["is_synthetic"] == true => None,
                    "type" => {
                        let bounds = self.bounds(&v["bounds"]);
                        Some(if bounds.is_empty() {
                            name.to_string()
                        } else {
                            format!("{name}: {bounds}")
                        })
                    }
                    "const" => Some(format!("const {name}: {}", self.ty(&v["type"]))),
                    _ => Some(name.to_string()),
                }
            })
            .collect();
        let preds: Vec<String> = g["where_predicates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let (k, v) = tagged(p);
                match k {
                    "bound_predicate" => {
                        format!("{}: {}", self.ty(&v["type"]), self.bounds(&v["bounds"]))
                    }
                    "lifetime_predicate" => {
                        let outlives: Vec<&str> = v["outlives"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        format!(
                            "{}: {}",
                            v["lifetime"].as_str().unwrap_or("'_"),
                            outlives.join(" + ")
                        )
                    }
                    _ => "_".into(),
                }
            })
            .collect();
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        };
        let preds = if preds.is_empty() {
            String::new()
        } else {
            format!(" where {}", preds.join(", "))
        };
        (params, preds)
    }
}
