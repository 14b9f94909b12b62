//! The replacement request (the execution input) and its validation into a [`Config`]
//! with every default filled in. Pure: no AWS, no clock.
//!
//! Every refusal names the field, so the operator knows what to fix.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tag key put on every build and fleet a replacement creates; its value is the
/// replacement id. Resume finds what an earlier run created by this tag.
pub const REPLACEMENT_TAG: &str = "hangar:replacement-id";
/// Tag key naming the alias a replacement fleet was created for.
pub const ALIAS_TAG: &str = "hangar:alias-id";

/// The execution input as the operator (or `hangar fleet replace`) sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplacementRequest {
    pub alias_id: String,
    /// The fleet the alias routes to now; resolved from the alias when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// `{"BuildId": "build-..."}` to reuse a build, or CreateBuild's JSON
    /// (`Name`, `Version`, `OperatingSystem`, `StorageLocation`).
    pub build: serde_json::Value,
    /// CreateFleet's JSON (`aws gamelift create-fleet --generate-cli-skeleton`, filled
    /// in); a `BuildId` in it is replaced by the new build's id.
    pub fleet: serde_json::Value,
    /// Explicit per-location capacity; when left out the old fleet's is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<BTreeMap<String, CapacityTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout_seconds: Option<u64>,
    /// Drain and scale the old fleet to zero, but do not delete it.
    #[serde(default)]
    pub keep_old_fleet: bool,
    /// Do not copy the old fleet's scaling policies and suspended actions.
    #[serde(default)]
    pub no_scaling_policies: bool,
    /// Validate and return the plan; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Identifies the replacement across runs (resume); derived from the request when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_id: Option<String>,
    /// Poll intervals and stage timeouts, in seconds.
    #[serde(default)]
    pub poll: PollRequest,
}

/// Per-location capacity: desired, minimum and maximum instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityTarget {
    pub desired: i32,
    pub min: i32,
    pub max: i32,
}

/// Optional poll settings in the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    #[serde(default)]
    pub intervals: StageSeconds,
    #[serde(default)]
    pub timeouts: StageSeconds,
}

/// Seconds per polling stage; `None` takes the default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSeconds {
    pub build: Option<u64>,
    pub fleet: Option<u64>,
    pub capacity: Option<u64>,
    pub smoke: Option<u64>,
    pub drain: Option<u64>,
}

/// Seconds per polling stage, every value set. The state machine's Wait states read
/// `$.validated.config.intervals.<stage>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seconds {
    pub build: u64,
    pub fleet: u64,
    pub capacity: u64,
    pub smoke: u64,
    pub drain: u64,
}

pub const DEFAULT_INTERVALS: Seconds = Seconds {
    build: 15,
    fleet: 30,
    capacity: 15,
    smoke: 5,
    drain: 30,
};
/// Fleet activation on GameLift takes tens of minutes; builds and capacity less.
pub const DEFAULT_TIMEOUTS: Seconds = Seconds {
    build: 1800,
    fleet: 5400,
    capacity: 1800,
    smoke: 600,
    drain: 3600,
};
/// Longest wait between two polls (a Wait state longer than this hides progress).
pub const MAX_INTERVAL_SECONDS: u64 = 3600;
/// Longest stage timeout accepted (Step Functions executions last at most a year; a week is plenty).
pub const MAX_TIMEOUT_SECONDS: u64 = 7 * 24 * 3600;

/// Where the new build comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BuildSource {
    /// Reuse a build already uploaded.
    Existing { build_id: String },
    /// Create a build from an S3 location.
    Upload(BuildUpload),
}

/// CreateBuild's members (every one of them: `aws gamelift create-build
/// --generate-cli-skeleton`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BuildUpload {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    pub storage_location: S3Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_sdk_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_version: Option<String>,
}

/// CreateFleet's members (GameLift's JSON names), every one the API accepts: passed
/// through to CreateFleet. `BuildId` is replaced by the new build's id; the members that
/// cannot work for a replacement from a build are refused by [`parse_request`]:
/// `ScriptId` (a Realtime script fleet), `ComputeType: ANYWHERE` and
/// `AnywhereConfiguration` (an Anywhere fleet runs on the operator's own compute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FleetSpec {
    pub name: String,
    /// The skeleton's (or the old fleet's) build: replaced by the new build's id.
    #[serde(default, rename = "BuildId", skip_serializing)]
    pub replaced_build_id: Option<String>,
    #[serde(default, rename = "ScriptId", skip_serializing)]
    pub script_id: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_launch_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_launch_parameters: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_vpc_aws_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_configuration: Option<CertificateConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_type: Option<String>,
    #[serde(default, rename = "AnywhereConfiguration", skip_serializing)]
    pub anywhere_configuration: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_role_credentials_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_gateway_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_gateway_configuration: Option<PlayerGatewayConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "EC2InstanceType")]
    pub ec2_instance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_type: Option<String>,
    #[serde(
        default,
        rename = "EC2InboundPermissions",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ec2_inbound_permissions: Vec<IpPermission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_game_session_protection_policy: Option<String>,
    /// Required unless the deprecated `ServerLaunchPath` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_configuration: Option<RuntimeConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_creation_limit_policy: Option<ResourceCreationLimitPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<LocationConfiguration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CertificateConfiguration {
    pub certificate_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PlayerGatewayConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_server_ip_protocol_supported: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpPermission {
    pub from_port: i32,
    pub to_port: i32,
    pub ip_range: String,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuntimeConfiguration {
    pub server_processes: Vec<ServerProcess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_game_session_activations: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_session_activation_timeout_seconds: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ServerProcess {
    pub launch_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<String>,
    pub concurrent_executions: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ResourceCreationLimitPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_game_sessions_per_creator: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_period_in_minutes: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LocationConfiguration {
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The validated request with every default filled in. Carried through the execution
/// at `$.validated.config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub replacement_id: String,
    pub alias_id: String,
    pub fleet_id: Option<String>,
    pub build: BuildSource,
    pub fleet: FleetSpec,
    pub capacity: Option<BTreeMap<String, CapacityTarget>>,
    pub keep_old_fleet: bool,
    /// Copy the old fleet's scaling policies and suspended actions (with explicit
    /// capacity too), unless the request says `no_scaling_policies`.
    pub copy_scaling_policies: bool,
    pub dry_run: bool,
    pub intervals: Seconds,
    pub timeouts: Seconds,
}

impl Config {
    /// The tags put on every build and fleet this replacement creates.
    pub fn workflow_tags(&self) -> Vec<(String, String)> {
        vec![
            (REPLACEMENT_TAG.to_string(), self.replacement_id.clone()),
            (ALIAS_TAG.to_string(), self.alias_id.clone()),
        ]
    }
}

/// A request the workflow refuses, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses the raw execution input.
pub fn parse_request(input: &serde_json::Value) -> Result<ReplacementRequest, FieldError> {
    if !input.is_object() {
        return Err(field_error("input", "must be a JSON object"));
    }
    serde_json::from_value(input.clone()).map_err(|e| field_error("input", e.to_string()))
}

/// Validates a request into a [`Config`]. `home_region` is the region the workflow
/// runs in (the new fleet's home location).
pub fn validate_request(req: &ReplacementRequest, home_region: &str) -> Result<Config, FieldError> {
    check_id("alias_id", &req.alias_id, "alias-")?;
    if let Some(fleet_id) = &req.fleet_id {
        check_id("fleet_id", fleet_id, "fleet-")?;
    }
    let build = parse_build(&req.build)?;
    let fleet = parse_fleet(&req.fleet)?;
    let mut fleet_locations: BTreeSet<&str> = fleet
        .locations
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    fleet_locations.insert(home_region);
    if let Some(capacity) = &req.capacity {
        if capacity.is_empty() {
            return Err(field_error(
                "capacity",
                "names no location; leave it out to match the old fleet",
            ));
        }
        for (location, target) in capacity {
            let field = format!("capacity.{location}");
            if !fleet_locations.contains(location.as_str()) {
                return Err(field_error(
                    field,
                    format!(
                        "the new fleet has no location {location} (its locations: {})",
                        join(&fleet_locations)
                    ),
                ));
            }
            if target.min < 0 || target.desired < target.min || target.max < target.desired {
                return Err(field_error(field, "needs 0 <= min <= desired <= max"));
            }
        }
    }
    let intervals = fill(
        "poll.intervals",
        &req.poll.intervals,
        DEFAULT_INTERVALS,
        1,
        MAX_INTERVAL_SECONDS,
    )?;
    let mut timeouts = fill(
        "poll.timeouts",
        &req.poll.timeouts,
        DEFAULT_TIMEOUTS,
        1,
        MAX_TIMEOUT_SECONDS,
    )?;
    if let Some(drain) = req.drain_timeout_seconds {
        if drain > MAX_TIMEOUT_SECONDS {
            return Err(field_error(
                "drain_timeout_seconds",
                format!("must be at most {MAX_TIMEOUT_SECONDS}"),
            ));
        }
        timeouts.drain = drain;
    }
    let replacement_id = match &req.replacement_id {
        Some(id) => {
            if id.is_empty()
                || id.len() > 64
                || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(field_error(
                    "replacement_id",
                    "must be 1 to 64 letters, digits or '-'",
                ));
            }
            id.clone()
        }
        None => derive_replacement_id(&req.alias_id, &build, &fleet),
    };
    Ok(Config {
        replacement_id,
        alias_id: req.alias_id.clone(),
        fleet_id: req.fleet_id.clone(),
        build,
        fleet,
        capacity: req.capacity.clone(),
        keep_old_fleet: req.keep_old_fleet,
        copy_scaling_policies: !req.no_scaling_policies,
        dry_run: req.dry_run,
        intervals,
        timeouts,
    })
}

/// The same alias, build and fleet always give the same id, so running the same
/// request again resumes it instead of starting a second replacement.
pub fn derive_replacement_id(alias_id: &str, build: &BuildSource, fleet: &FleetSpec) -> String {
    let canonical = serde_json::to_string(&(alias_id, build, fleet)).unwrap_or_default();
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("r-{hex}")
}

fn check_id(field: &str, value: &str, prefix: &str) -> Result<(), FieldError> {
    let ok = value.starts_with(prefix)
        && value.len() > prefix.len()
        && value.len() <= 128
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(field_error(
            field,
            format!("{value:?} is not a GameLift id of the form {prefix}..."),
        ))
    }
}

fn parse_build(value: &serde_json::Value) -> Result<BuildSource, FieldError> {
    let Some(object) = value.as_object() else {
        return Err(field_error(
            "build",
            "must be a JSON object: {\"BuildId\": ...} or CreateBuild's JSON",
        ));
    };
    if let Some(id) = object.get("BuildId") {
        if object.len() > 1 {
            return Err(field_error(
                "build",
                "BuildId reuses a build; give no other field with it",
            ));
        }
        let Some(id) = id.as_str() else {
            return Err(field_error("build.BuildId", "must be a string"));
        };
        check_id("build.BuildId", id, "build-")?;
        return Ok(BuildSource::Existing {
            build_id: id.to_string(),
        });
    }
    let upload: BuildUpload =
        serde_json::from_value(value.clone()).map_err(|e| field_error("build", e.to_string()))?;
    non_empty("build.Name", &upload.name, 1024)?;
    non_empty("build.Version", &upload.version, 1024)?;
    non_empty(
        "build.StorageLocation.Bucket",
        &upload.storage_location.bucket,
        63,
    )?;
    non_empty(
        "build.StorageLocation.Key",
        &upload.storage_location.key,
        1024,
    )?;
    if !upload.storage_location.role_arn.starts_with("arn:") {
        return Err(field_error(
            "build.StorageLocation.RoleArn",
            "must be an IAM role ARN GameLift may assume",
        ));
    }
    check_tags("build.Tags", &upload.tags)?;
    Ok(BuildSource::Upload(upload))
}

fn parse_fleet(value: &serde_json::Value) -> Result<FleetSpec, FieldError> {
    let Some(object) = value.as_object() else {
        return Err(field_error(
            "fleet",
            "must be a JSON object with CreateFleet's fields",
        ));
    };
    if object.contains_key("ScriptId") {
        return Err(field_error(
            "fleet.ScriptId",
            "a fleet on a Realtime script is not replaced from a build; remove ScriptId",
        ));
    }
    if object.contains_key("AnywhereConfiguration") {
        return Err(field_error(
            "fleet.AnywhereConfiguration",
            "an Anywhere fleet runs on your own compute, which a replacement cannot create, \
             scale or smoke-test; remove it",
        ));
    }
    let spec: FleetSpec =
        serde_json::from_value(value.clone()).map_err(|e| field_error("fleet", e.to_string()))?;
    non_empty("fleet.Name", &spec.name, 1024)?;
    non_empty("fleet.EC2InstanceType", &spec.ec2_instance_type, 64)?;
    if let Some(id) = &spec.replaced_build_id {
        // Any value is replaced; a non-string is a mistake worth naming.
        if id.len() > 128 {
            return Err(field_error(
                "fleet.BuildId",
                "must be at most 128 characters",
            ));
        }
    }
    for (field, value, max) in [
        ("fleet.Description", &spec.description, 1024),
        ("fleet.ServerLaunchPath", &spec.server_launch_path, 1024),
        (
            "fleet.ServerLaunchParameters",
            &spec.server_launch_parameters,
            1024,
        ),
        (
            "fleet.PeerVpcAwsAccountId",
            &spec.peer_vpc_aws_account_id,
            1024,
        ),
        ("fleet.PeerVpcId", &spec.peer_vpc_id, 1024),
        ("fleet.InstanceRoleArn", &spec.instance_role_arn, 1024),
    ] {
        if let Some(v) = value {
            non_empty(field, v, max).map_err(|e| {
                field_error(e.field, format!("{}: fill it in or remove it", e.reason))
            })?;
        }
    }
    for (i, p) in spec.log_paths.iter().enumerate() {
        non_empty(&format!("fleet.LogPaths[{i}]"), p, 1024)?;
    }
    if spec.peer_vpc_id.is_some() != spec.peer_vpc_aws_account_id.is_some() {
        return Err(field_error(
            if spec.peer_vpc_id.is_some() {
                "fleet.PeerVpcAwsAccountId"
            } else {
                "fleet.PeerVpcId"
            },
            "VPC peering needs both PeerVpcId and PeerVpcAwsAccountId",
        ));
    }
    one_of("fleet.ComputeType", &spec.compute_type, &["EC2"]).map_err(|e| {
        if spec.compute_type.as_deref() == Some("ANYWHERE") {
            field_error(
                "fleet.ComputeType",
                "ANYWHERE fleets run on your own compute, which a replacement cannot create, \
                 scale or smoke-test; use EC2 or remove it",
            )
        } else {
            e
        }
    })?;
    one_of(
        "fleet.CertificateConfiguration.CertificateType",
        &spec
            .certificate_configuration
            .as_ref()
            .map(|c| c.certificate_type.clone()),
        &["DISABLED", "GENERATED"],
    )?;
    one_of(
        "fleet.InstanceRoleCredentialsProvider",
        &spec.instance_role_credentials_provider,
        &["SHARED_CREDENTIAL_FILE"],
    )?;
    one_of(
        "fleet.PlayerGatewayMode",
        &spec.player_gateway_mode,
        &["DISABLED", "ENABLED", "REQUIRED"],
    )?;
    one_of(
        "fleet.PlayerGatewayConfiguration.GameServerIpProtocolSupported",
        &spec
            .player_gateway_configuration
            .as_ref()
            .and_then(|c| c.game_server_ip_protocol_supported.clone()),
        &["IPv4", "DUAL_STACK"],
    )?;
    let processes = match (&spec.runtime_configuration, &spec.server_launch_path) {
        (Some(r), _) => r.server_processes.as_slice(),
        (None, Some(_)) => &[],
        (None, None) => {
            return Err(field_error(
                "fleet.RuntimeConfiguration",
                "is required (or the deprecated ServerLaunchPath)",
            ))
        }
    };
    if spec.runtime_configuration.is_some() && (processes.is_empty() || processes.len() > 50) {
        return Err(field_error(
            "fleet.RuntimeConfiguration.ServerProcesses",
            "needs 1 to 50 entries",
        ));
    }
    for (i, p) in processes.iter().enumerate() {
        non_empty(
            &format!("fleet.RuntimeConfiguration.ServerProcesses[{i}].LaunchPath"),
            &p.launch_path,
            1024,
        )?;
        if p.concurrent_executions < 1 {
            return Err(field_error(
                format!("fleet.RuntimeConfiguration.ServerProcesses[{i}].ConcurrentExecutions"),
                "must be at least 1",
            ));
        }
    }
    for (i, p) in spec.ec2_inbound_permissions.iter().enumerate() {
        let field = format!("fleet.EC2InboundPermissions[{i}]");
        if !(1..=60000).contains(&p.from_port)
            || !(1..=60000).contains(&p.to_port)
            || p.from_port > p.to_port
        {
            return Err(field_error(field, "needs 1 <= FromPort <= ToPort <= 60000"));
        }
        if p.protocol != "TCP" && p.protocol != "UDP" {
            return Err(field_error(
                format!("{field}.Protocol"),
                "must be TCP or UDP",
            ));
        }
    }
    if let Some(t) = &spec.fleet_type {
        if t != "ON_DEMAND" && t != "SPOT" {
            return Err(field_error("fleet.FleetType", "must be ON_DEMAND or SPOT"));
        }
    }
    if let Some(p) = &spec.new_game_session_protection_policy {
        if p != "NoProtection" && p != "FullProtection" {
            return Err(field_error(
                "fleet.NewGameSessionProtectionPolicy",
                "must be NoProtection or FullProtection",
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, l) in spec.locations.iter().enumerate() {
        non_empty(&format!("fleet.Locations[{i}].Location"), &l.location, 64)?;
        if !seen.insert(l.location.as_str()) {
            return Err(field_error(
                format!("fleet.Locations[{i}]"),
                format!("{} is listed twice", l.location),
            ));
        }
    }
    check_tags("fleet.Tags", &spec.tags)?;
    Ok(spec)
}

fn check_tags(field: &str, tags: &[Tag]) -> Result<(), FieldError> {
    for (i, t) in tags.iter().enumerate() {
        non_empty(&format!("{field}[{i}].Key"), &t.key, 128)?;
        if t.value.len() > 256 {
            return Err(field_error(
                format!("{field}[{i}].Value"),
                "must be at most 256 characters",
            ));
        }
        if t.key.starts_with("hangar:") {
            return Err(field_error(
                format!("{field}[{i}].Key"),
                "keys starting with hangar: are set by the workflow",
            ));
        }
    }
    Ok(())
}

/// `value`, when given, is one of `allowed`.
fn one_of(field: &str, value: &Option<String>, allowed: &[&str]) -> Result<(), FieldError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(field_error(
            field,
            format!("{v:?} is not one of {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

fn non_empty(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        Err(field_error(field, "must not be empty"))
    } else if value.len() > max {
        Err(field_error(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

fn fill(
    field: &str,
    given: &StageSeconds,
    defaults: Seconds,
    min: u64,
    max: u64,
) -> Result<Seconds, FieldError> {
    let pick = |name: &str, v: Option<u64>, d: u64| -> Result<u64, FieldError> {
        let v = v.unwrap_or(d);
        if v < min || v > max {
            Err(field_error(
                format!("{field}.{name}"),
                format!("must be between {min} and {max} seconds"),
            ))
        } else {
            Ok(v)
        }
    };
    Ok(Seconds {
        build: pick("build", given.build, defaults.build)?,
        fleet: pick("fleet", given.fleet, defaults.fleet)?,
        capacity: pick("capacity", given.capacity, defaults.capacity)?,
        smoke: pick("smoke", given.smoke, defaults.smoke)?,
        drain: pick("drain", given.drain, defaults.drain)?,
    })
}

fn join(set: &BTreeSet<&str>) -> String {
    set.iter().copied().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn fleet_json() -> serde_json::Value {
        json!({
            "Name": "arena-v2",
            "EC2InstanceType": "c5.large",
            "EC2InboundPermissions": [{"FromPort": 7777, "ToPort": 7780, "IpRange": "0.0.0.0/0", "Protocol": "UDP"}],
            "RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 2}]},
            "Locations": [{"Location": "us-west-2"}]
        })
    }

    fn request() -> ReplacementRequest {
        ReplacementRequest {
            alias_id: "alias-1234".into(),
            build: json!({"BuildId": "build-42"}),
            fleet: fleet_json(),
            ..Default::default()
        }
    }

    fn refusal(req: &ReplacementRequest) -> FieldError {
        validate_request(req, "us-east-1").unwrap_err()
    }

    #[test]
    fn defaults_fill_every_interval_and_timeout() {
        let config = validate_request(&request(), "us-east-1").unwrap();
        assert_eq!(config.intervals, DEFAULT_INTERVALS);
        assert_eq!(config.timeouts, DEFAULT_TIMEOUTS);
        assert_eq!(
            config.build,
            BuildSource::Existing {
                build_id: "build-42".into()
            }
        );
        assert!(config.replacement_id.starts_with("r-"));
    }

    #[test]
    fn drain_timeout_and_poll_settings_override_defaults() {
        let mut req = request();
        req.drain_timeout_seconds = Some(90);
        req.poll.intervals.fleet = Some(2);
        req.poll.timeouts.build = Some(60);
        let config = validate_request(&req, "us-east-1").unwrap();
        assert_eq!(config.timeouts.drain, 90);
        assert_eq!(config.intervals.fleet, 2);
        assert_eq!(config.timeouts.build, 60);
        assert_eq!(config.intervals.build, DEFAULT_INTERVALS.build);
    }

    #[test]
    fn same_request_gives_same_replacement_id_and_other_build_another() {
        let a = validate_request(&request(), "us-east-1").unwrap();
        let b = validate_request(&request(), "us-east-1").unwrap();
        assert_eq!(a.replacement_id, b.replacement_id);
        let mut other = request();
        other.build = json!({"BuildId": "build-43"});
        assert_ne!(
            validate_request(&other, "us-east-1")
                .unwrap()
                .replacement_id,
            a.replacement_id
        );
    }

    #[test]
    fn malformed_ids_are_refused_naming_the_field() {
        let mut req = request();
        req.alias_id = "fleet-1".into();
        assert_eq!(refusal(&req).field, "alias_id");
        let mut req = request();
        req.fleet_id = Some("fleet-".into());
        assert_eq!(refusal(&req).field, "fleet_id");
        let mut req = request();
        req.build = json!({"BuildId": 7});
        assert_eq!(refusal(&req).field, "build.BuildId");
    }

    #[test]
    fn build_json_needs_a_complete_s3_location() {
        let mut req = request();
        req.build = json!({"Name": "arena", "Version": "2", "StorageLocation": {"Bucket": "b", "Key": "k.zip", "RoleArn": "arn:aws:iam::1:role/r"}});
        assert!(matches!(
            validate_request(&req, "us-east-1").unwrap().build,
            BuildSource::Upload(_)
        ));
        req.build = json!({"Name": "arena", "Version": "2", "StorageLocation": {"Bucket": "b", "Key": "k.zip"}});
        let e = refusal(&req);
        assert_eq!(e.field, "build");
        assert!(e.reason.contains("RoleArn"), "{e}");
        req.build = json!({"Name": " ", "Version": "2", "StorageLocation": {"Bucket": "b", "Key": "k", "RoleArn": "arn:x"}});
        assert_eq!(refusal(&req).field, "build.Name");
        req.build = json!({"BuildId": "build-1", "Name": "x"});
        assert_eq!(refusal(&req).field, "build");
        req.build = json!("build-1");
        assert_eq!(refusal(&req).field, "build");
    }

    #[test]
    fn a_skeleton_fleet_json_keeps_every_member_and_its_build_id_is_replaced() {
        let mut req = request();
        let mut fleet = fleet_json();
        for (k, v) in json!({
            "BuildId": "build-of-the-old-fleet", "LogPaths": ["/local/game/logs"],
            "PeerVpcAwsAccountId": "111122223333", "PeerVpcId": "vpc-1",
            "CertificateConfiguration": {"CertificateType": "GENERATED"}, "ComputeType": "EC2",
            "InstanceRoleCredentialsProvider": "SHARED_CREDENTIAL_FILE",
            "PlayerGatewayMode": "DISABLED",
            "PlayerGatewayConfiguration": {"GameServerIpProtocolSupported": "IPv4"}
        })
        .as_object()
        .unwrap()
        {
            fleet[k] = v.clone();
        }
        req.fleet = fleet;
        let c = validate_request(&req, "us-east-1").unwrap();
        assert_eq!(c.fleet.peer_vpc_id.as_deref(), Some("vpc-1"));
        assert_eq!(c.fleet.log_paths, vec!["/local/game/logs".to_string()]);
        assert_eq!(
            c.fleet.certificate_configuration.unwrap().certificate_type,
            "GENERATED"
        );
        let carried =
            serde_json::to_value(validate_request(&req, "us-east-1").unwrap().fleet).unwrap();
        assert!(
            carried.get("BuildId").is_none(),
            "the old build id is not carried: {carried}"
        );
        assert_eq!(carried["ComputeType"], "EC2");
        req.build = json!({"Name": "n", "Version": "v", "OperatingSystem": "AMAZON_LINUX_2023",
            "StorageLocation": {"Bucket": "b", "Key": "k", "RoleArn": "arn:aws:iam::1:role/r"},
            "ServerSdkVersion": "5.0.0", "Tags": [{"Key": "team", "Value": "arena"}]});
        let BuildSource::Upload(u) = validate_request(&req, "us-east-1").unwrap().build else {
            panic!()
        };
        assert_eq!(
            u.tags,
            vec![Tag {
                key: "team".into(),
                value: "arena".into()
            }]
        );
    }

    #[test]
    fn fleet_json_refusals_name_the_field() {
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (json!({"ScriptId": "script-1"}), "fleet.ScriptId"),
            (
                json!({"AnywhereConfiguration": {"Cost": "1"}}),
                "fleet.AnywhereConfiguration",
            ),
            (json!({"ComputeType": "ANYWHERE"}), "fleet.ComputeType"),
            (json!({"PeerVpcId": "vpc-1"}), "fleet.PeerVpcAwsAccountId"),
            (
                json!({"PeerVpcId": "", "PeerVpcAwsAccountId": "1"}),
                "fleet.PeerVpcId",
            ),
            (
                json!({"CertificateConfiguration": {"CertificateType": "SELF"}}),
                "fleet.CertificateConfiguration.CertificateType",
            ),
            (
                json!({"PlayerGatewayMode": "ON"}),
                "fleet.PlayerGatewayMode",
            ),
            (
                json!({"Tags": [{"Key": "", "Value": "x"}]}),
                "fleet.Tags[0].Key",
            ),
            (
                json!({"RuntimeConfiguration": null}),
                "fleet.RuntimeConfiguration",
            ),
            (json!({"EC2InstanceType": ""}), "fleet.EC2InstanceType"),
            (
                json!({"RuntimeConfiguration": {"ServerProcesses": []}}),
                "fleet.RuntimeConfiguration.ServerProcesses",
            ),
            (
                json!({"RuntimeConfiguration": {"ServerProcesses": [{"LaunchPath": "/x", "ConcurrentExecutions": 0}]}}),
                "fleet.RuntimeConfiguration.ServerProcesses[0].ConcurrentExecutions",
            ),
            (
                json!({"EC2InboundPermissions": [{"FromPort": 9, "ToPort": 8, "IpRange": "0.0.0.0/0", "Protocol": "TCP"}]}),
                "fleet.EC2InboundPermissions[0]",
            ),
            (
                json!({"EC2InboundPermissions": [{"FromPort": 8, "ToPort": 9, "IpRange": "0.0.0.0/0", "Protocol": "ICMP"}]}),
                "fleet.EC2InboundPermissions[0].Protocol",
            ),
            (
                json!({"Locations": [{"Location": "us-west-2"}, {"Location": "us-west-2"}]}),
                "fleet.Locations[1]",
            ),
            (
                json!({"Tags": [{"Key": "hangar:replacement-id", "Value": "x"}]}),
                "fleet.Tags[0].Key",
            ),
            (json!({"FleetType": "RESERVED"}), "fleet.FleetType"),
            (json!({"Unknown": 1}), "fleet"),
        ];
        for (patch, field) in cases {
            let mut fleet = fleet_json();
            for (k, v) in patch.as_object().unwrap() {
                fleet[k] = v.clone();
            }
            let mut req = request();
            req.fleet = fleet;
            assert_eq!(refusal(&req).field, field, "patch {patch}");
        }
        let mut req = request();
        req.fleet = json!([1]);
        assert_eq!(refusal(&req).field, "fleet");
    }

    #[test]
    fn explicit_capacity_must_name_fleet_locations_and_be_ordered() {
        let mut req = request();
        req.capacity = Some(BTreeMap::from([(
            "us-east-1".into(),
            CapacityTarget {
                desired: 2,
                min: 1,
                max: 4,
            },
        )]));
        assert!(validate_request(&req, "us-east-1").is_ok());
        req.capacity = Some(BTreeMap::from([(
            "eu-west-1".into(),
            CapacityTarget {
                desired: 2,
                min: 1,
                max: 4,
            },
        )]));
        let e = refusal(&req);
        assert_eq!(e.field, "capacity.eu-west-1");
        req.capacity = Some(BTreeMap::from([(
            "us-west-2".into(),
            CapacityTarget {
                desired: 5,
                min: 1,
                max: 4,
            },
        )]));
        assert_eq!(refusal(&req).field, "capacity.us-west-2");
        req.capacity = Some(BTreeMap::new());
        assert_eq!(refusal(&req).field, "capacity");
    }

    #[test]
    fn poll_settings_out_of_range_are_refused() {
        let mut req = request();
        req.poll.intervals.drain = Some(0);
        assert_eq!(refusal(&req).field, "poll.intervals.drain");
        let mut req = request();
        req.poll.timeouts.fleet = Some(MAX_TIMEOUT_SECONDS + 1);
        assert_eq!(refusal(&req).field, "poll.timeouts.fleet");
        let mut req = request();
        req.drain_timeout_seconds = Some(MAX_TIMEOUT_SECONDS + 1);
        assert_eq!(refusal(&req).field, "drain_timeout_seconds");
        let mut req = request();
        req.replacement_id = Some("has space".into());
        assert_eq!(refusal(&req).field, "replacement_id");
    }

    #[test]
    fn input_that_is_not_an_object_or_has_unknown_fields_is_refused() {
        assert_eq!(parse_request(&json!([])).unwrap_err().field, "input");
        let e = parse_request(
            &json!({"alias_id": "alias-1", "build": {}, "fleet": {}, "colour": "red"}),
        )
        .unwrap_err();
        assert!(e.reason.contains("colour"), "{e}");
        let e = parse_request(&json!({"build": {}, "fleet": {}})).unwrap_err();
        assert!(e.reason.contains("alias_id"), "{e}");
    }
}
