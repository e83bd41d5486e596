//! The row filter language of the Tables API (`findTableRows` in the `tablesApi` export of
//! `@botpress/api` 1.70.2, and the Tables docs on docs.botpress.cloud) translated into
//! parameterised SQL.
//!
//! A filter is a JSON object: column keys (user columns, dotted paths into object columns, or the
//! system columns `id`, `createdAt`, `updatedAt`) with a bare value (equality) or an object of
//! operators (`$eq $ne $gt $gte $lt $lte $in $nin $exists $size $mod $regex`+`$options`, and
//! `$not` around operators), and the logical keys `$and`, `$or` (lists of filters) and `$not` (a
//! filter). Several keys in one object are ANDed; several operators on one column too (the
//! service documents one per column, MongoDB allows several: the emulator is lenient).
//!
//! Every produced expression evaluates to 0 or 1, never NULL, so `NOT` behaves as in MongoDB
//! (`$ne` and `$nin` match rows where the column is missing). Values, column paths and patterns
//! are bound as numbered parameters; the SQL text only ever contains fixed keywords. Rows live in
//! `tbl_rows` aliased `r`, user columns in the JSON object `r.data`.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::limits::{MAX_FILTER_DEPTH, MAX_FILTER_LIST, MAX_FILTER_PARAMS, MAX_REGEX_LEN};
use super::schema::{ColType, Columns, compile_pattern, parse_date};
use crate::error::ApiError;

/// SQL text being built together with its numbered parameters (`?1`, `?2`, ...).
#[derive(Debug, Default)]
pub struct SqlBuilder {
    params: Vec<SqlValue>,
}

impl SqlBuilder {
    /// Adds a parameter and returns its placeholder.
    pub fn bind(&mut self, v: impl Into<SqlValue>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    /// The parameters, in placeholder order.
    pub fn params(&self) -> &[SqlValue] {
        &self.params
    }
}

/// The SQLite JSON path of a column and optional nested keys: `$."col"."key"`.
pub fn json_path(segments: &[&str]) -> String {
    let mut p = String::from("$");
    for s in segments {
        p.push_str(".\"");
        p.push_str(s);
        p.push('"');
    }
    p
}

/// A column addressed by a filter, `orderBy` or `select`.
#[derive(Debug, Clone)]
pub enum Target {
    /// The row id (`r.id`).
    Id,
    /// `createdAt` or `updatedAt`: the SQL column holding the timestamp.
    Time(&'static str),
    /// A user column or a path inside an object column.
    User {
        /// Column name and nested keys.
        segments: Vec<String>,
        /// The column's declared type (of the top-level column).
        ty: ColType,
        /// Dates are compared in their normalised form.
        is_date: bool,
    },
}

impl Target {
    /// Resolves a column name (dot paths allowed into object columns) against the schema;
    /// unknown columns are `InvalidQuery` naming them.
    pub fn resolve(name: &str, cols: &Columns, what: &str) -> Result<Self, ApiError> {
        match name {
            "id" => return Ok(Self::Id),
            "createdAt" => return Ok(Self::Time("created_at")),
            "updatedAt" => return Ok(Self::Time("updated_at")),
            _ => {}
        }
        let segments: Vec<&str> = name.split('.').collect();
        let col = cols
            .get(segments[0])
            .ok_or_else(|| ApiError::invalid_query(format!("{what}: unknown column \"{name}\"")))?;
        if segments.len() > 1 {
            if col.ty != ColType::Object {
                return Err(ApiError::invalid_query(format!(
                    "{what}: \"{name}\" is a path into column \"{}\", which is not an object",
                    col.name
                )));
            }
            if segments
                .iter()
                .any(|s| s.is_empty() || s.contains('"') || s.chars().any(char::is_control))
            {
                return Err(ApiError::invalid_query(format!(
                    "{what}: invalid column path \"{name}\""
                )));
            }
        }
        Ok(Self::User {
            segments: segments.iter().map(|s| s.to_string()).collect(),
            ty: col.ty,
            is_date: col.is_date && segments.len() == 1,
        })
    }

    /// The JSON path of a user column target.
    pub fn path(&self) -> Option<String> {
        match self {
            Self::User { segments, .. } => Some(json_path(
                &segments.iter().map(String::as_str).collect::<Vec<_>>(),
            )),
            _ => None,
        }
    }

    /// An SQL expression for the value (for ordering and aggregation).
    pub fn value_sql(&self, b: &mut SqlBuilder) -> String {
        match self {
            Self::Id => "r.id".into(),
            Self::Time(col) => format!("r.{col}"),
            Self::User { .. } => format!(
                "json_extract(r.data, {})",
                b.bind(self.path().unwrap_or_default())
            ),
        }
    }
}

/// Translates a filter into an SQL boolean expression over `r` (0 or 1, never NULL).
pub fn compile(
    filter: &Map<String, Value>,
    cols: &Columns,
    b: &mut SqlBuilder,
) -> Result<String, ApiError> {
    let sql = compile_filter(filter, cols, b, 1)?;
    if b.params.len() > MAX_FILTER_PARAMS {
        return Err(ApiError::invalid_query(format!(
            "filter: too large (more than {MAX_FILTER_PARAMS} values)"
        )));
    }
    Ok(sql)
}

/// Translates a filter like [`compile`], narrowed through the value index of rows when the
/// filter allows it. Conditions every matching row must meet (top-level column keys, or keys
/// inside top-level `$and`s) that compare a column with numbers or strings (`$eq`, bare values,
/// `$in`, `$gt` `$gte` `$lt` `$lte`) are looked up in the index: the most selective one
/// (equality, then lists, then ranges) lists the candidate rows, and a few others are probed per
/// candidate, giving `r.id IN (<candidates>) AND (<the exact filter>)`. The index yields a
/// superset of the rows meeting each condition (texts are indexed by their byte prefix, so bounds are
/// compared on prefixes, inclusively), and every candidate is still checked by the exact
/// expression: results are those of [`compile`]. `table_id` is the placeholder of the table's id.
pub fn compile_indexed(
    filter: &Map<String, Value>,
    cols: &Columns,
    b: &mut SqlBuilder,
    table_id: &str,
) -> Result<String, ApiError> {
    let cond = compile(filter, cols, b)?;
    let mut found = Vec::new();
    index_conds(filter, cols, &mut |c| found.push(c));
    // Stable: among equally narrow conditions, the filter's order.
    found.sort_by_key(|c| c.rank);
    let mut found = found.into_iter();
    let Some(driver) = found.next() else {
        return Ok(cond);
    };
    let mut sql = format!(
        "r.id IN (SELECT v.row_id FROM tbl_values v WHERE {}",
        driver.sql("v", table_id, b)
    );
    for probe in found.take(MAX_INDEX_PROBES) {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM tbl_values w WHERE w.row_id = v.row_id AND {})",
            probe.sql("w", table_id, b)
        ));
    }
    Ok(format!("{sql}) AND ({cond})"))
}

/// Index conditions checked per candidate row besides the one listing the candidates.
const MAX_INDEX_PROBES: usize = 3;

/// How narrow an index condition is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Narrowness {
    /// One value.
    Equal,
    /// A list of values.
    List,
    /// A range.
    Range,
}

/// Conditions on the indexed values of one top-level column, all implied by the filter.
struct IndexCond {
    rank: Narrowness,
    column: String,
    /// `(operator, operands)`: `=`, `>=`, `<=` with one operand, `IN` with several.
    conds: Vec<(&'static str, Vec<SqlValue>)>,
}

impl IndexCond {
    /// The condition on the index entries aliased `alias`, its values bound.
    fn sql(self, alias: &str, table_id: &str, b: &mut SqlBuilder) -> String {
        let mut sql = format!(
            "{alias}.table_id = {table_id} AND {alias}.col = {}",
            b.bind(self.column)
        );
        for (op, values) in self.conds {
            let values: Vec<String> = values.into_iter().map(|v| b.bind(v)).collect();
            match op {
                "IN" => sql.push_str(&format!(" AND {alias}.val IN ({})", values.join(", "))),
                op => sql.push_str(&format!(" AND {alias}.val {op} {}", values.join(""))),
            }
        }
        sql
    }
}

/// The value a number or a string operand has in the value index (texts: their byte prefix, dates
/// normalised as the exact expression compares them); `None` for other values.
fn index_value(target: &Target, v: &Value) -> Option<SqlValue> {
    match v {
        Value::Number(n) => Some(num_value(n)),
        Value::String(s) => Some(SqlValue::Blob(super::store::index_text(&text_operand(
            target, s,
        )))),
        _ => None,
    }
}

/// Calls `found` with every index condition that all rows matching `filter` meet.
fn index_conds(filter: &Map<String, Value>, cols: &Columns, found: &mut impl FnMut(IndexCond)) {
    for (key, value) in filter {
        if key == "$and" {
            for sub in value.as_array().into_iter().flatten() {
                if let Some(sub) = sub.as_object() {
                    index_conds(sub, cols, found);
                }
            }
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        let Ok(target @ Target::User { .. }) = Target::resolve(key, cols, "filter") else {
            continue;
        };
        if key.contains('.') {
            continue;
        }
        let mut cond = IndexCond {
            rank: Narrowness::Range,
            column: key.clone(),
            conds: Vec::new(),
        };
        let mut add = |rank: Narrowness, op: &'static str, values: Vec<SqlValue>| {
            cond.rank = cond.rank.min(rank);
            cond.conds.push((op, values));
        };
        match value {
            Value::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => {
                for (op, arg) in ops {
                    let one = || index_value(&target, arg).map(|v| vec![v]);
                    match op.as_str() {
                        "$eq" => one().map(|v| add(Narrowness::Equal, "=", v)),
                        "$gt" | "$gte" => one().map(|v| add(Narrowness::Range, ">=", v)),
                        "$lt" | "$lte" => one().map(|v| add(Narrowness::Range, "<=", v)),
                        "$in" => arg
                            .as_array()
                            .filter(|l| !l.is_empty())
                            .and_then(|l| l.iter().map(|v| index_value(&target, v)).collect())
                            .map(|v| add(Narrowness::List, "IN", v)),
                        _ => None,
                    };
                }
            }
            bare => {
                if let Some(v) = index_value(&target, bare) {
                    add(Narrowness::Equal, "=", vec![v]);
                }
            }
        }
        if !cond.conds.is_empty() {
            found(cond);
        }
    }
}

fn q(msg: impl Into<String>) -> ApiError {
    ApiError::invalid_query(format!("filter: {}", msg.into()))
}

fn check_depth(depth: usize) -> Result<(), ApiError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(q(format!("nesting deeper than {MAX_FILTER_DEPTH} levels")));
    }
    Ok(())
}

fn compile_filter(
    filter: &Map<String, Value>,
    cols: &Columns,
    b: &mut SqlBuilder,
    depth: usize,
) -> Result<String, ApiError> {
    check_depth(depth)?;
    let mut parts = Vec::with_capacity(filter.len());
    for (key, value) in filter {
        let part = match key.as_str() {
            "$and" | "$or" => {
                let list = value
                    .as_array()
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| q(format!("{key} expects a non-empty array of filters")))?;
                if list.len() > MAX_FILTER_LIST {
                    return Err(q(format!(
                        "{key} accepts at most {MAX_FILTER_LIST} filters"
                    )));
                }
                let subs = list
                    .iter()
                    .map(|f| {
                        let f = f
                            .as_object()
                            .ok_or_else(|| q(format!("{key} expects filters (objects)")))?;
                        compile_filter(f, cols, b, depth + 1)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                join(&subs, if key == "$and" { "AND" } else { "OR" })
            }
            "$not" => {
                let f = value
                    .as_object()
                    .ok_or_else(|| q("$not expects a filter (object)"))?;
                format!("NOT ({})", compile_filter(f, cols, b, depth + 1)?)
            }
            k if k.starts_with('$') => return Err(q(format!("unknown operator \"{k}\""))),
            column => {
                let target = Target::resolve(column, cols, "filter")?;
                column_filter(&target, value, b, depth)?
            }
        };
        parts.push(part);
    }
    Ok(if parts.is_empty() {
        "1".into()
    } else {
        join(&parts, "AND")
    })
}

/// Joins expressions as a balanced tree, so long lists stay far below SQLite's expression depth.
fn join(parts: &[String], op: &str) -> String {
    match parts {
        [] => {
            if op == "AND" {
                "1".into()
            } else {
                "0".into()
            }
        }
        [one] => one.clone(),
        _ => {
            let (l, r) = parts.split_at(parts.len() / 2);
            format!("({}) {op} ({})", join(l, op), join(r, op))
        }
    }
}

/// SQL pieces to read a target: its value and (for user columns) its JSON type.
struct Operand<'a> {
    target: &'a Target,
    /// The value: `json_extract(r.data, ?p)` or a system column.
    val: String,
    /// The JSON type: `json_type(r.data, ?p)` (user columns only).
    ty: String,
    /// The placeholder of the JSON path (user columns only).
    path: String,
}

impl<'a> Operand<'a> {
    fn new(target: &'a Target, b: &mut SqlBuilder) -> Self {
        match target {
            Target::User { .. } => {
                let p = b.bind(target.path().unwrap_or_default());
                Operand {
                    target,
                    val: format!("json_extract(r.data, {p})"),
                    ty: format!("json_type(r.data, {p})"),
                    path: p,
                }
            }
            _ => Operand {
                target,
                val: target.value_sql(b),
                ty: String::new(),
                path: String::new(),
            },
        }
    }

    fn is_user(&self) -> bool {
        matches!(self.target, Target::User { .. })
    }

    /// A string operand, normalised when the target holds dates.
    fn text(&self, s: &str) -> String {
        text_operand(self.target, s)
    }
}

/// A string operand of `target`, normalised when the target holds dates.
fn text_operand(target: &Target, s: &str) -> String {
    let date = matches!(target, Target::Time(_) | Target::User { is_date: true, .. });
    if date {
        parse_date(s).unwrap_or_else(|| s.to_string())
    } else {
        s.to_string()
    }
}

fn num_value(n: &serde_json::Number) -> SqlValue {
    match n.as_i64() {
        Some(i) => SqlValue::Integer(i),
        None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
    }
}

fn column_filter(
    target: &Target,
    value: &Value,
    b: &mut SqlBuilder,
    depth: usize,
) -> Result<String, ApiError> {
    let ops = match value {
        Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('$')) => m,
        Value::Object(m) if m.keys().any(|k| k.starts_with('$')) => {
            return Err(q("an operator object may not mix operators and plain keys"));
        }
        _ => {
            let o = Operand::new(target, b);
            return eq(&o, value, b);
        }
    };
    if ops.contains_key("$options") && !ops.contains_key("$regex") {
        return Err(q("$options is only valid with $regex"));
    }
    let o = Operand::new(target, b);
    let mut parts = Vec::with_capacity(ops.len());
    for (op, arg) in ops {
        let part = match op.as_str() {
            "$eq" => eq(&o, arg, b)?,
            "$ne" => format!("NOT ({})", eq(&o, arg, b)?),
            "$gt" => cmp(&o, ">", op, arg, b)?,
            "$gte" => cmp(&o, ">=", op, arg, b)?,
            "$lt" => cmp(&o, "<", op, arg, b)?,
            "$lte" => cmp(&o, "<=", op, arg, b)?,
            "$in" => in_list(&o, op, arg, b)?,
            "$nin" => format!("NOT ({})", in_list(&o, op, arg, b)?),
            "$exists" => exists(&o, arg)?,
            "$size" => size(&o, arg, b)?,
            "$mod" => modulo(&o, arg, b)?,
            "$regex" => regex(&o, arg, ops.get("$options"), b)?,
            "$options" => continue,
            "$not" => {
                check_depth(depth + 1)?;
                format!("NOT ({})", column_filter(target, arg, b, depth + 1)?)
            }
            other => return Err(q(format!("unknown operator \"{other}\""))),
        };
        parts.push(part);
    }
    Ok(join(&parts, "AND"))
}

fn eq(o: &Operand<'_>, v: &Value, b: &mut SqlBuilder) -> Result<String, ApiError> {
    let (val, ty) = (&o.val, &o.ty);
    Ok(match (o.target, v) {
        (Target::Id, Value::Number(n)) => format!("{val} = {}", b.bind(num_value(n))),
        (Target::Time(_), Value::String(s)) => format!("{val} = {}", b.bind(o.text(s))),
        (Target::Id | Target::Time(_), _) => "0".into(),
        (_, Value::Null) => format!("COALESCE({ty}, 'null') = 'null'"),
        (_, Value::Bool(true)) => format!("COALESCE({ty} = 'true', 0)"),
        (_, Value::Bool(false)) => format!("COALESCE({ty} = 'false', 0)"),
        (_, Value::Number(n)) => format!(
            "COALESCE({ty} IN ('integer', 'real') AND {val} = {}, 0)",
            b.bind(num_value(n))
        ),
        (_, Value::String(s)) => format!(
            "COALESCE({ty} = 'text' AND {val} = {}, 0)",
            b.bind(o.text(s))
        ),
        (_, Value::Array(_)) => format!(
            "COALESCE({ty} = 'array' AND {val} = json({}), 0)",
            b.bind(v.to_string())
        ),
        (_, Value::Object(_)) => format!(
            "COALESCE({ty} = 'object' AND {val} = json({}), 0)",
            b.bind(v.to_string())
        ),
    })
}

fn cmp(
    o: &Operand<'_>,
    sql_op: &str,
    op: &str,
    v: &Value,
    b: &mut SqlBuilder,
) -> Result<String, ApiError> {
    let (val, ty) = (&o.val, &o.ty);
    Ok(match (o.target, v) {
        (Target::Id, Value::Number(n)) => format!("{val} {sql_op} {}", b.bind(num_value(n))),
        (Target::Time(_), Value::String(s)) => format!("{val} {sql_op} {}", b.bind(o.text(s))),
        (Target::Id | Target::Time(_), Value::Number(_) | Value::String(_)) => "0".into(),
        (_, Value::Number(n)) => {
            format!(
                "COALESCE({ty} IN ('integer', 'real') AND {val} {sql_op} {}, 0)",
                b.bind(num_value(n))
            )
        }
        (_, Value::String(s)) => format!(
            "COALESCE({ty} = 'text' AND {val} {sql_op} {}, 0)",
            b.bind(o.text(s))
        ),
        _ => return Err(q(format!("{op} expects a number or a string"))),
    })
}

fn in_list(o: &Operand<'_>, op: &str, v: &Value, b: &mut SqlBuilder) -> Result<String, ApiError> {
    let list = v
        .as_array()
        .ok_or_else(|| q(format!("{op} expects an array")))?;
    if list.len() > MAX_FILTER_LIST {
        return Err(q(format!(
            "{op} accepts at most {MAX_FILTER_LIST} values, got {}",
            list.len()
        )));
    }
    let (val, ty) = (&o.val, &o.ty);
    let mut nums = Vec::new();
    let mut strs = Vec::new();
    let mut parts = Vec::new();
    for item in list {
        match item {
            Value::Number(n) => nums.push(b.bind(num_value(n))),
            Value::String(s) => strs.push(b.bind(o.text(s))),
            other => parts.push(eq(o, other, b)?),
        }
    }
    let in_sql = |l: &[String]| l.join(", ");
    match o.target {
        Target::Id if !nums.is_empty() => parts.push(format!("{val} IN ({})", in_sql(&nums))),
        Target::Time(_) if !strs.is_empty() => parts.push(format!("{val} IN ({})", in_sql(&strs))),
        Target::User { .. } => {
            if !nums.is_empty() {
                parts.push(format!(
                    "COALESCE({ty} IN ('integer', 'real') AND {val} IN ({}), 0)",
                    in_sql(&nums)
                ));
            }
            if !strs.is_empty() {
                parts.push(format!(
                    "COALESCE({ty} = 'text' AND {val} IN ({}), 0)",
                    in_sql(&strs)
                ));
            }
        }
        _ => {}
    }
    Ok(join(&parts, "OR"))
}

fn exists(o: &Operand<'_>, v: &Value) -> Result<String, ApiError> {
    let want = v.as_bool().ok_or_else(|| q("$exists expects a boolean"))?;
    // A column "exists" in a row when it holds a non-null value (the service stores columns,
    // where absent and null are the same).
    Ok(match (o.is_user(), want) {
        (false, w) => {
            if w {
                "1".into()
            } else {
                "0".into()
            }
        }
        (true, true) => format!("COALESCE({}, 'null') <> 'null'", o.ty),
        (true, false) => format!("COALESCE({}, 'null') = 'null'", o.ty),
    })
}

fn size(o: &Operand<'_>, v: &Value, b: &mut SqlBuilder) -> Result<String, ApiError> {
    let n = v
        .as_u64()
        .ok_or_else(|| q("$size expects a non-negative integer"))?;
    if !o.is_user() {
        return Ok("0".into());
    }
    let n = b.bind(n as i64);
    // SQLite may evaluate both sides of AND: the length is taken with a path (0 for non-arrays),
    // never from an extracted value that may not be JSON.
    Ok(format!(
        "COALESCE({} = 'array' AND json_array_length(r.data, {}) = {n}, 0)",
        o.ty, o.path
    ))
}

fn modulo(o: &Operand<'_>, v: &Value, b: &mut SqlBuilder) -> Result<String, ApiError> {
    let pair = v.as_array().filter(|a| a.len() == 2);
    let (d, r) = pair
        .and_then(|a| Some((a[0].as_i64()?, a[1].as_i64()?)))
        .ok_or_else(|| q("$mod expects [divisor, remainder] (two integers)"))?;
    if d == 0 {
        return Err(q("$mod divisor may not be 0"));
    }
    let (d, r) = (b.bind(d), b.bind(r));
    Ok(match o.target {
        Target::Id => format!("({} % {d}) = {r}", o.val),
        Target::Time(_) => "0".into(),
        Target::User { .. } => {
            format!(
                "COALESCE({ty} IN ('integer', 'real') AND (CAST({val} AS INTEGER) % {d}) = {r}, 0)",
                ty = o.ty,
                val = o.val
            )
        }
    })
}

fn regex(
    o: &Operand<'_>,
    v: &Value,
    options: Option<&Value>,
    b: &mut SqlBuilder,
) -> Result<String, ApiError> {
    let pattern = v.as_str().ok_or_else(|| q("$regex expects a string"))?;
    if pattern.chars().count() > MAX_REGEX_LEN {
        return Err(q(format!(
            "$regex is longer than {MAX_REGEX_LEN} characters"
        )));
    }
    let options = match options {
        None => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(q("$options expects a string")),
    };
    let mut flags = String::new();
    for c in options.chars() {
        match c {
            // `c`: case-sensitive, the default.
            'c' => {}
            'i' | 'm' | 's' | 'x' => flags.push(c),
            other => {
                return Err(q(format!(
                    "$options: unknown option \"{other}\" (use i or c)"
                )));
            }
        }
    }
    let full = if flags.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{flags}){pattern}")
    };
    compile_pattern(&full).map_err(|e| q(format!("invalid $regex: {e}")))?;
    let p = b.bind(full);
    Ok(match o.target {
        Target::User { .. } => format!(
            "COALESCE({} = 'text' AND bp_regex({p}, {}), 0)",
            o.ty, o.val
        ),
        _ => format!("bp_regex({p}, CAST({} AS TEXT))", o.val),
    })
}

/// Registers the SQL functions filters and search rely on: `bp_regex(pattern, value)` (the
/// `regex` crate, linear time, compiled once per statement) and `bp_search(search, columns,
/// data)` (the similarity of a row to a search text).
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("bp_regex", 2, flags, |ctx| {
        let re = ctx.get_or_create_aux(0, |v| -> Result<regex::Regex, BoxError> {
            Ok(compile_pattern(v.as_str()?)?)
        })?;
        Ok(match ctx.get_raw(1) {
            rusqlite::types::ValueRef::Text(t) => re.is_match(&String::from_utf8_lossy(t)),
            _ => false,
        })
    })?;
    conn.create_scalar_function("bp_search", 3, flags, |ctx| {
        let search = ctx.get_or_create_aux(0, |v| -> Result<String, BoxError> {
            Ok(v.as_str()?.to_lowercase())
        })?;
        let columns = ctx.get_or_create_aux(1, |v| -> Result<Vec<String>, BoxError> {
            Ok(serde_json::from_str(v.as_str()?)?)
        })?;
        let data: Map<String, Value> = match ctx.get_raw(2) {
            rusqlite::types::ValueRef::Text(t) => serde_json::from_slice(t).unwrap_or_default(),
            _ => Map::new(),
        };
        let texts: Vec<String> = columns
            .iter()
            .filter_map(|c| data.get(c).and_then(Value::as_str))
            .map(str::to_lowercase)
            .collect();
        Ok(similarity(&search, &texts))
    })
}

/// The emulator's stand-in for semantic similarity: 1 when a searched column contains the whole
/// search text, else 0.9 × the share of the search's words found, 0 for no match.
pub fn similarity(search: &str, texts: &[String]) -> f64 {
    if search.is_empty() {
        return 0.0;
    }
    if texts.iter().any(|t| t.contains(search)) {
        return 1.0;
    }
    let words: Vec<&str> = search.split_whitespace().collect();
    if words.is_empty() {
        return 0.0;
    }
    let found = words
        .iter()
        .filter(|w| texts.iter().any(|t| t.contains(*w)))
        .count();
    0.9 * found as f64 / words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cols() -> Columns {
        let schema = super::super::schema::normalize(
            json!({"name": {"type": "string"}, "attrs": {"type": "object"}, "n": {"type": "number"}})
                .as_object()
                .unwrap(),
            None,
        )
        .unwrap();
        Columns::from_schema(&schema)
    }

    fn compile_json(f: Value) -> Result<(String, usize), ApiError> {
        let mut b = SqlBuilder::default();
        let sql = compile(f.as_object().unwrap(), &cols(), &mut b)?;
        Ok((sql, b.params().len()))
    }

    #[test]
    fn user_strings_never_reach_the_sql_text() {
        let evil = "x'); DROP TABLE tbl_rows; --";
        let (sql, n) = compile_json(json!({"name": evil, "attrs.k": {"$regex": "'; DROP TABLE tbl_rows; --"}, "$or": [{"n": {"$in": [1, evil]}}]})).unwrap();
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(!sql.contains(evil));
        assert_eq!(n, 7);
    }

    #[test]
    fn long_lists_are_balanced() {
        let list: Vec<Value> = (0..1000).map(|i| json!({"n": i})).collect();
        let (sql, _) = compile_json(json!({"$or": list})).unwrap();
        let max_depth = sql.chars().fold((0i32, 0i32), |(d, m), c| match c {
            '(' => (d + 1, m.max(d + 1)),
            ')' => (d - 1, m),
            _ => (d, m),
        });
        assert!(max_depth.1 < 40, "depth {}", max_depth.1);
    }

    #[test]
    fn errors_name_the_problem() {
        for (f, needle) in [
            (json!({"nope": 1}), "unknown column \"nope\""),
            (json!({"name": {"$foo": 1}}), "unknown operator \"$foo\""),
            (json!({"$xor": []}), "unknown operator \"$xor\""),
            (json!({"n.x": 1}), "not an object"),
            (json!({"name": {"$options": "i"}}), "$options is only valid"),
            (
                json!({"name": {"$regex": "(", "$options": "i"}}),
                "invalid $regex",
            ),
            (
                json!({"name": {"$regex": "a", "$options": "q"}}),
                "unknown option",
            ),
            (json!({"n": {"$mod": [0, 1]}}), "divisor may not be 0"),
            (json!({"n": {"$in": 3}}), "$in expects an array"),
            (
                json!({"n": {"$gt": [1]}}),
                "$gt expects a number or a string",
            ),
            (json!({"$and": []}), "non-empty array"),
            (json!({"name": {"$eq": 1, "x": 2}}), "may not mix"),
        ] {
            let e = compile_json(f).unwrap_err();
            assert_eq!(e.error_type, "InvalidQuery");
            assert!(
                e.message.contains(needle),
                "{} should contain {needle}",
                e.message
            );
        }
    }

    #[test]
    fn similarity_scores() {
        let t = vec!["the quick brown fox".to_string()];
        assert_eq!(similarity("quick brown", &t), 1.0);
        assert!((similarity("quick cat", &t) - 0.45).abs() < 1e-9);
        assert_eq!(similarity("zebra", &t), 0.0);
    }
}
