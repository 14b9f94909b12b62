//! Static checks of `statemachines/fleet-replacement.asl.json` and its wiring in
//! `template.yaml`: the definition the engine runs locally is the one SAM deploys.

use std::collections::{BTreeSet, VecDeque};

use hangar_fleet::Stage;
use serde_json::Value;

const ASL: &str = include_str!("../../../statemachines/fleet-replacement.asl.json");
const TEMPLATE: &str = include_str!("../../../template.yaml");

fn definition() -> Value {
    serde_json::from_str(ASL).expect("the definition is JSON")
}

fn states(d: &Value) -> &serde_json::Map<String, Value> {
    d["States"].as_object().expect("States is an object")
}

/// Every state a state can go to next.
fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["Next", "Default"] {
        if let Some(t) = state[key].as_str() {
            out.push(t.to_string());
        }
    }
    for list in ["Choices", "Catch"] {
        for item in state[list].as_array().into_iter().flatten() {
            if let Some(t) = item["Next"].as_str() {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[test]
fn every_transition_targets_an_existing_state_and_every_state_is_reachable() {
    let d = definition();
    let s = states(&d);
    let start = d["StartAt"].as_str().unwrap();
    assert!(s.contains_key(start));
    for (name, state) in s {
        for t in targets(state) {
            assert!(s.contains_key(&t), "{name} goes to missing state {t}");
        }
        let kind = state["Type"].as_str().unwrap();
        let terminal = matches!(kind, "Succeed" | "Fail");
        let has_next = state.get("Next").is_some() || kind == "Choice";
        assert!(
            terminal != has_next,
            "{name}: a {kind} state needs Next unless it ends"
        );
    }
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    while let Some(n) = queue.pop_front() {
        if seen.insert(n.clone()) {
            queue.extend(targets(&s[&n]));
        }
    }
    let all: BTreeSet<String> = s.keys().cloned().collect();
    assert_eq!(seen, all, "unreachable states");
}

#[test]
fn every_task_retries_transient_errors_with_backoff_and_every_stage_task_after_validate_is_caught()
{
    let d = definition();
    for (name, state) in states(&d) {
        if state["Type"] != "Task" {
            continue;
        }
        let retry = state["Retry"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no Retry"));
        let r = &retry[0];
        let errors: Vec<&str> = r["ErrorEquals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(
            errors.contains(&"Hangar.Throttled") && errors.contains(&"Hangar.Transient"),
            "{name}"
        );
        assert!(
            !errors.contains(&"States.ALL"),
            "{name}: retrying everything would retry refusals"
        );
        assert!(
            r["BackoffRate"].as_f64().unwrap() > 1.0 && r["MaxAttempts"].as_u64().unwrap() > 1,
            "{name}"
        );
        let catch = state["Catch"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no Catch"));
        assert_eq!(catch[0]["ErrorEquals"][0], "States.ALL", "{name}");
        assert!(
            catch[0]["ResultPath"].as_str().unwrap().starts_with("$."),
            "{name}: keep the state, add the error"
        );
        assert!(state["TimeoutSeconds"].as_u64().is_some(), "{name}");
    }
}

#[test]
fn polling_waits_read_their_interval_from_the_input_and_loop_through_a_choice() {
    let d = definition();
    let s = states(&d);
    let waits: Vec<_> = s.iter().filter(|(_, v)| v["Type"] == "Wait").collect();
    assert_eq!(waits.len(), 5);
    for (name, w) in waits {
        assert!(
            w["SecondsPath"]
                .as_str()
                .unwrap()
                .starts_with("$.validated.config.intervals."),
            "{name}"
        );
        let task = w["Next"].as_str().unwrap();
        assert_eq!(s[task]["Type"], "Task", "{name} loops back to a Task");
        let choice = s[task]["Next"].as_str().unwrap();
        assert_eq!(s[choice]["Type"], "Choice");
        assert_eq!(
            s[choice]["Default"].as_str().unwrap(),
            name,
            "{choice} waits again when not done"
        );
    }
}

#[test]
fn task_resources_are_the_stage_substitutions_and_the_template_supplies_each() {
    let d = definition();
    let used: BTreeSet<String> = states(&d)
        .values()
        .filter_map(|v| v["Resource"].as_str())
        .map(|r| r.trim_start_matches("${").trim_end_matches('}').to_string())
        .collect();
    let stages: BTreeSet<String> = Stage::ALL.iter().map(|s| s.substitution_key()).collect();
    assert_eq!(used, stages);
    assert!(TEMPLATE.contains("DefinitionUri: statemachines/fleet-replacement.asl.json"));
    for s in Stage::ALL {
        let key = s.substitution_key();
        let resource = key.trim_end_matches("Arn");
        assert!(
            TEMPLATE.contains(&format!("{key}: !GetAtt {resource}.Arn")),
            "template substitutes {key}"
        );
        assert!(
            TEMPLATE.contains(&format!("Binary: {}", s.function_name())),
            "template builds {}",
            s.function_name()
        );
    }
}

#[test]
fn every_failure_path_releases_the_lock_before_failing_except_a_refusal_which_never_took_it() {
    let d = definition();
    let s = states(&d);
    // From Rollback, every path reaches a Fail only through a ReleaseLock task.
    for start in ["Rollback"] {
        let mut queue = VecDeque::from([(start.to_string(), false)]);
        let mut seen = BTreeSet::new();
        while let Some((n, released)) = queue.pop_front() {
            if !seen.insert((n.clone(), released)) {
                continue;
            }
            let state = &s[&n];
            let released = released
                || state["Resource"]
                    .as_str()
                    .is_some_and(|r| r.contains("FleetReleaseLock"));
            if state["Type"] == "Fail" {
                assert!(
                    released,
                    "path from {start} fails at {n} without releasing the lock"
                );
            }
            for t in targets(state) {
                queue.push_back((t, released));
            }
        }
    }
    assert_eq!(s["Validate"]["Catch"][0]["Next"], "Refused");
    assert_eq!(s["Replaced"]["Type"], "Succeed");
}

#[test]
fn sample_events_are_valid_requests_and_stage_inputs() {
    use hangar_fleet::request::{parse_request, validate_request, BuildSource};
    use hangar_fleet::state::ExecutionState;
    let full: Value = serde_json::from_str(include_str!(
        "../../../events/fleet-replacement/request.json"
    ))
    .unwrap();
    let config = validate_request(&parse_request(&full).unwrap(), "us-east-1").unwrap();
    assert!(matches!(config.build, BuildSource::Upload(_)));
    assert_eq!(config.fleet.locations.len(), 2);
    let reuse: Value = serde_json::from_str(include_str!(
        "../../../events/fleet-replacement/request-reuse-build-explicit-capacity.json"
    ))
    .unwrap();
    let config = validate_request(&parse_request(&reuse).unwrap(), "us-east-1").unwrap();
    assert_eq!(config.intervals.fleet, 60);
    assert!(config.keep_old_fleet && config.capacity.is_some());
    let state: ExecutionState = serde_json::from_str(include_str!(
        "../../../events/fleet-replacement/fleet-validate.json"
    ))
    .unwrap();
    assert_eq!(state.request.unwrap(), full);
}
