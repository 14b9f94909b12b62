//! Builds: CreateBuild, DescribeBuild, ListBuilds, UpdateBuild, DeleteBuild,
//! RequestUploadCredentials.
//!
//! A build created without a StorageLocation is uploaded (as `aws gamelift upload-build`
//! does): CreateBuild and RequestUploadCredentials answer the build's upload location in
//! the local S3 and credentials for it, and the build stays INITIALIZED until its files
//! are there.

use crate::error::{ApiError, ApiResult};
use crate::model::{Build, BuildStatus, State};
use crate::ops::context::Ctx;
use crate::ops::members::{last_segment, strip_nulls, with_next};
use crate::ops::tags::{drop_tags, parse_tags, set_tags};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

pub fn build<'a>(s: &'a State, id: &str) -> ApiResult<&'a Build> {
    let id = last_segment(id);
    s.builds
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| ApiError::not_found(format!("build {id} not found")))
}

fn build_mut<'a>(s: &'a mut State, id: &str) -> ApiResult<&'a mut Build> {
    let id = last_segment(id);
    s.builds
        .iter_mut()
        .find(|b| b.id == id)
        .ok_or_else(|| ApiError::not_found(format!("build {id} not found")))
}

pub fn build_wire(b: &Build) -> Value {
    strip_nulls(json!({
        "BuildId": b.id, "BuildArn": b.arn, "Name": b.name, "Version": b.version, "Status": b.status,
        "SizeOnDisk": b.size_on_disk(), "OperatingSystem": b.operating_system,
        "CreationTime": ts(b.created), "ServerSdkVersion": b.server_sdk_version,
    }))
}

/// The upload location and credentials of a build, or why uploads are off.
fn upload_answer(c: &Ctx<'_>, b: &Build) -> ApiResult<Value> {
    let credentials = c.uploads.ok_or_else(|| {
        ApiError::invalid(
            "build uploads need a local S3: start the GameLift emulator with AWS_ENDPOINT_URL \
             (or AWS_ENDPOINT_URL_S3) pointing at a loopback S3 such as the moto server",
        )
    })?;
    Ok(json!({
        "UploadCredentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
        },
        "StorageLocation": {"Bucket": b.upload.0, "Key": b.upload.1},
    }))
}

pub fn create_build(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let storage = i
        .obj_opt("StorageLocation")?
        .map(|o| Value::Object(o.0.clone()));
    let tags = parse_tags(i, "Tags")?;
    let id = format!("build-{}", uuid::Uuid::new_v4());
    let b = Build {
        arn: c.who.arn("build", &id),
        upload: (c.who.upload_bucket(), format!("builds/{id}/build.zip")),
        id,
        name: i.str_opt("Name")?.map(str::to_string),
        version: i.str_opt("Version")?.map(str::to_string),
        status: BuildStatus::Initialized,
        operating_system: i.str_opt("OperatingSystem")?.map(str::to_string),
        server_sdk_version: i.str_opt("ServerSdkVersion")?.map(str::to_string),
        created: c.now,
        ready_at: storage.as_ref().map(|_| c.now + c.timing.build_ready_ms),
        storage,
        uploaded: None,
    };
    let out = match &b.storage {
        Some(location) => json!({"Build": build_wire(&b), "StorageLocation": location}),
        None => {
            let mut out = upload_answer(c, &b)?;
            out["Build"] = build_wire(&b);
            out
        }
    };
    set_tags(s, &b.arn, tags);
    s.builds.push(b);
    Ok(out)
}

pub fn request_upload_credentials(s: &State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let b = build(s, i.str_req("BuildId")?)?;
    if b.status != BuildStatus::Initialized {
        return Err(ApiError::invalid(format!(
            "build {} is {}; upload credentials are for INITIALIZED builds",
            b.id, b.status
        )));
    }
    upload_answer(c, b)
}

pub fn list_builds(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let status = i.parsed("Status", BuildStatus::from_wire)?;
    let items: Vec<_> = s
        .builds
        .iter()
        .filter(|b| status.is_none_or(|st| b.status == st))
        .collect();
    let (items, next) = page(&items, i, 100, usize::MAX)?;
    Ok(with_next(
        json!({"Builds": items.iter().map(|b| build_wire(b)).collect::<Vec<_>>()}),
        next,
    ))
}

pub fn describe_build(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let b = build(s, i.str_req("BuildId")?)?;
    Ok(json!({"Build": build_wire(b)}))
}

pub fn update_build(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_opt("Name")?.map(str::to_string);
    let version = i.str_opt("Version")?.map(str::to_string);
    let b = build_mut(s, i.str_req("BuildId")?)?;
    if name.is_some() {
        b.name = name;
    }
    if version.is_some() {
        b.version = version;
    }
    Ok(json!({"Build": build_wire(b)}))
}

pub fn delete_build(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let b = build(s, i.str_req("BuildId")?)?;
    let (id, arn) = (b.id.clone(), b.arn.clone());
    s.builds.retain(|x| x.id != id);
    drop_tags(s, &arn);
    Ok(json!({}))
}
