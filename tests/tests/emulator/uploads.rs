//! Builds uploaded as `aws gamelift upload-build` does: CreateBuild without a
//! StorageLocation and RequestUploadCredentials answer an upload location in the local S3
//! (moto) with credentials for it; the build stays INITIALIZED until its files are there,
//! then turns READY on the clock, with the upload's size.

use aws_sdk_gamelift::config::Credentials;
use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::types::BuildStatus;
use hangar_tests::gamelift::{put_on_local_s3, POLL, WAIT};
use hangar_tests::{gamelift_client, start_emulator, unique_name, wait_until};

#[tokio::test]
async fn a_build_without_storage_location_turns_ready_only_after_its_upload_arrives() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let created = gl
        .create_build()
        .name(unique_name("upload"))
        .version("1")
        .send()
        .await
        .unwrap();
    let build = created.build_value().unwrap();
    let id = build.build_id().unwrap().to_string();
    assert_eq!(build.status(), Some(&BuildStatus::Initialized));
    let location = created.storage_location().unwrap();
    let creds = gl
        .request_upload_credentials()
        .build_id(&id)
        .send()
        .await
        .unwrap();
    let again = creds.storage_location().unwrap();
    assert_eq!(
        (again.bucket(), again.key()),
        (location.bucket(), location.key())
    );
    let c = creds.upload_credentials().unwrap();

    // A simulated day without an upload: still INITIALIZED.
    emu.admin().advance(86_400.0).await.unwrap();
    let status = |gl: aws_sdk_gamelift::Client, id: String| async move {
        let d = gl.describe_build().build_id(id).send().await.unwrap();
        let b = d.build_value().unwrap().clone();
        (b.status().cloned(), b.size_on_disk())
    };
    assert_eq!(
        status(gl.clone(), id.clone()).await.0,
        Some(BuildStatus::Initialized)
    );

    let files = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0 build";
    let put = put_on_local_s3(
        again.bucket().unwrap(),
        again.key().unwrap(),
        files,
        Credentials::new(
            c.access_key_id().unwrap(),
            c.secret_access_key().unwrap(),
            c.session_token().map(str::to_string),
            None,
            "upload",
        ),
    )
    .await;
    assert_eq!(put, 200);
    let ready = wait_until(WAIT, POLL, || {
        let (gl, id) = (gl.clone(), id.clone());
        async move {
            let (s, size) = status(gl, id).await;
            (s == Some(BuildStatus::Ready)).then_some(size)
        }
    })
    .await
    .expect("the uploaded build never became READY");
    assert_eq!(ready, Some(files.len() as i64));

    // Credentials are for builds still waiting for their files.
    let e = gl
        .request_upload_credentials()
        .build_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidRequestException"), "{e:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn upload_credentials_for_an_unknown_build_are_not_found() {
    let emu = start_emulator().await;
    let gl = gamelift_client(&emu);
    let e = gl
        .request_upload_credentials()
        .build_id("build-00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert!(e.as_service_error().unwrap().is_not_found_exception());
    emu.shutdown().await;
}
