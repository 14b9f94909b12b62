//! Builds: CreateBuild, DescribeBuild, ListBuilds, DeleteBuild.

use crate::error::{ApiError, ApiResult};
use crate::model::{Build, BuildStatus, State};
use crate::ops::context::Ctx;
use crate::ops::members::{last_segment, strip_nulls, with_next};
use crate::ops::tags::{parse_tags, set_tags};
use crate::paging::page;
use crate::wire::{ts, Input};
use serde_json::{json, Value};

const OPERATING_SYSTEMS: &[&str] = &[
    "WINDOWS_2012",
    "AMAZON_LINUX",
    "AMAZON_LINUX_2",
    "WINDOWS_2016",
    "AMAZON_LINUX_2023",
    "WINDOWS_2022",
];

pub fn build<'a>(s: &'a State, id: &str) -> ApiResult<&'a Build> {
    let id = last_segment(id);
    s.builds
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| ApiError::not_found(format!("build {id} not found")))
}

pub fn build_wire(b: &Build) -> Value {
    strip_nulls(json!({
        "BuildId": b.id, "BuildArn": b.arn, "Name": b.name, "Version": b.version, "Status": b.status,
        "SizeOnDisk": if b.status == BuildStatus::Ready { 1_048_576 } else { 0 }, "OperatingSystem": b.operating_system,
        "CreationTime": ts(b.created), "ServerSdkVersion": b.server_sdk_version,
    }))
}

pub fn create_build(s: &mut State, c: &Ctx<'_>, i: &Input<'_>) -> ApiResult<Value> {
    let name = i.str_opt("Name")?.map(str::to_string);
    let version = i.str_opt("Version")?.map(str::to_string);
    let os = i
        .enum_opt("OperatingSystem", OPERATING_SYSTEMS)?
        .map(str::to_string);
    let sdk = i.str_opt("ServerSdkVersion")?.map(str::to_string);
    if let Some(v) = &sdk {
        if v.split('.').count() != 3
            || !v
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(ApiError::invalid("ServerSdkVersion must look like 5.1.0"));
        }
    }
    let storage = i
        .obj_opt("StorageLocation")?
        .map(|o| Value::Object(o.0.clone()));
    let tags = parse_tags(i, "Tags")?;
    let id = format!("build-{}", uuid::Uuid::new_v4());
    let b = Build {
        arn: c.who.arn("build", &id),
        id,
        name,
        version,
        status: BuildStatus::Initialized,
        operating_system: os,
        server_sdk_version: sdk,
        created: c.now,
        ready_at: c.now + c.timing.build_ready_ms,
    };
    let out = json!({
        "Build": build_wire(&b),
        "UploadCredentials": {"AccessKeyId": "AKIAEMULATOR", "SecretAccessKey": "emulator", "SessionToken": "emulator"},
        "StorageLocation": storage.unwrap_or_else(|| json!({"Bucket": "gamelift-emulator-builds", "Key": b.id})),
    });
    set_tags(s, &b.arn, tags);
    s.builds.push(b);
    Ok(out)
}

pub fn list_builds(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let status = i
        .enum_opt("Status", BuildStatus::NAMES)?
        .and_then(BuildStatus::from_wire);
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

pub fn delete_build(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let id = i.str_req("BuildId")?;
    let b = build(s, id)?.id.clone();
    s.builds.retain(|x| x.id != b);
    Ok(json!({}))
}
