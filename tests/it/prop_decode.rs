//! Property tests of the response decoders: every generated response type (one per
//! operation of the document) and every open enum of `botpress::types`.
//!
//! - Arbitrary JSON, and the document's own example of a response with random subtrees
//!   replaced by arbitrary JSON, never panic a decoder (`serde_json::from_value`): it decodes
//!   or returns an error.
//! - A response with arbitrary extra fields in every closed object and an arbitrary string in
//!   every enum position decodes, and re-encodes to the same document without the extra
//!   fields (unknown enum values survive as `Unknown(String)`).
//! - Every open enum decodes any string, known or not, and gives it back unchanged.
//!
//! Coverage: a test fails if the generated code has a `…Response` type or an open enum that
//! the tables here do not list, or if an operation has no decoder.

use crate::support;

use std::collections::BTreeSet;

use botpress::types;
use proptest::prelude::*;
use serde_json::{Map, Value};
use support::examples::{Mode, Spec};

/// Decodes `value` as the named type; `Ok` carries the type re-encoded as JSON.
type Decoder = fn(Value) -> Result<Value, serde_json::Error>;

macro_rules! decoders {
    ($($name:ident),* $(,)?) => {
        /// Every generated response type, by name, with its decoder.
        const RESPONSES: &[(&str, Decoder)] = &[
            $((stringify!($name), |v| {
                let decoded: types::$name = serde_json::from_value(v)?;
                serde_json::to_value(decoded)
            }),)*
        ];
    };
}

decoders!(
    AddParticipantResponse,
    CallActionResponse,
    CancelScheduledEventResponse,
    CaptureObservationResponse,
    ConfigureIntegrationResponse,
    CopyFileResponse,
    CreateConversationResponse,
    CreateEventResponse,
    CreateKnowledgeBaseResponse,
    CreateMessageResponse,
    CreateTableResponse,
    CreateTableRowsResponse,
    CreateTaskResponse,
    CreateUserResponse,
    CreateWorkflowResponse,
    DeleteConversationResponse,
    DeleteFileResponse,
    DeleteKnowledgeBaseResponse,
    DeleteMessageResponse,
    DeleteTableResponse,
    DeleteTableRowsResponse,
    DeleteTaskResponse,
    DeleteUserResponse,
    DeleteWorkflowResponse,
    DuplicateTableResponse,
    ExportTableResponse,
    FindTableRowsResponse,
    GetConversationResponse,
    GetEventResponse,
    GetFileResponse,
    GetMessageResponse,
    GetOrCreateConversationResponse,
    GetOrCreateMessageResponse,
    GetOrCreateTableResponse,
    GetOrCreateUserResponse,
    GetOrCreateWorkflowResponse,
    GetOrSetStateResponse,
    GetParticipantResponse,
    GetStateResponse,
    GetTableJobsResponse,
    GetTableResponse,
    GetTableRowResponse,
    GetTaskResponse,
    GetUserResponse,
    GetWorkflowResponse,
    ImportMessagesResponse,
    ImportTableResponse,
    InitializeIncomingMessageResponse,
    ListConversationsResponse,
    ListEventsResponse,
    ListFilePassagesResponse,
    ListFileTagValuesResponse,
    ListFileTagsResponse,
    ListFilesResponse,
    ListKnowledgeBasesResponse,
    ListMessagesResponse,
    ListParticipantsResponse,
    ListTablesResponse,
    ListTagValuesResponse,
    ListTasksResponse,
    ListUsersResponse,
    ListWorkflowsResponse,
    PatchStateResponse,
    RemoveParticipantResponse,
    RenameTableColumnResponse,
    SearchFilesResponse,
    SetFilePassagesResponse,
    SetStateExpiryResponse,
    SetStateResponse,
    TrackAnalyticsResponse,
    UpdateConversationResponse,
    UpdateFileMetadataResponse,
    UpdateKnowledgeBaseResponse,
    UpdateMessageResponse,
    UpdateTableResponse,
    UpdateTableRowsResponse,
    UpdateTaskResponse,
    UpdateUserResponse,
    UpdateWorkflowResponse,
    UpsertFileResponse,
    UpsertTableRowsResponse,
);

/// Decodes a string as an open enum and gives back (its wire form, whether it is `Unknown`).
type EnumDecoder = fn(&str) -> (String, bool, String);

macro_rules! enums {
    ($($name:ident),* $(,)?) => {
        /// Every open enum, by name: decodes a JSON string, returns the decoded value's
        /// `as_str()`, whether it is `Unknown`, and its JSON re-encoding.
        const ENUMS: &[(&str, EnumDecoder)] = &[
            $((stringify!($name), |s| {
                let decoded: types::$name =
                    serde_json::from_value(Value::String(s.to_string())).expect("any string decodes");
                let unknown = matches!(decoded, types::$name::Unknown(_));
                let known = types::$name::KNOWN.iter().any(|k| k.as_str() == s);
                assert_eq!(unknown, !known, "{}: {s:?} known={known}", stringify!($name));
                let json = serde_json::to_value(&decoded).expect("encodes");
                (decoded.as_str().to_string(), unknown, json.as_str().expect("a string").to_string())
            }),)*
        ];
    };
}

enums!(
    ColumnSchemaFormat,
    ColumnSchemaType,
    ColumnType,
    ComputedColumnAction,
    ConfigureIntegrationBodyScheduleRegisterCall,
    EventStatus,
    ExportTableFormat,
    FileAccessPolicy,
    FileIndexingStack,
    FileOwnerType,
    FileStatus,
    GetOrCreateWorkflowBodyDiscriminateByStatusGroup,
    ListFilesSortField,
    ListTagValuesType,
    MessageDirection,
    MessageOrigin,
    PassageContextType,
    PassageSubtype,
    PassageType,
    SortDirection,
    SortField,
    StateType,
    TableJobStatus,
    TableJobType,
    TableSchemaType,
    TaskStatus,
    UpsertFileBodyIndexingConfigurationParsingMode,
    UpsertFileBodyIndexingConfigurationStack,
    UpsertFileBodyIndexingConfigurationSummarizationModelType,
    WorkflowStatus,
);

/// The generated client's source (the build script's output).
fn generated_source() -> String {
    include_str!(concat!(env!("OUT_DIR"), "/botpress_api.rs")).to_string()
}

/// Names following `pub struct ` / `pub enum ` in `source`.
fn declared(source: &str, keyword: &str) -> BTreeSet<String> {
    source
        .split(keyword)
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .collect()
}

#[test]
fn tables_cover_every_generated_response_type_and_open_enum() {
    let source = generated_source();
    let responses: BTreeSet<String> = declared(&source, "pub struct ")
        .into_iter()
        .filter(|n| n.ends_with("Response"))
        .collect();
    let listed: BTreeSet<String> = RESPONSES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(listed, responses, "response types listed here vs generated");

    // The open enums are the ones in `mod enums` (before `mod types`).
    let enums_part = source
        .split("pub mod types")
        .next()
        .expect("a `mod types` in the generated code");
    let open: BTreeSet<String> = declared(enums_part, "pub enum ");
    let listed: BTreeSet<String> = ENUMS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(listed, open, "open enums listed here vs generated");
}

fn pascal(operation_id: &str) -> String {
    let mut chars = operation_id.chars();
    let first = chars.next().expect("non-empty id").to_ascii_uppercase();
    std::iter::once(first).chain(chars).collect()
}

/// Every operation of the document with its synthesised response and decoder.
fn cases() -> Vec<(String, Value, Value, Decoder)> {
    let spec = Spec::load();
    spec.operations()
        .into_iter()
        .map(|op| {
            let name = format!("{}Response", pascal(&op.id));
            let decoder = RESPONSES
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("operation {} has no decoder {name}", op.id))
                .1;
            let future = spec.example(
                &op.response,
                Mode {
                    unknown_fields: true,
                    unknown_enum_values: true,
                },
            );
            let plain = spec.example(
                &op.response,
                Mode {
                    unknown_fields: false,
                    unknown_enum_values: true,
                },
            );
            (op.id, future, plain, decoder)
        })
        .collect()
}

thread_local! {
    static CASES: Vec<(String, Value, Value, Decoder)> = cases();
}

/// Arbitrary JSON, a few levels deep.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-zA-Z]{0,10}".prop_map(Value::String),
        Just(Value::String("2026-01-01T00:00:00.000Z".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{0,10}|id|meta|type|tags", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// JSON pointers of every node of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                pointers(v, p, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Renames every `someFutureField` key to `name` (with `value`) and every
/// `someFutureValue` enum string to `enum_value`.
fn customise(value: &mut Value, name: &str, extra: &Value, enum_value: &str) {
    match value {
        Value::Object(m) => {
            if m.remove("someFutureField").is_some() {
                m.insert(name.to_string(), extra.clone());
            }
            for v in m.values_mut() {
                customise(v, name, extra, enum_value);
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|v| customise(v, name, extra, enum_value)),
        Value::String(s) if s == "someFutureValue" => *s = enum_value.to_string(),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics_a_decoder(value in arb_json()) {
        for (_, decode) in RESPONSES {
            // Ok or Err are both fine; a panic fails the test.
            let _ = decode(value.clone());
        }
    }

    #[test]
    fn mutated_examples_never_panic_a_decoder(
        picks in prop::collection::vec((any::<prop::sample::Index>(), arb_json()), 1..4)
    ) {
        CASES.with(|cases| {
            for (_, _, plain, decode) in cases {
                let mut value = plain.clone();
                for (index, replacement) in &picks {
                    let mut all = Vec::new();
                    pointers(&value, String::new(), &mut all);
                    let pointer = index.get(&all).clone();
                    if pointer.is_empty() {
                        value = replacement.clone();
                    } else if let Some(node) = value.pointer_mut(&pointer) {
                        *node = replacement.clone();
                    }
                }
                let _ = decode(value);
            }
        });
    }

    #[test]
    fn unknown_fields_and_enum_values_decode(
        field in "[a-z][a-zA-Z0-9_-]{0,15}",
        extra in arb_json(),
        enum_value in any::<String>(),
    ) {
        // A `-` keeps the field name out of the document's camelCase names.
        let field = format!("x-{field}");
        CASES.with(|cases| {
            for (id, future, plain, decode) in cases {
                let mut wire = future.clone();
                customise(&mut wire, &field, &extra, &enum_value);
                let mut expected = plain.clone();
                customise(&mut expected, &field, &extra, &enum_value);
                let decoded = decode(wire.clone())
                    .unwrap_or_else(|e| panic!("{id}: {e}\n{wire:#}"));
                assert_eq!(decoded, expected, "{id}: decoded response");
            }
        });
    }

    #[test]
    fn open_enums_decode_any_string(value in any::<String>()) {
        for (name, decode) in ENUMS {
            let (as_str, _, json) = decode(&value);
            prop_assert_eq!(&as_str, &value, "{}: as_str", name);
            prop_assert_eq!(&json, &value, "{}: re-encoded", name);
        }
    }
}

#[test]
fn known_enum_values_are_not_unknown() {
    // Every value the document lists decodes to its own variant (checked inside the decoder:
    // `Unknown` exactly when the string is not in `KNOWN`).
    let spec = Spec::load();
    let schemas = spec.doc["components"]["schemas"]
        .as_object()
        .expect("schemas");
    // Inline enums of the document (the generator names them): every value set.
    fn inline(v: &Value, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(map) => {
                if let Some(values) = map.get("enum").and_then(Value::as_array) {
                    out.push(
                        values
                            .iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect(),
                    );
                }
                map.values().for_each(|x| inline(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| inline(x, out)),
            _ => {}
        }
    }
    let mut inline_sets = Vec::new();
    inline(&spec.doc, &mut inline_sets);
    let mut checked = 0;
    for (name, decode) in ENUMS {
        // A named schema lists its values; a generated name stands for inline enums of the
        // document, the values of one of which it must list.
        let values: Vec<Value> = match schemas.get(*name).and_then(|s| s["enum"].as_array()) {
            Some(values) => values.clone(),
            None => {
                let set = inline_sets
                    .iter()
                    .filter(|set| set.iter().all(|v| !decode(v).1))
                    .max_by_key(|set| set.len())
                    .unwrap_or_else(|| {
                        panic!("no inline enum of the document has the values of {name}")
                    });
                set.iter().map(|v| Value::String(v.clone())).collect()
            }
        };
        for v in &values {
            let v = v.as_str().expect("string enum");
            let (as_str, unknown, _) = decode(v);
            assert!(!unknown, "{name}: {v} decodes as Unknown");
            assert_eq!(as_str, v);
            checked += 1;
        }
    }
    assert!(checked >= ENUMS.len());
}
