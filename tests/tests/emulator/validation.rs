//! Requests checked against GameLift's service model before any operation runs: one test
//! per kind of constraint (required, type, length, pattern, enum, range), through the real
//! aws-sdk-gamelift (RPC v2 CBOR) and over JSON 1.1, each answered InvalidRequestException
//! naming the member as GameLift does; and nothing is changed by a refused request.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::{Ec2InstanceType, GameProperty};
use hangar_tests::{gamelift_client, start_emulator};
use serde_json::{json, Value};

/// The message of an InvalidRequestException, or a panic naming what came instead.
fn invalid<E: ProvideErrorMetadata + std::fmt::Debug>(e: &E) -> String {
    assert_eq!(e.code(), Some("InvalidRequestException"), "{e:?}");
    e.message().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_missing_required_member_is_refused_naming_it() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl.describe_build().send().await.unwrap_err();
    assert_eq!(
        invalid(&e),
        "1 validation error detected: Value null at 'buildId' failed to satisfy constraint: Member must not be null"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_member_of_the_wrong_type_is_refused_naming_it_over_json() {
    let emu = start_emulator().await;
    let r = reqwest::Client::new()
        .post(emu.endpoint_url())
        .header("X-Amz-Target", "GameLift.ListBuilds")
        .header("Content-Type", "application/x-amz-json-1.1")
        .body(json!({"Limit": "ten"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-amzn-errortype"], "InvalidRequestException");
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b["message"],
        "1 validation error detected: Value 'ten' at 'limit' failed to satisfy constraint: Member must be of type integer"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_name_over_1024_characters_is_refused_and_creates_nothing() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .create_build()
        .name("n".repeat(1025))
        .send()
        .await
        .unwrap_err();
    let m = invalid(&e);
    assert!(
        m.contains("at 'name' failed to satisfy constraint: Member must have length less than or equal to 1024"),
        "{m}"
    );
    assert!(gl.list_builds().send().await.unwrap().builds().is_empty());
    // Lengths count characters: 1024 two-byte characters are accepted.
    gl.create_build()
        .name("é".repeat(1024))
        .send()
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_malformed_id_is_refused_with_the_pattern_it_breaks() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .describe_build()
        .build_id("not a build id")
        .send()
        .await
        .unwrap_err();
    let m = invalid(&e);
    assert!(
        m.contains("Value 'not a build id' at 'buildId' failed to satisfy constraint: Member must satisfy regular expression pattern: "),
        "{m}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_instance_type_is_refused_with_the_values_allowed() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .create_fleet()
        .name("f")
        .build_id("build-1")
        .ec2_instance_type(Ec2InstanceType::from("c9.galactic"))
        .send()
        .await
        .unwrap_err();
    let m = invalid(&e);
    assert!(
        m.contains("Value 'c9.galactic' at 'eC2InstanceType' failed to satisfy constraint: Member must satisfy enum value set: ["),
        "{m}"
    );
    assert!(m.contains("c5.large"), "{m}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_number_outside_its_range_is_refused_naming_the_bound() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl.list_builds().limit(0).send().await.unwrap_err();
    assert!(
        invalid(&e).contains(
            "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ),
        "{e:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn nested_members_and_list_items_are_named_by_their_path_and_all_violations_reported() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .start_game_session_placement()
        .placement_id("bad id!")
        .game_session_queue_name("q")
        .maximum_player_session_count(4)
        .game_properties(
            GameProperty::builder()
                .key("k".repeat(33))
                .value("v")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let m = invalid(&e);
    assert!(m.starts_with("2 validation errors detected: "), "{m}");
    assert!(m.contains("at 'gameProperties.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 32"), "{m}");
    assert!(m.contains("at 'placementId' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{m}");
    emu.shutdown().await;
}
