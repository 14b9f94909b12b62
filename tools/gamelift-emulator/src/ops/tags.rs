//! Tags: TagResource, UntagResource, ListTagsForResource, and the tags other resources
//! are created with.

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
                t.str_req("Value")?.to_string(),
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

/// Forgets the tags of a deleted resource.
pub fn drop_tags(s: &mut State, arn: &str) {
    s.tags.retain(|(a, _)| a != arn);
}

pub fn resource_exists(s: &State, arn: &str) -> ApiResult<()> {
    let found = s.builds.iter().any(|b| b.arn == arn)
        || s.fleets.iter().any(|f| f.arn == arn)
        || s.aliases.iter().any(|a| a.arn == arn)
        || s.queues.iter().any(|q| q.arn == arn);
    if found {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("resource {arn} not found")))
    }
}

pub fn tag_resource(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let arn = i.str_req("ResourceARN")?;
    let tags = parse_tags(i, "Tags")?;
    resource_exists(s, arn)?;
    set_tags(s, arn, tags);
    Ok(json!({}))
}

pub fn untag_resource(s: &mut State, i: &Input<'_>) -> ApiResult<Value> {
    let arn = i.str_req("ResourceARN")?;
    let keys = i.strings_opt("TagKeys")?.unwrap_or_default();
    resource_exists(s, arn)?;
    if let Some((_, list)) = s.tags.iter_mut().find(|(a, _)| a == arn) {
        list.retain(|(k, _)| !keys.contains(&k.as_str()));
    }
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
