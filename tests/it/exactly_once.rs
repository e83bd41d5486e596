//! Exactly-once creates (`idempotency_key`): against the emulator's fail-after-commit faults,
//! a keyed create whose answer is lost is retried and makes one resource where a plain create
//! makes two once it is run again; a re-run with the same key returns the first resource; and
//! the wire form is the get-or-create twin with the reserved tag.

use std::time::Duration;

use botpress::{Client, ErrorKind, RetryPolicy, once::IDEMPOTENCY_TAG, types::WorkflowStatus};
use botpress_emulator::{Config, Emulator, Fault, spawn};
use serde_json::json;

use crate::support::emulator::{client_with, conversation, user};
use crate::support::recorder::Recorder;

const BOT: &str = "bot_01JONCE000000000000000000A1";

/// The creates with a get-or-create twin.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Conversation,
    User,
    Message,
    Workflow,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Conversation,
        Kind::User,
        Kind::Message,
        Kind::Workflow,
    ];

    fn create_op(self) -> &'static str {
        match self {
            Kind::Conversation => "createConversation",
            Kind::User => "createUser",
            Kind::Message => "createMessage",
            Kind::Workflow => "createWorkflow",
        }
    }

    fn twin_op(self) -> String {
        self.create_op().replacen("create", "getOrCreate", 1)
    }
}

/// What the message creates need.
struct Fixture {
    conversation: String,
    user: String,
}

/// Creates one `kind` tagged `run=<run>`, under `key` when given; its id.
async fn create(
    c: &Client,
    f: &Fixture,
    kind: Kind,
    run: &str,
    key: Option<&str>,
) -> botpress::Result<String> {
    let tags = [("run", run)];
    Ok(match kind {
        Kind::Conversation => {
            let mut b = c.create_conversation().channel("web").tags(tags);
            if let Some(key) = key {
                b = b.idempotency_key(key);
            }
            b.send().await?.conversation.id
        }
        Kind::User => {
            let mut b = c.create_user().name("Ada").tags(tags);
            if let Some(key) = key {
                b = b.idempotency_key(key);
            }
            b.send().await?.user.id
        }
        Kind::Message => {
            let mut b = c
                .create_message()
                .conversation_id(&f.conversation)
                .user_id(&f.user)
                .type_("text")
                .payload(json!({"text": "pay 10 EUR"}))
                .tags(tags);
            if let Some(key) = key {
                b = b.idempotency_key(key);
            }
            b.send().await?.message.id
        }
        Kind::Workflow => {
            let mut b = c
                .create_workflow()
                .name("refund")
                .status(WorkflowStatus::Pending)
                .tags(tags);
            if let Some(key) = key {
                b = b.idempotency_key(key);
            }
            b.send().await?.workflow.id
        }
    })
}

/// How many `kind` are tagged `run=<run>`.
async fn count(c: &Client, f: &Fixture, kind: Kind, run: &str) -> usize {
    let tags = [("run", run)];
    match kind {
        Kind::Conversation => c
            .list_conversations()
            .tags(tags)
            .send()
            .await
            .map(|r| r.conversations.len()),
        Kind::User => c
            .list_users()
            .tags(tags)
            .send()
            .await
            .map(|r| r.users.len()),
        Kind::Message => c
            .list_messages()
            .conversation_id(&f.conversation)
            .tags(tags)
            .send()
            .await
            .map(|r| r.messages.len()),
        Kind::Workflow => c
            .list_workflows()
            .tags(tags)
            .send()
            .await
            .map(|r| r.workflows.len()),
    }
    .expect("listed")
}

async fn setup() -> (Emulator, Client, Fixture) {
    let emulator = spawn(Config::new()).await.expect("emulator starts");
    let c = client_with(&emulator, BOT, |b| {
        b.retry(
            RetryPolicy::new()
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(5)),
        )
    });
    let fixture = Fixture {
        conversation: conversation(&c).await,
        user: user(&c).await,
    };
    (emulator, c, fixture)
}

#[tokio::test]
async fn a_keyed_create_whose_answer_is_lost_makes_one_resource() {
    let (emulator, c, f) = setup().await;
    for kind in Kind::ALL {
        let twin = kind.twin_op();
        // The write commits, then the answer is a 502, then the connection drops: both retried.
        emulator
            .faults()
            .add(Fault::fail_after_commit(&twin).times(1));
        emulator
            .faults()
            .add(Fault::reset_after_commit(&twin).times(1));
        let first = create(&c, &f, kind, "keyed", Some("order-42"))
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: retried to success: {e}"));
        let calls = emulator.journal().calls_to(&twin);
        let statuses: Vec<_> = calls.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Some(502), None, Some(200)], "{kind:?}");
        // A re-run (a crash and a restart) returns the same resource.
        let again = create(&c, &f, kind, "keyed", Some("order-42"))
            .await
            .unwrap();
        assert_eq!(again, first, "{kind:?}");
        assert_eq!(
            count(&c, &f, kind, "keyed").await,
            1,
            "{kind:?}: no duplicate"
        );
        // Another key is another resource.
        let other = create(&c, &f, kind, "keyed", Some("order-43"))
            .await
            .unwrap();
        assert_ne!(other, first, "{kind:?}");

        // The same loss without a key: the create is not retried (it may have happened), and
        // running it again makes a second resource.
        let op = kind.create_op();
        emulator.faults().add(Fault::fail_after_commit(op).times(1));
        let e = create(&c, &f, kind, "plain", None)
            .await
            .expect_err("502 surfaced");
        assert_eq!(e.status(), Some(502), "{kind:?}");
        create(&c, &f, kind, "plain", None).await.unwrap();
        assert_eq!(
            count(&c, &f, kind, "plain").await,
            2,
            "{kind:?}: the duplicate"
        );
        assert!(emulator.journal().calls_to(op).iter().all(|c| c.committed));
    }
}

#[tokio::test]
async fn the_wire_form_is_the_twin_with_the_reserved_tag() {
    let emulator = spawn(Config::new()).await.expect("emulator starts");
    let proxy = Recorder::proxy(&emulator.base_url()).await;
    let c = Client::builder()
        .base_url(&proxy.base_url)
        .token(emulator.token())
        .bot_id(BOT)
        .build()
        .unwrap();
    let created = c
        .create_conversation()
        .channel("web")
        .tags([("ticket", "T-1")])
        .idempotency_key("ticket-T-1")
        .send()
        .await
        .unwrap();
    assert_eq!(created.conversation.tags[IDEMPOTENCY_TAG], "ticket-T-1");
    assert_eq!(created.conversation.tags["ticket"], "T-1");
    let sent = proxy.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].line(), "POST /v1/chat/conversations/get-or-create");
    assert_eq!(
        sent[0].body_text(),
        r#"{"channel":"web","discriminateByTags":["idempotencyKey"],"tags":{"idempotencyKey":"ticket-T-1","ticket":"T-1"}}"#
    );
    assert_eq!(sent[0].response.as_ref().unwrap().status, 200);
}

#[tokio::test]
async fn a_key_that_cannot_be_sent_is_refused_before_sending() {
    let proxy = Recorder::start().await;
    let c = proxy.client();
    for (tags, key, says) in [
        (vec![("k", "v")], "", "the idempotency key is empty"),
        (
            vec![(IDEMPOTENCY_TAG, "other")],
            "mine",
            "the tag `idempotencyKey` is set to \"other\"",
        ),
    ] {
        let e = c
            .create_user()
            .tags(tags)
            .idempotency_key(key)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(proxy.count(), 0, "nothing sent");
}
