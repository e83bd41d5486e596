//! The clock (`Config::manual_clock`, `emulator.clock()`, `/_emulator/clock`): timestamps,
//! state expiry, workflow timeouts and scheduled events all follow it, so tests of expiry take
//! milliseconds.

use std::time::Duration;

use botpress_emulator::Config;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::common::{Api, TOKEN, assert_error};

const START: &str = "2026-01-01T00:00:00.000Z";

async fn manual() -> Api {
    let start: DateTime<Utc> = START.parse().unwrap();
    Api::start(Config::new().manual_clock(start)).await
}

#[tokio::test]
async fn timestamps_are_the_clocks_and_stand_still_until_it_moves() {
    let api = manual().await;
    let created = api
        .ok("POST", "/v1/chat/users", Some(json!({"tags": {}})), 201)
        .await;
    assert_eq!(created["user"]["createdAt"], START);
    assert_eq!(created["user"]["updatedAt"], START);
    let id = created["user"]["id"].as_str().unwrap();
    api.emulator
        .clock()
        .advance(Duration::from_millis(90_061_500));
    let updated = api
        .ok(
            "PUT",
            &format!("/v1/chat/users/{id}"),
            Some(json!({"name": "Ada"})),
            200,
        )
        .await;
    assert_eq!(updated["user"]["createdAt"], START);
    assert_eq!(updated["user"]["updatedAt"], "2026-01-02T01:01:01.500Z");
    assert_eq!(
        api.emulator.journal().calls()[1].at.to_rfc3339(),
        "2026-01-02T01:01:01.500+00:00"
    );
}

#[tokio::test]
async fn a_state_expires_when_the_clock_passes_its_expiry() {
    let api = manual().await;
    let user = api.user().await;
    let path = format!("/v1/chat/states/user/{user}/session");
    let set = api
        .ok(
            "POST",
            &path,
            Some(json!({"payload": {"step": 1}, "expiry": 3_600_000})),
            200,
        )
        .await;
    assert_eq!(set["state"]["expiresAt"], "2026-01-01T01:00:00.000Z");
    api.emulator.clock().advance(Duration::from_secs(3599));
    api.ok("GET", &path, None, 200).await;
    api.emulator.clock().advance(Duration::from_secs(1));
    assert_error(
        &api.call("GET", &path, None).await,
        404,
        "ResourceNotFound",
        "No State found",
    );
}

#[tokio::test]
async fn a_workflow_times_out_when_the_clock_passes_its_timeout() {
    let api = manual().await;
    let w = api
        .ok(
            "POST",
            "/v1/chat/workflows",
            Some(
                json!({"name": "w", "status": "pending", "timeoutAt": "2026-01-01T00:10:00.000Z"}),
            ),
            201,
        )
        .await;
    let path = format!(
        "/v1/chat/workflows/{}",
        w["workflow"]["id"].as_str().unwrap()
    );
    assert_eq!(
        api.ok("GET", &path, None, 200).await["workflow"]["status"],
        "pending"
    );
    api.emulator.clock().advance(Duration::from_secs(600));
    let got = api.ok("GET", &path, None, 200).await;
    assert_eq!(got["workflow"]["status"], "timedout");
    assert_eq!(got["workflow"]["completedAt"], "2026-01-01T00:10:00.000Z");
}

#[tokio::test]
async fn scheduled_events_fire_when_their_time_comes() {
    let api = manual().await;
    let create = |schedule| {
        let api = &api;
        async move {
            let e = api
                .ok(
                    "POST",
                    "/v1/chat/events",
                    Some(json!({"type": "t", "payload": {}, "schedule": schedule})),
                    201,
                )
                .await;
            assert_eq!(e["event"]["status"], "scheduled", "{e}");
            assert!(e["event"].get("_dueAt").is_none(), "hidden: {e}");
            e["event"]["id"].as_str().unwrap().to_string()
        }
    };
    let by_delay = create(json!({"delay": 5000})).await;
    let by_date = create(json!({"dateTime": "2026-01-01T00:01:00.000Z"})).await;
    let status = |id: String| {
        let api = &api;
        async move {
            api.ok("GET", &format!("/v1/chat/events/{id}"), None, 200)
                .await["event"]["status"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    api.emulator.clock().advance(Duration::from_millis(4999));
    assert_eq!(status(by_delay.clone()).await, "scheduled");
    api.emulator.clock().advance(Duration::from_millis(1));
    assert_eq!(
        status(by_delay.clone()).await,
        "pending",
        "fired at creation + delay"
    );
    assert_eq!(status(by_date.clone()).await, "scheduled");
    let scheduled = api
        .ok("GET", "/v1/chat/events?status=scheduled", None, 200)
        .await;
    assert_eq!(
        scheduled["events"].as_array().unwrap().len(),
        1,
        "lists see the fired status"
    );
    let late = api
        .call(
            "DELETE",
            &format!("/v1/chat/events/scheduled/{by_delay}"),
            Some(json!({})),
        )
        .await;
    assert_error(&late, 400, "InvalidPayload", "not scheduled");
    api.emulator
        .clock()
        .set("2026-01-01T00:01:00Z".parse().unwrap());
    assert_eq!(status(by_date).await, "pending", "fired at its dateTime");
}

#[tokio::test]
async fn the_admin_api_reads_and_moves_the_clock() {
    let api = manual().await;
    let admin = |method: &'static str, body: Option<serde_json::Value>| {
        let api = &api;
        async move {
            api.raw(
                method,
                "/_emulator/clock",
                None,
                Some(TOKEN),
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
        }
    };
    let now = admin("GET", None).await;
    assert_eq!(now.body, json!({"now": START, "mode": "manual"}));
    let moved = admin("POST", Some(json!({"advanceMs": 1500}))).await;
    assert_eq!(moved.body["now"], "2026-01-01T00:00:01.500Z");
    let set = admin("POST", Some(json!({"now": "2030-05-06T07:08:09Z"}))).await;
    assert_eq!(set.body["now"], "2030-05-06T07:08:09.000Z");
    for (bad, needle) in [
        (json!({"advanceMs": -1}), "advanceMs"),
        (json!({"now": "tomorrow"}), "body.now"),
        (json!({}), "one of"),
        (json!({"advanceMs": 1, "now": START}), "one of"),
    ] {
        assert_error(
            &admin("POST", Some(bad)).await,
            400,
            "InvalidPayload",
            needle,
        );
    }
    assert_eq!(
        api.emulator.clock().now().to_rfc3339(),
        "2030-05-06T07:08:09+00:00"
    );
}

#[tokio::test]
async fn the_system_clock_can_be_moved_forward_too() {
    let api = Api::start(Config::new()).await;
    assert_eq!(api.emulator.clock().mode(), "system");
    let user = api.user().await;
    let path = format!("/v1/chat/states/user/{user}/s");
    api.ok(
        "POST",
        &path,
        Some(json!({"payload": {}, "expiry": 60_000})),
        200,
    )
    .await;
    api.emulator.clock().advance(Duration::from_secs(61));
    assert_eq!(api.call("GET", &path, None).await.status, 404);
}
