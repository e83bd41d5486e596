//! `cargo xtask spec-diff`: compares our OpenAPI document with the vendor export
//! (`@botpress/api`, pinned in `tools/node`) operation by operation.
//!
//! Compared per operation (matched by operationId): method; path; parameters (name, location,
//! required, type); the request body (presence, then its properties: presence, required-ness,
//! type, closed or open); the success status; error responses; the success response's
//! properties (the same); and where one side uses a named schema and the other an inline one.
//! Properties are compared at the top level and down through object and array-of-object
//! properties (up to [`DEPTH`] levels), so `conversation.messageCount`,
//! `rows[].id` and `passages[].context[].id` are all compared. Types are compared structurally (references followed): `type`, string `format`,
//! enum values, `nullable`, array items, map values; integer `format`s (`int32`/`int64`) are
//! code-generation hints and are ignored.
//!
//! Every difference must be explained by `openapi/DIFFERENCES.md` ([`crate::differences`]);
//! the command fails on any unexplained difference and on any stale entry.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::Path,
    str::FromStr,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{
    differences::Differences,
    document::{Document, Operation, ref_name, required},
    npm::VENDOR_EXPORTS,
};

macro_rules! kinds {
    ($($variant:ident = $name:literal: $doc:literal,)*) => {
        /// The kinds of difference `spec-diff` reports (the `kind` column of DIFFERENCES.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $(#[doc = $doc] $variant,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The name used in DIFFERENCES.md.
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }
        }
    };
}

kinds! {
    OperationMissing = "operation-missing": "The vendor has the operation, we do not.",
    OperationExtra = "operation-extra": "We have the operation, the vendor does not.",
    Method = "method": "Different HTTP method.",
    Path = "path": "Different path template.",
    ParameterMissing = "parameter-missing": "A vendor parameter we do not declare (item `in:name`).",
    ParameterExtra = "parameter-extra": "A parameter only we declare (item `in:name`).",
    ParameterRequired = "parameter-required": "Required on one side only.",
    ParameterType = "parameter-type": "Different parameter schema.",
    BodyMissing = "body-missing": "The vendor declares a request body, we do not.",
    BodyExtra = "body-extra": "Only we declare a request body.",
    BodyPropertyMissing = "body-property-missing": "A vendor request-body property we do not have.",
    BodyPropertyExtra = "body-property-extra": "A request-body property only we have.",
    BodyPropertyType = "body-property-type": "Different request-body property schema.",
    BodyRequired = "body-required": "A request-body property required on one side only.",
    BodyClosed = "body-closed": "`additionalProperties: false` on one side only (request body).",
    ResponseStatus = "response-status": "Different success status.",
    ErrorResponses = "error-responses": "Different non-2xx responses (item `errors`).",
    ResponsePropertyMissing = "response-property-missing": "A vendor response property we do not have.",
    ResponsePropertyExtra = "response-property-extra": "A response property only we have.",
    ResponsePropertyType = "response-property-type": "Different response property schema.",
    ResponseRequired = "response-required": "A response property required on one side only.",
    ResponseClosed = "response-closed": "`additionalProperties: false` on one side only (response).",
    NamedSchema = "named-schema": "A named schema (`$ref`) on one side, an inline or differently named one on the other.",
    NamedEnum = "named-enum": "Like `named-schema`, where our named schema is an enum (hoisted so it becomes an open enum).",
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown difference kind `{s}` (known: {})", all.join(", "))
            })
    }
}

/// One difference between the vendor's operation and ours.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// operationId.
    pub operation: String,
    /// What kind of difference.
    pub kind: Kind,
    /// What differs (`query:pageSize`, `conversation.messageCount`, ...).
    pub item: String,
    /// The vendor's side (`-` when absent).
    pub vendor: String,
    /// Our side (`-` when absent).
    pub ours: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: vendor {}, ours {}",
            self.operation, self.kind, self.item, self.vendor, self.ours
        )
    }
}

/// The result of comparing the documents.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Vendor operations compared.
    pub vendor_operations: usize,
    /// Every difference found.
    pub differences: Vec<Difference>,
}

/// Loads the vendor exports from `vendor_dir/<export>/openapi.json`.
pub fn load_vendor(vendor_dir: &Path) -> Result<Vec<Document>> {
    VENDOR_EXPORTS
        .iter()
        .map(|(name, _)| Document::load(&vendor_dir.join(name).join("openapi.json")))
        .collect()
}

/// Compares every vendor operation with ours.
pub fn compare(vendor: &[Document], ours: &Document) -> Result<Comparison> {
    let our_ops: BTreeMap<&str, Operation<'_>> = ours
        .operations()
        .into_iter()
        .filter_map(|op| op.id.map(|id| (id, op)))
        .collect();
    let mut cmp = Comparison::default();
    let mut vendor_ids = BTreeSet::new();
    for vdoc in vendor {
        for vop in vdoc.operations() {
            let Some(id) = vop.id else {
                bail!(
                    "{}: operation {vop} has no operationId",
                    vdoc.path.display()
                );
            };
            cmp.vendor_operations += 1;
            vendor_ids.insert(id);
            let mut differ = Differ {
                id,
                vdoc,
                ours,
                out: &mut cmp.differences,
            };
            match our_ops.get(id) {
                Some(oop) => differ
                    .operation(&vop, oop)
                    .with_context(|| format!("comparing operation {id}"))?,
                None => differ.push(
                    Kind::OperationMissing,
                    id,
                    format!("{} {}", vop.method.to_uppercase(), vop.path),
                    "-",
                ),
            }
        }
    }
    for (id, op) in &our_ops {
        if !vendor_ids.contains(id) {
            cmp.differences.push(Difference {
                operation: id.to_string(),
                kind: Kind::OperationExtra,
                item: id.to_string(),
                vendor: "-".into(),
                ours: format!("{} {}", op.method.to_uppercase(), op.path),
            });
        }
    }
    Ok(cmp)
}

/// How many levels below the top-level properties are compared.
pub const DEPTH: usize = 8;

struct Differ<'a, 'o> {
    id: &'a str,
    vdoc: &'a Document,
    ours: &'a Document,
    out: &'o mut Vec<Difference>,
}

/// Which part of the operation a property comparison is about.
#[derive(Clone, Copy)]
enum Part {
    Body,
    Response,
}

impl Part {
    fn kinds(self) -> [Kind; 5] {
        match self {
            Part::Body => [
                Kind::BodyPropertyMissing,
                Kind::BodyPropertyExtra,
                Kind::BodyPropertyType,
                Kind::BodyRequired,
                Kind::BodyClosed,
            ],
            Part::Response => [
                Kind::ResponsePropertyMissing,
                Kind::ResponsePropertyExtra,
                Kind::ResponsePropertyType,
                Kind::ResponseRequired,
                Kind::ResponseClosed,
            ],
        }
    }
}

impl Differ<'_, '_> {
    fn push(&mut self, kind: Kind, item: &str, vendor: impl Into<String>, ours: impl Into<String>) {
        self.out.push(Difference {
            operation: self.id.to_string(),
            kind,
            item: item.to_string(),
            vendor: vendor.into(),
            ours: ours.into(),
        });
    }

    fn operation(&mut self, v: &Operation<'_>, o: &Operation<'_>) -> Result<()> {
        if v.method != o.method {
            self.push(
                Kind::Method,
                "method",
                v.method.to_uppercase(),
                o.method.to_uppercase(),
            );
        }
        if v.path != o.path {
            self.push(Kind::Path, "path", v.path, o.path);
        }
        self.parameters(v, o)?;
        match (self.vdoc.request_schema(v)?, self.ours.request_schema(o)?) {
            (Some(vs), Some(os)) => self.object("", Part::Body, vs, os, DEPTH)?,
            (Some(_), None) => self.push(Kind::BodyMissing, "body", "JSON body", "-"),
            (None, Some(_)) => self.push(Kind::BodyExtra, "body", "-", "JSON body"),
            (None, None) => {}
        }
        let statuses = |op: &Operation<'_>| -> (Vec<String>, Vec<String>) {
            op.responses()
                .into_iter()
                .map(|(s, _)| s.to_string())
                .partition(|s| s.starts_with('2'))
        };
        let (v_ok, v_err) = statuses(v);
        let (o_ok, o_err) = statuses(o);
        if v_ok != o_ok {
            self.push(
                Kind::ResponseStatus,
                "success",
                v_ok.join(", "),
                o_ok.join(", "),
            );
        }
        if v_err != o_err {
            self.push(
                Kind::ErrorResponses,
                "errors",
                v_err.join(", "),
                o_err.join(", "),
            );
        }
        match (self.vdoc.success_schema(v)?, self.ours.success_schema(o)?) {
            (Some((_, vs)), Some((_, os))) => self.object("", Part::Response, vs, os, DEPTH)?,
            (Some(_), None) => self.push(Kind::ResponsePropertyMissing, "(body)", "JSON", "-"),
            (None, Some(_)) => self.push(Kind::ResponsePropertyExtra, "(body)", "-", "JSON"),
            (None, None) => {}
        }
        Ok(())
    }

    fn parameters(&mut self, v: &Operation<'_>, o: &Operation<'_>) -> Result<()> {
        let collect = |doc: &Document, op: &Operation<'_>| -> Result<BTreeMap<String, Value>> {
            let mut out = BTreeMap::new();
            for p in &op.parameters {
                let (location, name, param) = doc.parameter(p)?;
                out.insert(format!("{location}:{name}"), param.clone());
            }
            Ok(out)
        };
        let vp = collect(self.vdoc, v)?;
        let op = collect(self.ours, o)?;
        for (key, vparam) in &vp {
            let Some(oparam) = op.get(key) else {
                self.push(
                    Kind::ParameterMissing,
                    key,
                    describe_parameter(self.vdoc, vparam),
                    "-",
                );
                continue;
            };
            let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
            if required(vparam) != required(oparam) {
                self.push(
                    Kind::ParameterRequired,
                    key,
                    req(required(vparam)),
                    req(required(oparam)),
                );
            }
            let (vs, os) = (&vparam["schema"], &oparam["schema"]);
            self.schemas(Kind::ParameterType, key, vs, os)?;
        }
        for (key, oparam) in &op {
            if !vp.contains_key(key) {
                self.push(
                    Kind::ParameterExtra,
                    key,
                    "-",
                    describe_parameter(self.ours, oparam),
                );
            }
        }
        Ok(())
    }

    /// Compares two schemas at `item`: structure (`kind`) and naming.
    fn schemas(&mut self, kind: Kind, item: &str, vs: &Value, os: &Value) -> Result<()> {
        let (vt, ot) = (describe(self.vdoc, vs, 0)?, describe(self.ours, os, 0)?);
        if vt != ot {
            self.push(kind, item, vt, ot);
        }
        self.naming(item, vs, os)?;
        let items =
            |doc: &Document, s: &Value| -> Result<Option<Value>> {
                let s = unwrap(doc, s)?;
                Ok((s.get("type").and_then(Value::as_str) == Some("array"))
                    .then(|| s["items"].clone()))
            };
        if let (Some(vi), Some(oi)) = (items(self.vdoc, vs)?, items(self.ours, os)?) {
            self.naming(&format!("{item}[]"), &vi, &oi)?;
        }
        Ok(())
    }

    /// A `named-schema` / `named-enum` difference when the two sides are not named alike.
    fn naming(&mut self, item: &str, vs: &Value, os: &Value) -> Result<()> {
        let (vn, on) = (named(vs), named(os));
        if vn != on {
            let is_enum = on.is_some() && unwrap(self.ours, os)?.get("enum").is_some();
            let kind = if is_enum {
                Kind::NamedEnum
            } else {
                Kind::NamedSchema
            };
            self.push(kind, item, vn.unwrap_or("inline"), on.unwrap_or("inline"));
        }
        Ok(())
    }

    /// Compares two object schemas' properties under `prefix`, descending `depth` more levels
    /// into object (or array-of-object) properties.
    fn object(
        &mut self,
        prefix: &str,
        part: Part,
        vs: &Value,
        os: &Value,
        depth: usize,
    ) -> Result<()> {
        let [missing, extra, type_kind, required_kind, closed_kind] = part.kinds();
        let (vs, os) = (unwrap(self.vdoc, vs)?, unwrap(self.ours, os)?);
        let here = if prefix.is_empty() {
            "(root)".to_string()
        } else {
            prefix.trim_end_matches('.').to_string()
        };
        let closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
        if closed(vs) != closed(os) {
            let show = |c| if c { "closed" } else { "open" };
            self.push(closed_kind, &here, show(closed(vs)), show(closed(os)));
        }
        let empty = serde_json::Map::new();
        let vprops = vs
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let oprops = os
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let (vreq, oreq) = (required(vs), required(os));
        for (name, vp) in vprops {
            let item = format!("{prefix}{name}");
            let Some(op) = oprops.get(name) else {
                self.push(missing, &item, describe(self.vdoc, vp, 0)?, "-");
                continue;
            };
            let (vr, or) = (vreq.contains(&name.as_str()), oreq.contains(&name.as_str()));
            if vr != or {
                self.push(required_kind, &item, req(vr), req(or));
            }
            self.schemas(type_kind, &item, vp, op)?;
            if depth > 0 {
                let (vi, oi) = (unwrap(self.vdoc, vp)?, unwrap(self.ours, op)?);
                let is_array = |s: &Value| s.get("type").and_then(Value::as_str) == Some("array");
                if is_array(vi) && is_array(oi) {
                    let (vi, oi) = (&vi["items"], &oi["items"]);
                    if has_properties(self.vdoc, vi)? || has_properties(self.ours, oi)? {
                        self.object(&format!("{item}[]."), part, vi, oi, depth - 1)?;
                    }
                } else if has_properties(self.vdoc, vi)? || has_properties(self.ours, oi)? {
                    self.object(&format!("{item}."), part, vi, oi, depth - 1)?;
                }
            }
        }
        for (name, op) in oprops {
            if !vprops.contains_key(name) {
                self.push(
                    extra,
                    &format!("{prefix}{name}"),
                    "-",
                    describe(self.ours, op, 0)?,
                );
            }
        }
        Ok(())
    }
}

fn req(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// The component name of a schema that is a `$ref` (or a lone `allOf: [$ref]`).
fn named(schema: &Value) -> Option<&str> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(ref_name(r));
    }
    match schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([one]) => named(one),
        _ => None,
    }
}

/// A schema with references and lone `allOf` wrappers followed.
fn unwrap<'a>(doc: &'a Document, schema: &'a Value) -> Result<&'a Value> {
    let mut s = doc.resolve(schema)?;
    for _ in 0..8 {
        match s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            Some([one]) => s = doc.resolve(one)?,
            _ => break,
        }
    }
    Ok(s)
}

fn has_properties(doc: &Document, schema: &Value) -> Result<bool> {
    Ok(unwrap(doc, schema)?
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty()))
}

fn describe_parameter(doc: &Document, param: &Value) -> String {
    let ty = describe(doc, &param["schema"], 0).unwrap_or_else(|e| format!("<{e}>"));
    format!(
        "{} {ty}",
        req(param.get("required") == Some(&Value::Bool(true)))
    )
}

/// A structural description of a schema, used to compare types: references and lone
/// `allOf`s followed; `type`, string `format`, sorted enum values, `nullable`, array items
/// and map values; object properties are not described (they are compared one by one).
pub fn describe(doc: &Document, schema: &Value, depth: usize) -> Result<String> {
    let s = unwrap(doc, schema)?;
    if depth > 6 {
        return Ok("…".into());
    }
    let mut out = String::new();
    if s.get("nullable") == Some(&Value::Bool(true)) {
        out.push_str("nullable ");
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(members) = s.get(key).and_then(Value::as_array) {
            let mut parts = Vec::new();
            for m in members {
                parts.push(describe(doc, m, depth + 1)?);
            }
            parts.sort();
            out.push_str(&format!("{key}({})", parts.join(" | ")));
            return Ok(out);
        }
    }
    let ty = s.get("type").and_then(Value::as_str);
    match ty {
        Some("array") => out.push_str(&format!(
            "array<{}>",
            describe(doc, &s["items"], depth + 1)?
        )),
        Some("object") | None if s.get("properties").is_some() => out.push_str("object"),
        Some("object") | None => match s.get("additionalProperties") {
            Some(Value::Object(values)) if !values.is_empty() => out.push_str(&format!(
                "map<{}>",
                describe(doc, &s["additionalProperties"], depth + 1)?
            )),
            _ if ty.is_some() => out.push_str("object"),
            _ if s.get("enum").is_some() => {}
            _ => out.push_str("any"),
        },
        Some("string") => {
            out.push_str("string");
            if let Some(format) = s.get("format").and_then(Value::as_str) {
                out.push_str(&format!("({format})"));
            }
        }
        Some(other) => out.push_str(other),
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let mut values: Vec<String> = values
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();
        values.sort();
        out.push_str(&format!(" enum[{}]", values.join(", ")));
    }
    Ok(out.trim().to_string())
}

/// The `spec-diff` command: compares, applies DIFFERENCES.md, prints the result; fails on any
/// unexplained difference or stale entry.
pub fn command(vendor_dir: &Path, document: &Path, differences: &Path) -> Result<()> {
    let start = Instant::now();
    let vendor = load_vendor(vendor_dir)?;
    let ours = Document::load(document)?;
    let table = Differences::load(differences)?;
    let mut cmp = compare(&vendor, &ours)?;
    cmp.differences.sort();
    let (explained, unexplained): (Vec<&Difference>, Vec<&Difference>) = cmp
        .differences
        .iter()
        .partition(|d| table.explain(d).is_some());
    let stale = table.stale(&cmp.differences);
    for d in &unexplained {
        println!("unexplained: {d}");
    }
    for (entry, op, item) in &stale {
        println!(
            "stale: {}:{}: `{op}` {} `{item}` matches no difference",
            differences.display(),
            entry.line,
            entry.kind
        );
    }
    println!(
        "spec-diff: {} vendor operations compared, {} deliberate differences, {} unexplained ({} entries in {}, {:.2} s)",
        cmp.vendor_operations,
        explained.len(),
        unexplained.len(),
        table.entries.len(),
        differences.display(),
        start.elapsed().as_secs_f64()
    );
    if !unexplained.is_empty() || !stale.is_empty() {
        if !unexplained.is_empty() {
            println!(
                "Each difference must be fixed in {} or listed in {}; rows to start from:",
                document.display(),
                differences.display()
            );
            for d in &unexplained {
                println!("| {} | {} | {} | TODO: why |", d.operation, d.kind, d.item);
            }
        }
        bail!(
            "spec-diff: {} unexplained difference(s), {} stale entr{} in {}",
            unexplained.len(),
            stale.len(),
            if stale.len() == 1 { "y" } else { "ies" },
            differences.display()
        );
    }
    Ok(())
}
