//! The signing keys are read from Secrets Manager (moto) at run time: the function's
//! configuration holds only the secret's ARN, start-up makes no call, the first request
//! that needs the key reads it, later ones use the key read then.

use hangar_sessions::config::{self, Need};
use hangar_sessions::secrets::create_key_secret;
use hangar_sessions::store::ensure_table;
use hangar_sessions::{Sessions, SessionsError};
use hangar_tests::{aws_config, unique_name};

async fn listing(cursor_secret: &str) -> (Sessions, aws_sdk_secretsmanager::Client) {
    let sdk = aws_config().await;
    let table = ensure_table(
        &aws_sdk_dynamodb::Client::new(&sdk),
        &unique_name("secrets"),
    )
    .await
    .unwrap();
    let secret = cursor_secret.to_string();
    let vars = move |name: &str| match name {
        config::TABLE_VAR => Some(table.clone()),
        config::CURSOR_SECRET_VAR => Some(secret.clone()),
        _ => None,
    };
    let sessions = Sessions::from_vars(&vars, &sdk, &[Need::CursorKey])
        .expect("start-up reads no secret, so a secret that does not exist yet is no error");
    (sessions, aws_sdk_secretsmanager::Client::new(&sdk))
}

#[tokio::test]
async fn the_cursor_key_is_read_from_secrets_manager_on_first_use_then_kept() {
    let name = unique_name("cursor-key");
    let (sessions, secrets) = listing(&name).await;

    // Read at run time: without the secret, the listing fails (an unexpected 500).
    let err = sessions
        .list(None, None, Some("5"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, SessionsError::Aws(_)), "{err:?}");
    let answer = hangar_lambda::ApiError::from(err).into_response();
    assert_eq!(answer.status(), 500);

    // A failed read is not kept: once the secret exists, the next request reads it.
    create_key_secret(&secrets, &name).await.unwrap();
    sessions.list(None, None, Some("5"), None).await.unwrap();

    // Kept: with the secret gone, requests still sign and check cursors with the key read.
    secrets
        .delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    sessions.list(None, None, Some("5"), None).await.unwrap();
    sessions
        .clone()
        .list(None, None, Some("5"), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_secret_too_short_for_a_key_is_refused_naming_its_variable() {
    let name = unique_name("short-key");
    let (sessions, secrets) = listing(&name).await;
    secrets
        .create_secret()
        .name(&name)
        .secret_string("too-short")
        .send()
        .await
        .unwrap();
    let err = sessions.list(None, None, None, None).await.unwrap_err();
    assert!(
        matches!(err, SessionsError::BadSecret { var, .. } if var == config::CURSOR_SECRET_VAR),
        "{err:?}"
    );
    assert!(!err.to_string().contains("too-short"), "{err}");
}
