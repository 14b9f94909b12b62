//! Tags: TagResource, ListTagsForResource, and the tags other resources are created with.

use crate::error::{ApiError, ApiResult};
use crate::model::State;
use crate::wire::Input;
use serde_json::{json, Value};

pub fn parse_tags(i: &Input<'_>, f: &str) -> ApiResult<Vec<(String, String)>> {
    i.structs_opt(f)?
        .iter()
        .map(|t| {
            Ok((
                t.str_req("Key")?.to_string(),
                t.0.get("Value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::invalid("Tags[].Value is required"))?
                    .to_string(),
            ))
        })
        .collect()
}

pub fn set_tags(s: &mut State, arn: &str, tags: Vec<(String, String)>) {
    if tags.is_empty() {
        return;
    }
    let idx = match s.tags.iter().position(|(a, _)| a == arn) {
        Some(i) => i,
        None => {
            s.tags.push((arn.to_string(), Vec::new()));
            s.tags.len() - 1
        }
    };
    for (k, v) in tags {
        let list = &mut s.tags[idx].1;
        match list.iter_mut().find(|(x, _)| *x == k) {
            Some(e) => e.1 = v,
            None => list.push((k, v)),
        }
    }
}

pub fn resource_exists(s: &State, arn: &str) -> ApiResult<()> {
    let found = s.builds.iter().any(|b| b.arn == arn)
        || s.fleets.iter().any(|f| f.arn == arn)
        || s.aliases.iter().any(|a| a.arn == arn)
        || s.queues.iter().any(|q| q.arn == arn);
    if !arn.starts_with("arn:") {
        return Err(ApiError::invalid("ResourceARN must be an ARN"));
    }
    if found {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("resource {arn} not found")))
    }
}

pub fn tag_resource(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let arn = i.str_req("ResourceARN")?;
    if i.list_opt("Tags")?.is_none() {
        return Err(ApiError::invalid("Tags is required"));
    }
    let tags = parse_tags(i, "Tags")?;
    resource_exists(s, arn)?;
    set_tags(s, arn, tags);
    Ok(json!({}))
}

pub fn list_tags_for_resource(s: &State, i: &Input<'_>) -> ApiResult<Value> {
    let arn = i.str_req("ResourceARN")?;
    resource_exists(s, arn)?;
    let tags = s
        .tags
        .iter()
        .find(|(a, _)| a == arn)
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    Ok(json!({"Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()}))
}
