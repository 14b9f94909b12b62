//! `hangar fleet`: replace the GameLift fleet behind an alias through the
//! fleet-replacement state machine, showing progress stage by stage (`replace`); follow
//! one (`status`), stop one at a safe point (`cancel`), list an alias's (`list`).
//!
//! Every command speaks to Step Functions through the SDK, so `AWS_ENDPOINT_URL_SFN`
//! selects a local endpoint (`hangar dev` prints it) exactly as the default selects AWS.
//! `--local` starts a local endpoint in this process for one run (Ctrl-C then cancels
//! the replacement, which cannot outlive the endpoint).
//!
//! Exit codes (one meaning each, for every command): [`view::code`].

mod aws;
mod cancel;
mod error;
mod list;
mod local;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use hangar_fleet::request::CapacityTarget;
use serde_json::{json, Value};

pub use aws::{
    attempt_name, follow_execution, is_attempt_of, replace as replace_aws, Follow, Target,
};
pub use error::FleetCliError;
pub use list::Listed;
pub use local::{replace as replace_local, sfn_client, start_engine, Pauses, STATE_MACHINE_NAME};
pub use view::{code, exit_code, Update};

#[derive(Subcommand, Debug)]
pub enum FleetCommand {
    /// Replace the fleet behind an alias with a fleet on a new build.
    Replace(ReplaceArgs),
    /// Follow (or show) a replacement execution.
    Status(StatusArgs),
    /// Stop a running replacement at a safe point (rolls back before the alias swap).
    Cancel(CancelArgs),
    /// The replacements of an alias, running and past.
    List(ListArgs),
}

/// Where the state machine and its lock table are.
#[derive(Args, Debug, Clone)]
pub struct MachineArgs {
    /// AWS region of the fleet and the state machine.
    #[arg(short = 'r', long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// The deployed state machine (output FleetReplacementStateMachineArn).
    #[arg(long = "state-machine-arn", env = "HANGAR_FLEET_STATE_MACHINE_ARN")]
    pub state_machine_arn: Option<String>,
    /// The alias lock table (output FleetReplacementLockTableName).
    #[arg(
        long = "lock-table",
        env = "FLEET_LOCK_TABLE",
        default_value = "hangar-fleet-replacement-locks"
    )]
    pub lock_table: String,
}

#[derive(Args, Debug, Clone)]
pub struct ReplaceArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// The fleet the alias routes to now (resolved from the alias when left out).
    #[arg(short = 'f', long = "fleet-id")]
    pub fleet_id: Option<String>,
    /// The alias to move to the new fleet.
    #[arg(short = 'a', long = "alias-id")]
    pub alias_id: String,
    /// CreateBuild JSON (Name, Version, OperatingSystem, StorageLocation) or {"BuildId": ...};
    /// inline JSON or a file path (`-bj` is accepted too).
    #[arg(long = "build-json", value_name = "JSON|FILE")]
    pub build_json: String,
    /// CreateFleet JSON without BuildId; inline JSON or a file path (`-fj` is accepted too).
    #[arg(long = "fleet-json", value_name = "JSON|FILE")]
    pub fleet_json: String,
    /// Explicit capacity per location, LOCATION=DESIRED/MIN/MAX (repeatable); default:
    /// match the old fleet's capacity. Scaling policies are copied either way.
    #[arg(long = "capacity", value_name = "LOCATION=D/MIN/MAX")]
    pub capacity: Vec<String>,
    /// Seconds to wait for the old fleet's game sessions to end.
    #[arg(long = "drain-timeout", value_name = "SECONDS")]
    pub drain_timeout: Option<u64>,
    /// Drain and scale the old fleet to zero but do not delete it.
    #[arg(long = "keep-old-fleet")]
    pub keep_old_fleet: bool,
    /// Do not copy the old fleet's scaling policies and suspended actions.
    #[arg(long = "no-scaling-policies")]
    pub no_scaling_policies: bool,
    /// Validate and print the plan; change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Start a local Step Functions endpoint in this process for this run (the stages
    /// use the local stack's endpoints; the lock table is created when missing). It ends
    /// with the command, so Ctrl-C cancels the replacement instead of detaching.
    #[arg(long)]
    pub local: bool,
    /// Reuse the id of an earlier run to resume it (default: derived from the request).
    #[arg(long = "replacement-id")]
    pub replacement_id: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// Execution ARN printed by `hangar fleet replace`.
    pub execution: String,
    #[arg(short = 'r', long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// Print the current state and exit instead of following the execution.
    #[arg(long)]
    pub once: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CancelArgs {
    /// Execution ARN printed by `hangar fleet replace` (or `hangar fleet list`).
    pub execution: String,
    #[command(flatten)]
    pub machine: MachineArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    /// The alias whose replacements to list.
    #[arg(short = 'a', long = "alias-id")]
    pub alias_id: String,
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// deployment.py's two-letter flags `-bj`/`-fj`, rewritten to their long forms before parsing.
pub fn legacy_flags<I: IntoIterator<Item = std::ffi::OsString>>(
    args: I,
) -> Vec<std::ffi::OsString> {
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-bj") => "--build-json".into(),
            Some("-fj") => "--fleet-json".into(),
            _ => a,
        })
        .collect()
}

/// Runs a fleet subcommand; returns the process exit code.
pub async fn run(command: FleetCommand) -> Result<u8, FleetCliError> {
    match command {
        FleetCommand::Replace(args) => {
            let input = request(&args)?;
            let sdk = sdk_config(args.machine.region.clone()).await;
            if args.local {
                local::replace(&sdk, &args.machine.lock_table, &input, Pauses::default()).await
            } else {
                let sfn = aws_sdk_sfn::Client::new(&sdk);
                let target = target(&args.machine, &sdk, &sfn)?;
                aws::replace(&target, &input, Follow::Detachable).await
            }
        }
        FleetCommand::Status(args) => {
            let sdk = sdk_config(args.region.clone()).await;
            let follow = if args.once {
                Follow::Once
            } else {
                Follow::Detachable
            };
            follow_execution(&aws_sdk_sfn::Client::new(&sdk), &args.execution, follow).await
        }
        FleetCommand::Cancel(args) => {
            let sdk = sdk_config(args.machine.region.clone()).await;
            cancel::cancel(
                &aws_sdk_sfn::Client::new(&sdk),
                &aws_sdk_dynamodb::Client::new(&sdk),
                &args.machine.lock_table,
                &args.execution,
            )
            .await
        }
        FleetCommand::List(args) => {
            let sdk = sdk_config(args.machine.region.clone()).await;
            let sfn = aws_sdk_sfn::Client::new(&sdk);
            let target = target(&args.machine, &sdk, &sfn)?;
            let listed = list::list(&sfn, target.state_machine_arn, &args.alias_id).await?;
            list::print(&listed, args.json);
            Ok(code::DONE)
        }
    }
}

/// The replacements of `alias_id` on the state machine, newest first.
pub async fn list_replacements(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    alias_id: &str,
) -> Result<Vec<Listed>, FleetCliError> {
    list::list(sfn, state_machine_arn, alias_id).await
}

/// `hangar fleet cancel` as a library call.
pub async fn cancel_replacement(
    sfn: &aws_sdk_sfn::Client,
    ddb: &aws_sdk_dynamodb::Client,
    lock_table: &str,
    execution_arn: &str,
) -> Result<u8, FleetCliError> {
    cancel::cancel(sfn, ddb, lock_table, execution_arn).await
}

fn target<'a>(
    machine: &'a MachineArgs,
    sdk: &aws_config::SdkConfig,
    sfn: &'a aws_sdk_sfn::Client,
) -> Result<Target<'a>, FleetCliError> {
    let state_machine_arn = machine.state_machine_arn.as_deref().ok_or_else(|| {
        FleetCliError::Usage(
            "--state-machine-arn (or HANGAR_FLEET_STATE_MACHINE_ARN) is required unless --local"
                .into(),
        )
    })?;
    Ok(Target {
        sfn,
        state_machine_arn,
        lock_table: &machine.lock_table,
        region: sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| FleetCliError::Usage("no region: set --region or AWS_REGION".into()))?,
    })
}

async fn sdk_config(region: Option<String>) -> aws_config::SdkConfig {
    let mut loader = hangar_aws::loader();
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r));
    }
    loader.load().await
}

/// The execution input from the arguments.
pub fn request(args: &ReplaceArgs) -> Result<Value, FleetCliError> {
    let mut input = json!({
        "alias_id": args.alias_id,
        "build": json_arg("--build-json", &args.build_json)?,
        "fleet": json_arg("--fleet-json", &args.fleet_json)?,
        "keep_old_fleet": args.keep_old_fleet,
        "dry_run": args.dry_run,
    });
    if args.no_scaling_policies {
        input["no_scaling_policies"] = json!(true);
    }
    if let Some(f) = &args.fleet_id {
        input["fleet_id"] = json!(f);
    }
    if let Some(d) = args.drain_timeout {
        input["drain_timeout_seconds"] = json!(d);
    }
    if let Some(id) = &args.replacement_id {
        input["replacement_id"] = json!(id);
    }
    if !args.capacity.is_empty() {
        input["capacity"] =
            serde_json::to_value(parse_capacity(&args.capacity)?).unwrap_or_default();
    }
    Ok(input)
}

fn json_arg(flag: &str, value: &str) -> Result<Value, FleetCliError> {
    let text = if value.trim_start().starts_with('{') {
        value.to_string()
    } else {
        let path = PathBuf::from(value.strip_prefix("file://").unwrap_or(value));
        std::fs::read_to_string(&path).map_err(|e| {
            FleetCliError::Usage(format!("{flag}: cannot read {}: {e}", path.display()))
        })?
    };
    serde_json::from_str(&text)
        .map_err(|e| FleetCliError::Usage(format!("{flag}: not valid JSON: {e}")))
}

/// `LOCATION=DESIRED/MIN/MAX` entries.
pub fn parse_capacity(specs: &[String]) -> Result<BTreeMap<String, CapacityTarget>, FleetCliError> {
    let mut out = BTreeMap::new();
    for spec in specs {
        let bad = || {
            FleetCliError::Usage(format!(
                "--capacity {spec:?}: expected LOCATION=DESIRED/MIN/MAX, e.g. us-east-1=4/2/10"
            ))
        };
        let (location, numbers) = spec.split_once('=').ok_or_else(bad)?;
        let n: Vec<i32> = numbers
            .split('/')
            .map(|x| x.trim().parse())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let [desired, min, max] = n[..] else {
            return Err(bad());
        };
        if location.trim().is_empty() {
            return Err(bad());
        }
        out.insert(
            location.trim().to_string(),
            CapacityTarget { desired, min, max },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ReplaceArgs {
        ReplaceArgs {
            machine: MachineArgs {
                region: None,
                state_machine_arn: None,
                lock_table: "t".into(),
            },
            fleet_id: Some("fleet-1".into()),
            alias_id: "alias-1".into(),
            build_json: r#"{"BuildId": "build-1"}"#.into(),
            fleet_json: r#"{"Name": "x"}"#.into(),
            capacity: vec!["us-east-1=4/2/10".into()],
            drain_timeout: Some(60),
            keep_old_fleet: true,
            no_scaling_policies: false,
            dry_run: false,
            local: true,
            replacement_id: None,
        }
    }

    #[test]
    fn arguments_become_the_execution_input() {
        let input = request(&args()).unwrap();
        assert_eq!(input["alias_id"], "alias-1");
        assert_eq!(input["fleet_id"], "fleet-1");
        assert_eq!(input["build"]["BuildId"], "build-1");
        assert_eq!(
            input["capacity"]["us-east-1"],
            json!({"desired": 4, "min": 2, "max": 10})
        );
        assert_eq!(input["drain_timeout_seconds"], 60);
        assert_eq!(input["keep_old_fleet"], true);
    }

    #[test]
    fn bad_capacity_and_bad_json_name_the_flag() {
        for bad in ["us-east-1=4/2", "=1/1/1", "us-east-1", "us-east-1=a/b/c"] {
            let e = parse_capacity(&[bad.to_string()]).unwrap_err();
            assert!(e.to_string().contains("--capacity"), "{e}");
        }
        let mut a = args();
        a.fleet_json = "{nope".into();
        assert!(request(&a)
            .unwrap_err()
            .to_string()
            .contains("--fleet-json"));
        a.fleet_json = "/no/such/file.json".into();
        assert!(request(&a).unwrap_err().to_string().contains("cannot read"));
    }

    #[test]
    fn deployment_py_flags_are_accepted() {
        let rewritten = legacy_flags(
            [
                "hangar", "fleet", "replace", "-bj", "b.json", "-fj", "f.json",
            ]
            .map(Into::into),
        );
        let strings: Vec<_> = rewritten.iter().map(|s| s.to_str().unwrap()).collect();
        assert_eq!(
            strings,
            [
                "hangar",
                "fleet",
                "replace",
                "--build-json",
                "b.json",
                "--fleet-json",
                "f.json"
            ]
        );
    }
}
