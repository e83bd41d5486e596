//! `cargo xtask codegen`: each authoring rule broken in a small document gives an error naming
//! the place and the rule; malformed documents give an error with the file and the location;
//! stale derived files are named by `--check`; the repository's own document passes.

use crate::common;

use std::path::Path;

use common::{Scratch, fixture, fixture_text, outcome, xtask};
use xtask::codegen;

/// Writes `valid.yaml` changed by `edit` into a scratch dir and runs `codegen --check` on it
/// (through the library); returns the error text.
fn codegen_error(edit: impl FnOnce(String) -> String) -> String {
    let scratch = Scratch::new();
    let doc = scratch.write("botpress.yaml", &edit(fixture_text("valid.yaml")));
    let err = codegen::run(&doc, true).expect_err("the broken document is rejected");
    format!("{err:#}")
}

fn replace_once(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture contains {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn the_fixture_is_valid_and_its_files_are_written_then_checked() {
    let scratch = Scratch::new();
    let doc = scratch.write("botpress.yaml", &fixture_text("valid.yaml"));

    let err = format!(
        "{:#}",
        codegen::run(&doc, true).expect_err("no derived files yet")
    );
    assert!(err.contains("OPERATIONS.md is stale"), "{err}");
    assert!(err.contains("operations.json is stale"), "{err}");

    let report = codegen::run(&doc, false).expect("valid document");
    assert_eq!(report.operations, 3);
    assert_eq!(report.changed.len(), 2);
    let report = codegen::run(&doc, true).expect("fresh files pass --check");
    assert_eq!(report.unchanged.len(), 2);

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.0.join("operations.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["counts"],
        serde_json::json!({"Runtime": 2, "Files": 0, "Tables": 1, "total": 3})
    );
    let ops = json["operations"].as_array().unwrap();
    let find = |id: &str| ops.iter().find(|o| o["operationId"] == id).unwrap().clone();
    assert_eq!(
        find("listThings"),
        serde_json::json!({"api": "Runtime", "operationId": "listThings", "method": "GET", "path": "/v1/chat/things",
                           "successStatus": 200, "pagination": "cursor", "sdkMethod": "list_things"})
    );
    assert_eq!(find("findRows")["pagination"], "offset");
    assert_eq!(find("getThing")["pagination"], serde_json::Value::Null);
    let md = std::fs::read_to_string(scratch.0.join("OPERATIONS.md")).unwrap();
    assert!(
        md.contains("| listThings | GET | `/v1/chat/things` | 200 | cursor | `list_things` |"),
        "{md}"
    );
    assert!(md.contains("| **total** | **3** | **2** |"), "{md}");

    // Only the file that changed is named.
    std::fs::write(scratch.0.join("operations.json"), "{}\n").unwrap();
    let err = format!("{:#}", codegen::run(&doc, true).unwrap_err());
    assert!(err.contains("operations.json is stale"), "{err}");
    assert!(!err.contains("OPERATIONS.md"), "{err}");
}

#[test]
fn malformed_yaml_names_the_file_and_the_location() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "      operationId: getThing\n",
            "      operationId: [getThing\n",
        )
    });
    assert!(
        err.contains("botpress.yaml: not a valid YAML/JSON document"),
        "{err}"
    );
    assert!(err.contains("line "), "{err}");
    assert!(err.contains("column "), "{err}");
}

#[test]
fn a_document_that_is_not_openapi_names_the_place() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/GetThingResponse'\n        4XX:\n          $ref: '#/components/responses/Error'\n        5XX:\n          $ref: '#/components/responses/Error'\n",
            "      responses: 5\n",
        )
    });
    assert!(
        err.contains("botpress.yaml: not a valid OpenAPI 3.0 document"),
        "{err}"
    );
    assert!(err.contains("paths./v1/chat/things/{id}.get"), "{err}");
    assert!(err.contains("line "), "{err}");
}

#[test]
fn a_default_response_is_rejected() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "        4XX:\n          $ref: '#/components/responses/Error'\n",
            "        default:\n          description: anything\n        4XX:\n          $ref: '#/components/responses/Error'\n",
        )
    });
    assert!(
        err.contains("operation listThings (GET /v1/chat/things): declares a `default` response"),
        "{err}"
    );
    assert!(err.contains("[rule no-default-response]"), "{err}");
}

#[test]
fn a_missing_operation_id_is_rejected() {
    let err = codegen_error(|t| replace_once(t, "      operationId: getThing\n", ""));
    assert!(
        err.contains(
            "operation GET /v1/chat/things/{id} (GET /v1/chat/things/{id}): has no `operationId`"
        ),
        "{err}"
    );
    assert!(err.contains("[rule operation-id]"), "{err}");
}

#[test]
fn a_duplicated_operation_id_is_rejected() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "      operationId: getThing\n",
            "      operationId: listThings\n",
        )
    });
    assert!(
        err.contains("operation listThings: `operationId: listThings` is used by 2 operations: GET /v1/chat/things, GET /v1/chat/things/{id}"),
        "{err}"
    );
}

#[test]
fn an_inline_response_enum_is_rejected() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "        status:\n          $ref: '#/components/schemas/ThingStatus'\n",
            "        status:\n          type: string\n          enum: [pending, done]\n",
        )
    });
    assert!(
        err.contains("schema Thing.status (reachable from the response of"),
        "{err}"
    );
    assert!(err.contains("is an inline string enum"), "{err}");
    assert!(err.contains("[rule named-response-enums]"), "{err}");
}

#[test]
fn a_closed_response_schema_is_rejected() {
    let err = codegen_error(|t| {
        replace_once(
            t,
            "    Thing:\n      type: object\n",
            "    Thing:\n      type: object\n      additionalProperties: false\n",
        )
    });
    assert!(
        err.contains("schema Thing (reachable from the response of"),
        "{err}"
    );
    assert!(err.contains("has `additionalProperties: false`"), "{err}");
    assert!(err.contains("[rule open-responses]"), "{err}");
    // Request bodies may stay closed (findRows' body is).
    assert_eq!(err.matches("[rule open-responses]").count(), 1, "{err}");
}

#[test]
fn missing_error_responses_and_identity_headers_are_rejected() {
    let err = codegen_error(|t| {
        let t = replace_once(
            t,
            "        5XX:\n          $ref: '#/components/responses/Error'\n  /v1/chat/things/{id}:",
            "  /v1/chat/things/{id}:",
        );
        replace_once(
            t,
            "      - name: nextToken\n",
            "      - name: X-Bot-Id\n        in: header\n        schema:\n          type: string\n      - name: nextToken\n",
        )
    });
    assert!(
        err.contains("operation listThings (GET /v1/chat/things): declares no `5XX` response"),
        "{err}"
    );
    assert!(
        err.contains("header parameter `X-Bot-Id` is an identity header"),
        "{err}"
    );
    assert!(err.contains("[rule no-identity-headers]"), "{err}");
}

#[test]
fn every_violation_is_listed_not_just_the_first() {
    let err = codegen_error(|t| {
        let t = replace_once(t, "      operationId: getThing\n", "");
        replace_once(
            t,
            "    Thing:\n      type: object\n",
            "    Thing:\n      type: object\n      additionalProperties: false\n",
        )
    });
    assert!(err.contains("breaks 2 authoring rule(s)"), "{err}");
}

#[test]
fn the_binary_exits_non_zero_and_names_the_place() {
    let scratch = Scratch::new();
    let text = replace_once(
        fixture_text("valid.yaml"),
        "      operationId: getThing\n",
        "",
    );
    let doc = scratch.write("botpress.yaml", &text);
    let (code, stdout, stderr) = outcome(&xtask(&[
        "codegen",
        "--check",
        "--document",
        doc.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("has no `operationId`"), "{stderr}");
    assert!(stderr.contains("codegen: failed after"), "{stderr}");

    let missing = scratch.0.join("absent.yaml");
    let (code, _, stderr) = outcome(&xtask(&[
        "codegen",
        "--document",
        missing.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("reading ") && stderr.contains("absent.yaml"),
        "{stderr}"
    );
}

#[test]
fn the_repository_document_is_valid_and_its_derived_files_are_fresh() {
    let document = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/botpress.yaml");
    let report = codegen::run(&document, true).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(report.changed, Vec::<std::path::PathBuf>::new());
    let _ = fixture("valid.yaml");
}
