//! `cargo xtask spec-diff` on small fixture documents (`tests/fixtures/vendor/*` against
//! `tests/fixtures/valid.yaml`): every kind of difference is found and named, DIFFERENCES.md
//! explains them, and unexplained differences or stale entries fail the command.

use crate::common;

use common::{Scratch, fixture, fixture_text, outcome, xtask};
use xtask::{
    differences::Differences,
    document::Document,
    spec_diff::{self, Difference, Kind},
};

fn vendor() -> Vec<Document> {
    spec_diff::load_vendor(&fixture("vendor")).expect("vendor fixtures load")
}

fn ours(edit: impl FnOnce(String) -> String) -> (Scratch, Document) {
    let scratch = Scratch::new();
    let path = scratch.write("botpress.yaml", &edit(fixture_text("valid.yaml")));
    let doc = Document::load(&path).expect("edited fixture loads");
    (scratch, doc)
}

fn diff(operation: &str, kind: Kind, item: &str, vendor: &str, ours: &str) -> Difference {
    Difference {
        operation: operation.into(),
        kind,
        item: item.into(),
        vendor: vendor.into(),
        ours: ours.into(),
    }
}

fn differences(edit: impl FnOnce(String) -> String) -> Vec<Difference> {
    let (_scratch, doc) = ours(edit);
    let mut found = spec_diff::compare(&vendor(), &doc)
        .expect("compares")
        .differences;
    found.sort();
    found
}

#[test]
fn finds_every_difference_of_the_fixture() {
    let (_scratch, doc) = ours(|t| t);
    let cmp = spec_diff::compare(&vendor(), &doc).expect("compares");
    assert_eq!(cmp.vendor_operations, 3);
    let mut found = cmp.differences;
    found.sort();
    let mut expected = vec![
        diff(
            "getThing",
            Kind::ParameterMissing,
            "header:x-bot-id",
            "required string",
            "-",
        ),
        diff(
            "listThings",
            Kind::ParameterMissing,
            "header:x-bot-id",
            "required string",
            "-",
        ),
        diff(
            "getThing",
            Kind::ErrorResponses,
            "errors",
            "default",
            "4XX, 5XX",
        ),
        diff(
            "listThings",
            Kind::ErrorResponses,
            "errors",
            "default",
            "4XX, 5XX",
        ),
        diff(
            "findRows",
            Kind::ErrorResponses,
            "errors",
            "default",
            "4XX, 5XX",
        ),
        diff("getThing", Kind::ResponseClosed, "(root)", "closed", "open"),
        diff("getThing", Kind::ResponseClosed, "thing", "closed", "open"),
        diff(
            "listThings",
            Kind::ResponseClosed,
            "things[]",
            "closed",
            "open",
        ),
        diff(
            "getThing",
            Kind::ResponsePropertyType,
            "thing.size",
            "number",
            "integer",
        ),
        diff(
            "listThings",
            Kind::ResponsePropertyType,
            "things[].size",
            "number",
            "integer",
        ),
        diff(
            "getThing",
            Kind::NamedEnum,
            "thing.status",
            "inline",
            "ThingStatus",
        ),
        diff(
            "listThings",
            Kind::NamedEnum,
            "things[].status",
            "inline",
            "ThingStatus",
        ),
        diff(
            "listThings",
            Kind::NamedSchema,
            "query:tags",
            "inline",
            "TagsFilter",
        ),
        diff(
            "listThings",
            Kind::NamedSchema,
            "meta",
            "inline",
            "ListMeta",
        ),
    ];
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn names_method_path_parameter_body_and_response_differences() {
    let found = differences(|t| {
        let t = t.replacen(
            "  /v1/tables/{table}/rows/find:\n    post:",
            "  /v1/tables/{table}/rows/search:\n    put:",
            1,
        );
        let t = t.replacen(
            "      - name: nextToken\n        in: query\n        schema:\n          type: string\n",
            "      - name: nextToken\n        in: query\n        required: true\n        schema:\n          type: integer\n      - name: pageSize\n        in: query\n        schema:\n          type: integer\n",
            1,
        );
        let t = t.replacen(
            "                offset:\n                  type: integer\n",
            "                offset:\n                  type: string\n                extra:\n                  type: boolean\n",
            1,
        );
        let t = t.replacen("              additionalProperties: false\n              properties:\n                offset:", "              required: [limit]\n              properties:\n                offset:", 1);
        t.replacen(
            "                  hasMore:\n                    type: boolean\n",
            "",
            1,
        )
    });
    let of = |op: &str| {
        found
            .iter()
            .filter(|d| d.operation == op)
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut find_rows = of("findRows");
    find_rows.sort();
    let mut expected = vec![
        diff("findRows", Kind::Method, "method", "POST", "PUT"),
        diff(
            "findRows",
            Kind::Path,
            "path",
            "/v1/tables/{table}/rows/find",
            "/v1/tables/{table}/rows/search",
        ),
        diff(
            "findRows",
            Kind::BodyPropertyType,
            "offset",
            "integer",
            "string",
        ),
        diff("findRows", Kind::BodyPropertyExtra, "extra", "-", "boolean"),
        diff(
            "findRows",
            Kind::BodyRequired,
            "limit",
            "optional",
            "required",
        ),
        diff("findRows", Kind::BodyClosed, "(root)", "closed", "open"),
        diff(
            "findRows",
            Kind::ResponsePropertyMissing,
            "hasMore",
            "boolean",
            "-",
        ),
        diff(
            "findRows",
            Kind::ErrorResponses,
            "errors",
            "default",
            "4XX, 5XX",
        ),
    ];
    expected.sort();
    assert_eq!(find_rows, expected);
    let list: Vec<_> = of("listThings")
        .into_iter()
        .filter(|d| d.item.starts_with("query:"))
        .collect();
    assert!(
        list.contains(&diff(
            "listThings",
            Kind::ParameterRequired,
            "query:nextToken",
            "optional",
            "required"
        )),
        "{list:#?}"
    );
    assert!(
        list.contains(&diff(
            "listThings",
            Kind::ParameterType,
            "query:nextToken",
            "string",
            "integer"
        )),
        "{list:#?}"
    );
    assert!(
        list.contains(&diff(
            "listThings",
            Kind::ParameterExtra,
            "query:pageSize",
            "-",
            "optional integer"
        )),
        "{list:#?}"
    );
}

#[test]
fn missing_and_extra_operations_are_differences() {
    let found = differences(|t| {
        t.replacen(
            "      operationId: getThing\n",
            "      operationId: getOtherThing\n",
            1,
        )
    });
    assert!(found.contains(&diff(
        "getThing",
        Kind::OperationMissing,
        "getThing",
        "GET /v1/chat/things/{id}",
        "-"
    )));
    assert!(found.contains(&diff(
        "getOtherThing",
        Kind::OperationExtra,
        "getOtherThing",
        "-",
        "GET /v1/chat/things/{id}"
    )));
}

#[test]
fn the_fixture_table_explains_everything() {
    let (code, stdout, stderr) = outcome(&xtask(&[
        "spec-diff",
        "--vendor-dir",
        fixture("vendor").to_str().unwrap(),
        "--document",
        fixture("valid.yaml").to_str().unwrap(),
        "--differences",
        fixture("DIFFERENCES.md").to_str().unwrap(),
    ]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "spec-diff: 3 vendor operations compared, 14 deliberate differences, 0 unexplained"
        ),
        "{stdout}"
    );
}

fn run_with_table(table: &str) -> (Option<i32>, String, String) {
    let scratch = Scratch::new();
    let differences = scratch.write("DIFFERENCES.md", table);
    outcome(&xtask(&[
        "spec-diff",
        "--vendor-dir",
        fixture("vendor").to_str().unwrap(),
        "--document",
        fixture("valid.yaml").to_str().unwrap(),
        "--differences",
        differences.to_str().unwrap(),
    ]))
}

#[test]
fn an_unexplained_difference_fails_and_is_printed() {
    let table = fixture_text("DIFFERENCES.md").replace(
        "| getThing | response-property-type | thing.size | Whole number. |\n",
        "",
    );
    let (code, stdout, stderr) = run_with_table(&table);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "unexplained: getThing response-property-type thing.size: vendor number, ours integer"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("13 deliberate differences, 1 unexplained"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| getThing | response-property-type | thing.size | TODO: why |"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 unexplained difference(s), 0 stale entries"),
        "{stderr}"
    );
}

#[test]
fn a_stale_entry_fails_and_names_its_line() {
    let table = format!(
        "{}| getThing | parameter-extra | query:gone | Was deliberate once. |\n",
        fixture_text("DIFFERENCES.md")
    );
    let line = table.lines().count();
    let (code, stdout, stderr) = run_with_table(&table);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "DIFFERENCES.md:{line}: `getThing` parameter-extra `query:gone` matches no difference"
        )),
        "{stdout}"
    );
    assert!(
        stderr.contains("0 unexplained difference(s), 1 stale entry"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_table_or_vendor_document_is_a_clear_error() {
    let (code, _, stderr) = run_with_table("# nothing here\n");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("DIFFERENCES.md: no table with the header"),
        "{stderr}"
    );

    let (code, _, stderr) = outcome(&xtask(&[
        "spec-diff",
        "--vendor-dir",
        "/nonexistent-vendor-dir",
    ]));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("reading /nonexistent-vendor-dir/runtimeApi/openapi.json"),
        "{stderr}"
    );

    let scratch = Scratch::new();
    for name in ["runtimeApi", "filesApi", "tablesApi"] {
        scratch.write(
            &format!("{name}/openapi.json"),
            "{\"openapi\": \"3.0.0\", \"paths\": ",
        );
    }
    let (code, _, stderr) = outcome(&xtask(&[
        "spec-diff",
        "--vendor-dir",
        scratch.0.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("runtimeApi/openapi.json: not a valid YAML/JSON document"),
        "{stderr}"
    );
}

#[test]
fn the_repository_table_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/DIFFERENCES.md");
    let table = Differences::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        table
            .entries
            .iter()
            .any(|e| e.kind == Kind::OperationExtra && e.items == ["captureObservation"])
    );
}
