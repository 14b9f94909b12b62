//! GameLift adapter: every GameLift call the stages make, paging through every list.
//! Each SDK error becomes an [`AwsError`] (throttling/transient asked of it by the
//! state machine's Retry); "not found" is read from each operation's modeled
//! `NotFoundException` variant.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_gamelift::types::{
    CertificateConfiguration, CertificateType, ComputeType, Ec2InstanceType, FleetAction,
    FleetAttributes, FleetType, GameServerIpProtocolSupported, InstanceRoleCredentialsProvider,
    IpPermission, IpProtocol, LocationConfiguration, OperatingSystem, PlayerGatewayConfiguration,
    PlayerGatewayMode, ProtectionPolicy, ResourceCreationLimitPolicy, RoutingStrategy,
    RoutingStrategyType, RuntimeConfiguration, S3Location, ServerProcess, Tag, TerminationMode,
};
use aws_sdk_gamelift::Client;
use hangar_aws::error::AwsError;

use crate::capacity::Counts;
use crate::error::FleetError;
use crate::progress::LocationStatus;
use crate::request::{BuildUpload, CapacityTarget, FleetSpec, REPLACEMENT_TAG};
use crate::start::{AliasFacts, FleetFacts};

/// A tag the workflow puts on what it creates.
pub type TagPair = (String, String);

pub async fn alias(c: &Client, alias_id: &str) -> Result<Option<AliasFacts>, FleetError> {
    match c.describe_alias().alias_id(alias_id).send().await {
        Ok(out) => Ok(out.alias().map(|a| {
            let r = a.routing_strategy();
            AliasFacts {
                routing_type: r
                    .and_then(|r| r.r#type())
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                fleet_id: r.and_then(|r| r.fleet_id()).map(str::to_string),
            }
        })),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(AwsError::new("DescribeAlias", e).into()),
    }
}

pub async fn point_alias(c: &Client, alias_id: &str, fleet_id: &str) -> Result<(), FleetError> {
    let routing = RoutingStrategy::builder()
        .r#type(RoutingStrategyType::Simple)
        .fleet_id(fleet_id)
        .build();
    c.update_alias()
        .alias_id(alias_id)
        .routing_strategy(routing)
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateAlias", e))?;
    Ok(())
}

/// Every alias with the fleet it routes to.
pub async fn all_aliases(c: &Client) -> Result<Vec<(String, Option<String>)>, FleetError> {
    let pages = c
        .list_aliases()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("ListAliases", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.aliases())
        .map(|a| {
            (
                a.alias_id().unwrap_or_default().to_string(),
                a.routing_strategy()
                    .and_then(|r| r.fleet_id())
                    .map(str::to_string),
            )
        })
        .collect())
}

pub async fn fleet(c: &Client, fleet_id: &str) -> Result<Option<FleetAttributes>, FleetError> {
    match c
        .describe_fleet_attributes()
        .fleet_ids(fleet_id)
        .send()
        .await
    {
        Ok(out) => Ok(out.fleet_attributes().first().cloned()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(AwsError::new("DescribeFleetAttributes", e).into()),
    }
}

pub fn fleet_status(f: &FleetAttributes) -> String {
    f.status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

pub async fn fleet_facts(c: &Client, fleet_id: &str) -> Result<Option<FleetFacts>, FleetError> {
    Ok(fleet(c, fleet_id).await?.map(|f| FleetFacts {
        fleet_id: fleet_id.to_string(),
        status: fleet_status(&f),
    }))
}

async fn tagged(c: &Client, arn: Option<&str>, replacement_id: &str) -> Result<bool, FleetError> {
    let Some(arn) = arn else { return Ok(false) };
    match c.list_tags_for_resource().resource_arn(arn).send().await {
        Ok(out) => Ok(out
            .tags()
            .iter()
            .any(|t| t.key() == Some(REPLACEMENT_TAG) && t.value() == Some(replacement_id))),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(AwsError::new("ListTagsForResource", e).into()),
    }
}

/// The live fleet an earlier run of this replacement created: same name, our tag.
pub async fn find_our_fleet(
    c: &Client,
    name: &str,
    replacement_id: &str,
) -> Result<Option<FleetFacts>, FleetError> {
    let pages = c
        .describe_fleet_attributes()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("DescribeFleetAttributes", e))?;
    for f in pages.iter().flat_map(|p| p.fleet_attributes()) {
        let status = fleet_status(f);
        if f.name() != Some(name) || status == "DELETING" || status == "TERMINATED" {
            continue;
        }
        if tagged(c, f.fleet_arn(), replacement_id).await? {
            return Ok(Some(FleetFacts {
                fleet_id: f.fleet_id().unwrap_or_default().to_string(),
                status,
            }));
        }
    }
    Ok(None)
}

/// The build an earlier run of this replacement created: same name and version, our tag.
pub async fn find_our_build(
    c: &Client,
    name: &str,
    version: &str,
    replacement_id: &str,
) -> Result<Option<String>, FleetError> {
    let pages = c
        .list_builds()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("ListBuilds", e))?;
    for b in pages.iter().flat_map(|p| p.builds()) {
        if b.name() == Some(name)
            && b.version() == Some(version)
            && tagged(c, b.build_arn(), replacement_id).await?
        {
            return Ok(b.build_id().map(str::to_string));
        }
    }
    Ok(None)
}

/// Build status, `None` when the build does not exist.
pub async fn build_status(c: &Client, build_id: &str) -> Result<Option<String>, FleetError> {
    match c.describe_build().build_id(build_id).send().await {
        Ok(out) => Ok(out
            .build_value()
            .and_then(|b| b.status())
            .map(|s| s.as_str().to_string())),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(AwsError::new("DescribeBuild", e).into()),
    }
}

fn tag_list(tags: impl IntoIterator<Item = TagPair>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// CreateBuild from the operator's build JSON plus `tags`; returns the new build id.
pub async fn create_build(
    c: &Client,
    upload: &BuildUpload,
    tags: Vec<TagPair>,
) -> Result<String, FleetError> {
    let s3 = &upload.storage_location;
    let location = S3Location::builder()
        .bucket(&s3.bucket)
        .key(&s3.key)
        .role_arn(&s3.role_arn)
        .set_object_version(s3.object_version.clone())
        .build();
    let out = c
        .create_build()
        .name(&upload.name)
        .version(&upload.version)
        .storage_location(location)
        .set_operating_system(
            upload
                .operating_system
                .as_deref()
                .map(OperatingSystem::from),
        )
        .set_server_sdk_version(upload.server_sdk_version.clone())
        .set_tags(Some(tag_list(
            upload
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .chain(tags)
                .collect::<Vec<TagPair>>(),
        )))
        .send()
        .await
        .map_err(|e| AwsError::new("CreateBuild", e))?;
    out.build_value()
        .and_then(|b| b.build_id())
        .map(str::to_string)
        .ok_or_else(|| FleetError::Malformed("CreateBuild returned no BuildId".into()))
}

/// CreateFleet from the operator's fleet JSON on `build_id`, plus `tags`; returns the
/// new fleet id.
pub async fn create_fleet(
    c: &Client,
    f: &FleetSpec,
    build_id: &str,
    tags: Vec<TagPair>,
) -> Result<String, FleetError> {
    let runtime = f.runtime_configuration.as_ref().map(|r| {
        RuntimeConfiguration::builder()
            .set_server_processes(Some(
                r.server_processes
                    .iter()
                    .map(|p| {
                        ServerProcess::builder()
                            .launch_path(&p.launch_path)
                            .set_parameters(p.parameters.clone())
                            .concurrent_executions(p.concurrent_executions)
                            .build()
                    })
                    .collect(),
            ))
            .set_max_concurrent_game_session_activations(r.max_concurrent_game_session_activations)
            .set_game_session_activation_timeout_seconds(r.game_session_activation_timeout_seconds)
            .build()
    });
    let certificate = f.certificate_configuration.as_ref().map(|c| {
        CertificateConfiguration::builder()
            .certificate_type(CertificateType::from(c.certificate_type.as_str()))
            .build()
    });
    let gateway = f.player_gateway_configuration.as_ref().map(|g| {
        PlayerGatewayConfiguration::builder()
            .set_game_server_ip_protocol_supported(
                g.game_server_ip_protocol_supported
                    .as_deref()
                    .map(GameServerIpProtocolSupported::from),
            )
            .build()
    });
    let permissions: Vec<IpPermission> = f
        .ec2_inbound_permissions
        .iter()
        .map(|p| {
            IpPermission::builder()
                .from_port(p.from_port)
                .to_port(p.to_port)
                .ip_range(&p.ip_range)
                .protocol(IpProtocol::from(p.protocol.as_str()))
                .build()
        })
        .collect();
    let mut all_tags: Vec<TagPair> = f
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    all_tags.extend(tags);
    let limit = f.resource_creation_limit_policy.as_ref().map(|l| {
        ResourceCreationLimitPolicy::builder()
            .set_new_game_sessions_per_creator(l.new_game_sessions_per_creator)
            .set_policy_period_in_minutes(l.policy_period_in_minutes)
            .build()
    });
    let out = c
        .create_fleet()
        .name(&f.name)
        .set_description(f.description.clone())
        .build_id(build_id)
        .ec2_instance_type(Ec2InstanceType::from(f.ec2_instance_type.as_str()))
        .set_fleet_type(f.fleet_type.as_deref().map(FleetType::from))
        .set_ec2_inbound_permissions((!permissions.is_empty()).then_some(permissions))
        .set_new_game_session_protection_policy(
            f.new_game_session_protection_policy
                .as_deref()
                .map(ProtectionPolicy::from),
        )
        .set_runtime_configuration(runtime)
        .set_server_launch_path(f.server_launch_path.clone())
        .set_server_launch_parameters(f.server_launch_parameters.clone())
        .set_log_paths((!f.log_paths.is_empty()).then(|| f.log_paths.clone()))
        .set_peer_vpc_aws_account_id(f.peer_vpc_aws_account_id.clone())
        .set_peer_vpc_id(f.peer_vpc_id.clone())
        .set_certificate_configuration(certificate)
        .set_compute_type(f.compute_type.as_deref().map(ComputeType::from))
        .set_instance_role_credentials_provider(
            f.instance_role_credentials_provider
                .as_deref()
                .map(InstanceRoleCredentialsProvider::from),
        )
        .set_player_gateway_mode(
            f.player_gateway_mode
                .as_deref()
                .map(PlayerGatewayMode::from),
        )
        .set_player_gateway_configuration(gateway)
        .set_resource_creation_limit_policy(limit)
        .set_metric_groups((!f.metric_groups.is_empty()).then(|| f.metric_groups.clone()))
        .set_instance_role_arn(f.instance_role_arn.clone())
        .set_locations((!f.locations.is_empty()).then(|| {
            f.locations
                .iter()
                .map(|l| {
                    LocationConfiguration::builder()
                        .location(&l.location)
                        .build()
                })
                .collect()
        }))
        .set_tags(Some(tag_list(all_tags)))
        .send()
        .await
        .map_err(|e| AwsError::new("CreateFleet", e))?;
    out.fleet_attributes()
        .and_then(|a| a.fleet_id())
        .map(str::to_string)
        .ok_or_else(|| FleetError::Malformed("CreateFleet returned no FleetId".into()))
}

/// Status of every location of a fleet (home and remote) that GameLift lists.
pub async fn locations(c: &Client, fleet_id: &str) -> Result<Vec<LocationStatus>, FleetError> {
    let pages = c
        .describe_fleet_location_attributes()
        .fleet_id(fleet_id)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("DescribeFleetLocationAttributes", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.location_attributes())
        .filter_map(|a| a.location_state())
        .map(|s| LocationStatus {
            location: s.location().unwrap_or_default().to_string(),
            status: s
                .status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
        })
        .collect())
}

/// The fleet's home location plus every remote location.
pub async fn location_names(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<Vec<String>, FleetError> {
    let mut names: BTreeSet<String> = locations(c, fleet_id)
        .await?
        .into_iter()
        .map(|l| l.location)
        .collect();
    names.insert(home.to_string());
    Ok(names.into_iter().collect())
}

fn counts(fc: &aws_sdk_gamelift::types::FleetCapacity) -> Counts {
    let c = fc.instance_counts();
    Counts {
        desired: c.and_then(|c| c.desired()).unwrap_or(0),
        min: c.and_then(|c| c.minimum()).unwrap_or(0),
        max: c.and_then(|c| c.maximum()).unwrap_or(0),
        active: c.and_then(|c| c.active()).unwrap_or(0),
        pending: c.and_then(|c| c.pending()).unwrap_or(0),
    }
}

/// Instance counts per location (home and remote).
pub async fn capacities(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<BTreeMap<String, Counts>, FleetError> {
    let mut out = BTreeMap::new();
    for location in location_names(c, fleet_id, home).await? {
        let result = c
            .describe_fleet_location_capacity()
            .fleet_id(fleet_id)
            .location(&location)
            .send()
            .await;
        match result {
            Ok(r) => {
                if let Some(fc) = r.fleet_capacity() {
                    out.insert(location, counts(fc));
                }
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) => {}
            Err(e) => return Err(AwsError::new("DescribeFleetLocationCapacity", e).into()),
        }
    }
    Ok(out)
}

/// Sets desired/min/max of one location; the home location is set without `Location`.
pub async fn set_capacity(
    c: &Client,
    fleet_id: &str,
    location: &str,
    home: &str,
    t: CapacityTarget,
) -> Result<(), FleetError> {
    let mut req = c
        .update_fleet_capacity()
        .fleet_id(fleet_id)
        .desired_instances(t.desired)
        .min_size(t.min)
        .max_size(t.max);
    if location != home {
        req = req.location(location);
    }
    req.send()
        .await
        .map_err(|e| AwsError::new("UpdateFleetCapacity", e))?;
    Ok(())
}

/// Copies the old fleet's scaling policies to the new fleet (PutScalingPolicy replaces a
/// policy of the same name, so a repeat is harmless). Returns the names copied.
/// Suspends on `to` the fleet actions suspended on `from` (StopFleetActions), location by
/// location; returns `LOCATION ACTION` for each.
pub async fn copy_stopped_actions(
    c: &Client,
    from: &str,
    to: &str,
    home: &str,
) -> Result<Vec<String>, FleetError> {
    let mut stopped: Vec<(String, Vec<FleetAction>)> = Vec::new();
    if let Some(f) = fleet(c, from).await? {
        stopped.push((home.to_string(), f.stopped_actions().to_vec()));
    }
    let pages = c
        .describe_fleet_location_attributes()
        .fleet_id(from)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("DescribeFleetLocationAttributes", e))?;
    for l in pages.iter().flat_map(|p| p.location_attributes()) {
        if let Some(name) = l.location_state().and_then(|s| s.location()) {
            if name != home {
                stopped.push((name.to_string(), l.stopped_actions().to_vec()));
            }
        }
    }
    let new_locations = location_names(c, to, home).await?;
    let mut done = Vec::new();
    for (location, actions) in stopped {
        if actions.is_empty() || !new_locations.contains(&location) {
            continue;
        }
        let request = c
            .stop_fleet_actions()
            .fleet_id(to)
            .set_actions(Some(actions.clone()));
        let request = if location == home {
            request
        } else {
            request.location(&location)
        };
        request
            .send()
            .await
            .map_err(|e| AwsError::new("StopFleetActions", e))?;
        done.extend(actions.iter().map(|a| format!("{location} {}", a.as_str())));
    }
    Ok(done)
}

pub async fn copy_scaling_policies(
    c: &Client,
    from: &str,
    to: &str,
) -> Result<Vec<String>, FleetError> {
    let pages = c
        .describe_scaling_policies()
        .fleet_id(from)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("DescribeScalingPolicies", e))?;
    let mut copied = BTreeSet::new();
    for p in pages.iter().flat_map(|p| p.scaling_policies()) {
        let Some(name) = p.name() else { continue };
        if p.status().is_some_and(|s| s.as_str().starts_with("DELET"))
            || !copied.insert(name.to_string())
        {
            continue;
        }
        c.put_scaling_policy()
            .fleet_id(to)
            .name(name)
            .set_metric_name(p.metric_name().cloned())
            .set_policy_type(p.policy_type().cloned())
            .set_target_configuration(p.target_configuration().cloned())
            .set_scaling_adjustment(p.scaling_adjustment())
            .set_scaling_adjustment_type(p.scaling_adjustment_type().cloned())
            .set_threshold(p.threshold())
            .set_comparison_operator(p.comparison_operator().cloned())
            .set_evaluation_periods(p.evaluation_periods())
            .send()
            .await
            .map_err(|e| AwsError::new("PutScalingPolicy", e))?;
    }
    Ok(copied.into_iter().collect())
}

/// Statuses of every game session of a fleet in every one of its locations, paging through all.
pub async fn session_statuses(
    c: &Client,
    fleet_id: &str,
    home: &str,
) -> Result<Vec<String>, FleetError> {
    let mut seen = BTreeMap::new();
    for location in location_names(c, fleet_id, home).await? {
        let pages = c
            .describe_game_sessions()
            .fleet_id(fleet_id)
            .location(&location)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::new("DescribeGameSessions", e))?;
        for s in pages.iter().flat_map(|p| p.game_sessions()) {
            let id = s.game_session_id().unwrap_or_default().to_string();
            seen.insert(
                id,
                s.status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            );
        }
    }
    Ok(seen.into_values().collect())
}

/// Places the smoke-test game session (one player slot) directly on a fleet; returns its id.
/// CreateGameSession for the smoke test in `location`; `Ok(None)` when GameLift has no
/// server process ready there yet (FleetCapacityExceeded), which a later poll retries.
pub async fn create_smoke_session(
    c: &Client,
    fleet_id: &str,
    location: &str,
    idempotency_token: &str,
) -> Result<Option<String>, FleetError> {
    let sent = c
        .create_game_session()
        .fleet_id(fleet_id)
        .location(location)
        .maximum_player_session_count(1)
        .name(SMOKE_SESSION_NAME)
        // Required on fleets with a ResourceCreationLimitPolicy.
        .creator_id(SMOKE_SESSION_NAME)
        .idempotency_token(idempotency_token)
        .send()
        .await;
    let out = match sent {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_fleet_capacity_exceeded_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(AwsError::new("CreateGameSession", e).into()),
    };
    out.game_session()
        .and_then(|s| s.game_session_id())
        .map(|id| Some(id.to_string()))
        .ok_or_else(|| FleetError::Malformed("CreateGameSession returned no GameSessionId".into()))
}

/// The name of every smoke-test game session.
pub const SMOKE_SESSION_NAME: &str = "hangar-smoke-test";

/// A game session's status and status reason (`MISSING` when GameLift does not list it).
pub async fn game_session_status(
    c: &Client,
    game_session_id: &str,
) -> Result<(String, Option<String>), FleetError> {
    let described = c
        .describe_game_sessions()
        .game_session_id(game_session_id)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeGameSessions", e))?;
    let session = described.game_sessions().first();
    let status = session
        .and_then(|s| s.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "MISSING".into());
    let reason = session
        .and_then(|s| s.status_reason())
        .map(|r| r.as_str().to_string());
    Ok((status, reason))
}

/// Ends a game session at once (FORCE_TERMINATE).
pub async fn force_terminate_game_session(
    c: &Client,
    game_session_id: &str,
) -> Result<(), FleetError> {
    c.terminate_game_session()
        .game_session_id(game_session_id)
        .termination_mode(TerminationMode::ForceTerminate)
        .send()
        .await
        .map_err(|e| AwsError::new("TerminateGameSession", e))?;
    Ok(())
}

pub async fn delete_fleet(c: &Client, fleet_id: &str) -> Result<(), FleetError> {
    match c.delete_fleet().fleet_id(fleet_id).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::new("DeleteFleet", e).into()),
    }
}

pub async fn delete_build(c: &Client, build_id: &str) -> Result<(), FleetError> {
    match c.delete_build().build_id(build_id).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::new("DeleteBuild", e).into()),
    }
}
