//! GameLift operations: validate the request members, change the [`State`], build the
//! response members. Wire-format neutral (see `wire`). One module per resource; this
//! module only names the operations and dispatches each to its resource.

pub mod aliases;
pub mod builds;
pub mod context;
pub mod fleets;
pub mod game_sessions;
pub mod members;
pub mod placements;
pub mod player_sessions;
pub mod queues;
pub mod scaling;
pub mod search;
pub mod tags;

pub use context::{Ctx, UploadCredentials};

use crate::error::{ApiError, ApiResult};
use crate::model::State;
use crate::wire::Input;
use serde_json::Value;

/// The GameLift operations the emulator implements (the others answer
/// UnknownOperationException naming them).
pub const OPERATIONS: &[&str] = &[
    "CreateBuild",
    "DescribeBuild",
    "ListBuilds",
    "UpdateBuild",
    "DeleteBuild",
    "RequestUploadCredentials",
    "CreateFleet",
    "ListFleets",
    "DescribeFleetAttributes",
    "UpdateFleetAttributes",
    "DescribeFleetLocationAttributes",
    "DescribeFleetCapacity",
    "DescribeFleetLocationCapacity",
    "UpdateFleetCapacity",
    "DescribeFleetUtilization",
    "DescribeFleetEvents",
    "DescribeInstances",
    "DescribeRuntimeConfiguration",
    "StopFleetActions",
    "StartFleetActions",
    "DeleteFleet",
    "PutScalingPolicy",
    "DescribeScalingPolicies",
    "DeleteScalingPolicy",
    "CreateAlias",
    "DescribeAlias",
    "UpdateAlias",
    "ListAliases",
    "ResolveAlias",
    "DeleteAlias",
    "CreateGameSessionQueue",
    "DescribeGameSessionQueues",
    "UpdateGameSessionQueue",
    "DeleteGameSessionQueue",
    "StartGameSessionPlacement",
    "DescribeGameSessionPlacement",
    "StopGameSessionPlacement",
    "CreateGameSession",
    "DescribeGameSessions",
    "DescribeGameSessionDetails",
    "SearchGameSessions",
    "UpdateGameSession",
    "TerminateGameSession",
    "CreatePlayerSession",
    "CreatePlayerSessions",
    "DescribePlayerSessions",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

pub fn dispatch(s: &mut State, c: &Ctx<'_>, op: &str, body: &Value) -> ApiResult<Value> {
    let i = &Input::new(body);
    match op {
        "CreateBuild" => builds::create_build(s, c, i),
        "DescribeBuild" => builds::describe_build(s, i),
        "ListBuilds" => builds::list_builds(s, i),
        "UpdateBuild" => builds::update_build(s, i),
        "DeleteBuild" => builds::delete_build(s, i),
        "RequestUploadCredentials" => builds::request_upload_credentials(s, c, i),
        "CreateFleet" => fleets::create_fleet(s, c, i),
        "ListFleets" => fleets::list_fleets(s, i),
        "DescribeFleetAttributes" => fleets::describe_fleet_attributes(s, i),
        "UpdateFleetAttributes" => fleets::update_fleet_attributes(s, i),
        "DescribeFleetUtilization" => fleets::describe_fleet_utilization(s, i),
        "DescribeFleetEvents" => fleets::describe_fleet_events(s, i),
        "DescribeInstances" => fleets::describe_instances(s, i),
        "StopFleetActions" => fleets::fleet_actions(s, i, true),
        "StartFleetActions" => fleets::fleet_actions(s, i, false),
        "DescribeFleetCapacity" => fleets::describe_fleet_capacity(s, i),
        "DescribeFleetLocationAttributes" => fleets::describe_fleet_locations(s, i),
        "DescribeFleetLocationCapacity" => fleets::describe_fleet_location_capacity(s, i),
        "UpdateFleetCapacity" => fleets::update_capacity(s, c, i),
        "DescribeRuntimeConfiguration" => fleets::describe_runtime_configuration(s, i),
        "DeleteFleet" => fleets::delete_fleet(s, c, i),
        "PutScalingPolicy" => scaling::put_scaling_policy(s, i),
        "DescribeScalingPolicies" => scaling::describe_scaling_policies(s, i),
        "DeleteScalingPolicy" => scaling::delete_scaling_policy(s, i),
        "CreateAlias" => aliases::create_alias(s, c, i),
        "DescribeAlias" => aliases::describe_alias(s, i),
        "UpdateAlias" => aliases::update_alias(s, c, i),
        "ListAliases" => aliases::list_aliases(s, i),
        "ResolveAlias" => aliases::resolve_alias(s, i),
        "DeleteAlias" => aliases::delete_alias(s, i),
        "CreateGameSessionQueue" => queues::create_queue(s, c, i),
        "DescribeGameSessionQueues" => queues::describe_queues(s, i),
        "UpdateGameSessionQueue" => queues::update_queue(s, i),
        "DeleteGameSessionQueue" => queues::delete_queue(s, i),
        "StartGameSessionPlacement" => placements::start_placement(s, c, i),
        "DescribeGameSessionPlacement" => placements::describe_game_session_placement(s, i),
        "StopGameSessionPlacement" => placements::stop_placement(s, c, i),
        "CreateGameSession" => game_sessions::create_game_session(s, c, i),
        "DescribeGameSessions" => game_sessions::describe_game_sessions(s, i),
        "DescribeGameSessionDetails" => game_sessions::describe_game_session_details(s, i),
        "SearchGameSessions" => search::search_game_sessions(s, i),
        "UpdateGameSession" => game_sessions::update_game_session(s, i),
        "TerminateGameSession" => game_sessions::terminate_game_session(s, c, i),
        "CreatePlayerSession" => player_sessions::create_player_session(s, c, i),
        "CreatePlayerSessions" => player_sessions::create_player_sessions(s, c, i),
        "DescribePlayerSessions" => player_sessions::describe_player_sessions(s, i),
        "TagResource" => tags::tag_resource(s, i),
        "UntagResource" => tags::untag_resource(s, i),
        "ListTagsForResource" => tags::list_tags_for_resource(s, i),
        other => Err(ApiError::unknown_operation(other)),
    }
}
