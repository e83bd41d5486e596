//! Judge 1: every case of [`super::cases`] through the SDK, via a recording proxy, to Prism in
//! error mode serving one OpenAPI document (ours, the vendor's merged export, or a mutated
//! copy of ours).
//!
//! Per case, the request must:
//! - be one request that routes (method and path template) to the case's operation in our
//!   document and in the served one;
//! - use only query parameters the served document declares for that operation (Prism does
//!   not flag undeclared query parameters, so this is checked here: dotted `tags.k` names
//!   need an object-valued `tags`);
//! - get a 2xx from Prism with no `sl-violations` header, and its generated response must
//!   decode with the SDK.
//!
//! The listed exceptions, each checked precisely:
//! - [`DELETE_BODY`]: the official client sends `{}` with `Content-Type: application/json` on
//!   DELETE, while the documents declare no DELETE body, so Prism answers 415. The real
//!   service accepts it and the SDK follows the official client. The 415 must carry exactly
//!   that one violation, and the same request replayed without its body must pass with no
//!   violation at all (so the path, query and headers are still validated).
//! - [`UNTYPED_TIMESTAMPS`] (vendor export only): timestamps our document declares
//!   `format: date-time` and the vendor export leaves plain strings get Prism's placeholder
//!   `"string"`, which the SDK's `DateTime<Utc>` fields cannot decode. Every string the
//!   response holds there must be exactly that placeholder, and the same response with
//!   date-times in those places (and nowhere else) must decode with the SDK.
use std::{collections::BTreeSet, path::Path, time::Instant};

use botpress::Client;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::{
    cases::{self, Case, Docs},
    support::{
        examples::Spec,
        node::NodeTools,
        prism::Prism,
        recorder::{Canned, Forwarded, Recorded, Recorder},
    },
};

/// The token the judge calls with (Prism checks that a bearer token is present).
pub(super) const TOKEN: &str = "bp_pat_conformance";
/// The bot the judge calls as (`x-bot-id`, required by the documents).
pub(super) const BOT: &str = "bot_01HXYZ";

/// The listed exception, with its reason.
pub(super) const DELETE_BODY: &str = "DELETE sends `{}` (Content-Type: application/json) like the official client \
     @botpress/client 1.45.0, and the real service accepts it; the documents declare no DELETE request body, \
     so Prism answers 415 \"No supported content types, but request included a non-empty body\". Accepted only \
     when that is the only violation and the bodyless replay of the same request is clean.";

/// The listed exception of the vendor export's untyped timestamps, with its reason.
pub(super) const UNTYPED_TIMESTAMPS: &str = "timestamps of the responses (File `createdAt`/`updatedAt`/`expiresAt`, \
     KnowledgeBase `createdAt`, a row's `computed.*.updatedAt`, ...) are `format: date-time` in our document and \
     typed `DateTime<Utc>` in the SDK (the real service sends ISO 8601 date-times); the vendor export declares them \
     as plain strings, so Prism fills them with its placeholder \"string\", which is no date-time. Accepted only on \
     the vendor export, when every undecodable string sits where our document (and not the vendor export) \
     declares a date-time, each is exactly Prism's \"string\", and the same response with date-times there \
     decodes with the SDK.";

/// Prism's value for a string schema without format or example.
const PRISM_PLACEHOLDER: &str = "string";

/// The date-time the vendor judge puts in place of Prism's placeholder (Prism's own example).
const A_DATE_TIME: &str = "2019-08-24T14:15:22Z";

/// Which cases a run sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Served {
    /// Our document (or a mutated copy): every case.
    Ours,
    /// The vendor's export: the [`Docs::Both`] cases.
    Vendor,
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub(super) struct Report {
    /// One line per failed check: `opId [case]: what`.
    pub failures: Vec<String>,
    /// Operations with cases, none of which failed.
    pub covered: BTreeSet<String>,
    /// Cases that passed under the listed exception.
    pub exceptions: Vec<String>,
    /// Cases sent.
    pub cases: usize,
    /// Seconds: Prism start-up, then the cases.
    pub startup_secs: f64,
    pub cases_secs: f64,
}

/// Starts Prism on `document` and runs the cases against it.
pub(super) async fn run(tools: &NodeTools, document: &Path, served: Served, label: &str) -> Report {
    let started = Instant::now();
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("prism-{label}.log"));
    let prism = Prism::start(tools, document, &log);
    let startup_secs = started.elapsed().as_secs_f64();
    let proxy = Recorder::proxy(&prism.base_url).await;
    let client = Client::builder()
        .base_url(&proxy.base_url)
        .token(TOKEN)
        .bot_id(BOT)
        .build()
        .expect("client");
    let ours = Spec::load();
    let served_spec = Spec::from_file(document);
    let replay = botpress::tls::reqwest_builder().unwrap().build().unwrap();
    let decoder = Recorder::start().await;
    let decoder_client = Client::builder()
        .base_url(&decoder.base_url)
        .token(TOKEN)
        .bot_id(BOT)
        .build()
        .expect("client");
    let mut report = Report {
        startup_secs,
        ..Report::default()
    };
    let started = Instant::now();
    let mut failed = BTreeSet::new();
    for case in cases::all() {
        if served == Served::Vendor && case.docs != Docs::Both {
            continue;
        }
        report.cases += 1;
        let label = format!("{} [{}]", case.op, case.name);
        let sent = (case.run)(&client).await;
        let requests = proxy.take();
        let failures_before = report.failures.len();
        let [request] = requests.as_slice() else {
            report.failures.push(format!(
                "{label}: {} requests sent, expected 1",
                requests.len()
            ));
            failed.insert(case.op.to_string());
            continue;
        };
        check_route(&mut report, &label, case.op, request, &ours, &served_spec);
        check_query(&mut report, &label, case.op, request, &served_spec);
        let response = request.response.as_ref().expect("proxied");
        let violations = response.header("sl-violations");
        let bodyless_delete = request.method == "DELETE"
            && request.body.as_ref() == b"{}"
            && served_spec.request_body(case.op).is_none();
        if bodyless_delete {
            check_delete_exception(&mut report, &label, request, &prism.base_url, &replay).await;
        } else {
            if let Some(v) = violations {
                report
                    .failures
                    .push(format!("{label}: Prism reports violations: {v}"));
            }
            if !(200..300).contains(&response.status) {
                report.failures.push(format!(
                    "{label}: Prism answered {} (expected 2xx): {}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                ));
            } else if let Err(e) = &sent.result {
                let untyped = match served {
                    Served::Vendor => {
                        untyped_timestamps(
                            &case,
                            response,
                            &ours,
                            &served_spec,
                            &decoder,
                            &decoder_client,
                        )
                        .await
                    }
                    Served::Ours => None,
                };
                match untyped {
                    Some(Ok(paths)) => report.exceptions.push(format!(
                        "{label}: Prism's placeholder \"{PRISM_PLACEHOLDER}\" at the untyped timestamps {}; \
                         with date-times there the response decodes",
                        paths.join(", ")
                    )),
                    Some(Err(again)) => report.failures.push(format!(
                        "{label}: the SDK did not decode Prism's {} response: {e}\n    and with date-times \
                         at the untyped timestamps either: {again}\n    body: {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    )),
                    None => report.failures.push(format!(
                        "{label}: the SDK did not decode Prism's {} response: {e}\n    body: {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    )),
                }
            }
        }
        report.covered.insert(case.op.to_string());
        if report.failures.len() > failures_before {
            failed.insert(case.op.to_string());
        }
    }
    report.covered.retain(|op| !failed.contains(op));
    report.cases_secs = started.elapsed().as_secs_f64();
    report
}

/// The JSON pointers of `value` whose schema (in `spec`) is a `format: date-time` string.
fn date_time_paths(
    spec: &Spec,
    schema: &Value,
    value: &Value,
    at: &str,
    out: &mut BTreeSet<String>,
) {
    let schema = spec.resolve(schema);
    for key in ["allOf", "anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            date_time_paths(spec, branch, value, at, out);
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        out.insert(at.to_string());
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in map {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (
                    props.and_then(|p| p.get(k)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => date_time_paths(spec, s, v, &path, out),
                    (None, Some(extra @ Value::Object(_))) => {
                        date_time_paths(spec, extra, v, &path, out)
                    }
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (n, v) in items.iter().enumerate() {
                    date_time_paths(spec, s, v, &format!("{at}/{n}"), out);
                }
            }
        }
        _ => {}
    }
}

/// [`UNTYPED_TIMESTAMPS`]: `None` when the exception does not apply (the failure stands);
/// else the decode of Prism's response with date-times at the untyped timestamps, replayed
/// through `decoder`: `Ok(paths)` when it decodes, `Err(why)` when it still does not.
async fn untyped_timestamps(
    case: &Case,
    response: &Forwarded,
    ours: &Spec,
    served: &Spec,
    decoder: &Recorder,
    client: &Client,
) -> Option<Result<Vec<String>, String>> {
    let mut body: Value = serde_json::from_slice(&response.body).ok()?;
    let (mut typed, mut vendor) = (BTreeSet::new(), BTreeSet::new());
    date_time_paths(
        ours,
        &ours.operation(case.op).response,
        &body,
        "",
        &mut typed,
    );
    date_time_paths(
        served,
        &served.operation(case.op).response,
        &body,
        "",
        &mut vendor,
    );
    let mut patched = Vec::new();
    for path in typed.difference(&vendor) {
        let slot = body.pointer_mut(path)?;
        let Some(text) = slot.as_str() else { continue };
        if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
            continue;
        }
        if text != PRISM_PLACEHOLDER {
            return None;
        }
        *slot = Value::from(A_DATE_TIME);
        patched.push(path.clone());
    }
    if patched.is_empty() {
        return None;
    }
    decoder.push(Canned::json(response.status, &body));
    let sent = (case.run)(client).await;
    decoder.take();
    Some(sent.result.map(|_| patched))
}

fn check_route(
    report: &mut Report,
    label: &str,
    op: &str,
    request: &Recorded,
    ours: &Spec,
    served: &Spec,
) {
    for (which, spec) in [("our document", ours), ("the served document", served)] {
        match spec.route(&request.method, request.path()) {
            Some(o) if o.id == op => {}
            Some(o) => report.failures.push(format!(
                "{label}: `{}` routes to {} in {which}, expected {op}",
                request.line(),
                o.id
            )),
            None => report.failures.push(format!(
                "{label}: `{}` matches no operation of {which}",
                request.line()
            )),
        }
    }
}

/// Every query parameter sent must be declared (in the query) by the served document.
fn check_query(report: &mut Report, label: &str, op: &str, request: &Recorded, served: &Spec) {
    let declared: Vec<Value> = served
        .parameters(op)
        .into_iter()
        .filter(|p| p["in"] == "query")
        .collect();
    let mut seen = BTreeSet::new();
    for pair in request.query().split('&').filter(|p| !p.is_empty()) {
        let raw = pair.split_once('=').map_or(pair, |(k, _)| k);
        let name = percent_decode_str(raw).decode_utf8_lossy().into_owned();
        let (base, dotted) = match name.split_once('.') {
            Some((base, _)) => (base.to_string(), true),
            None => (name.clone(), false),
        };
        if !seen.insert((base.clone(), dotted)) {
            continue;
        }
        match declared.iter().find(|p| p["name"] == base.as_str()) {
            None => report.failures.push(format!(
                "{label}: query parameter `{base}` (sent as `{raw}`) is not declared by the served \
                 document for {op} (it declares: {})",
                declared
                    .iter()
                    .filter_map(|p| p["name"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(p) => {
                let schema = served.resolve(&p["schema"]);
                let object = matches!(
                    schema.get("type").and_then(Value::as_str),
                    None | Some("object")
                );
                if dotted && !object {
                    report.failures.push(format!(
                        "{label}: query parameter `{base}` is sent with dotted keys (`{raw}`) but is \
                         not object-valued in the served document"
                    ));
                }
            }
        }
    }
}

async fn check_delete_exception(
    report: &mut Report,
    label: &str,
    request: &Recorded,
    prism: &str,
    replay: &reqwest::Client,
) {
    let response = request.response.as_ref().expect("proxied");
    let violations: Value = response
        .header("sl-violations")
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or(Value::Null);
    let only_body = violations.as_array().is_some_and(|v| {
        v.len() == 1
            && v[0]["code"] == 415
            && v[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("request included a non-empty body"))
    });
    if response.status != 415 || !only_body {
        report.failures.push(format!(
            "{label}: DELETE with `{{}}`: expected exactly Prism's 415 for the body, got {} with \
             violations {violations}",
            response.status
        ));
        return;
    }
    let mut again = replay.delete(format!("{prism}{}", request.target));
    for (n, v) in &request.headers {
        if !["host", "content-type", "content-length"].contains(&n.as_str()) {
            again = again.header(n, v);
        }
    }
    match again.send().await {
        Ok(answer)
            if answer.status().is_success() && !answer.headers().contains_key("sl-violations") =>
        {
            report.exceptions.push(format!(
                "{label}: 415 for the `{{}}` body only; bodyless replay {} with no violation",
                answer.status().as_u16()
            ));
        }
        Ok(answer) => report.failures.push(format!(
            "{label}: the bodyless replay of `{}` got {} with violations {:?}",
            request.line(),
            answer.status(),
            answer.headers().get("sl-violations")
        )),
        Err(e) => report
            .failures
            .push(format!("{label}: bodyless replay failed: {e}")),
    }
}
