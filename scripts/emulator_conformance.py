#!/usr/bin/env python3
"""Conformance check of the GameLift emulator against botocore's GameLift model.

Runs the flows of the Rust integration tests with boto3 (build, fleet to ACTIVE, alias,
queue, placement fulfilled, player sessions, search, game-session termination in both
modes, paging, typed errors) against a
running emulator, once per wire protocol (JSON 1.1 and Smithy RPC v2 CBOR), and checks
every response against the botocore output shape: required members, enum values, types,
lengths and ranges, patterns, and (for JSON, from the raw body) members the model does
not know.

Usage: .venv/bin/python scripts/emulator_conformance.py --endpoint http://127.0.0.1:5111
The emulator must already run; this script starts and stops nothing. It moves the
emulator's simulated clock forward through the admin interface while it waits.
Prints one line per failure and a summary `N passed, M failed`; exits 1 on any failure.
"""

import argparse
import datetime
import json
import re
import sys
import time
import urllib.request
import uuid

import boto3
import botocore.model
import botocore.utils
from botocore.config import Config


class Checker:
    def __init__(self, protocol):
        self.protocol = protocol
        self.passed = 0
        self.failed = 0
        self.raw = {}

    def ok(self, what):
        self.passed += 1

    def fail(self, what, why):
        self.failed += 1
        print(f"FAIL [{self.protocol}] {what}: {why}")

    def check(self, what, condition, why="check failed"):
        if condition:
            self.ok(what)
        else:
            self.fail(what, why)


def validate(shape, value, path, errors, raw):
    """Appends to `errors` every way `value` does not fit `shape`."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a structure, got {type(value).__name__}")
            return
        for req in shape.required_members:
            if req not in value:
                errors.append(f"{path}: required member {req} missing")
        for k, v in value.items():
            if k == "ResponseMetadata" and path == "$":
                continue
            if k not in shape.members:
                errors.append(f"{path}: member {k} is not in shape {shape.name}")
                continue
            validate(shape.members[k], v, f"{path}.{k}", errors, raw)
    elif t == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list")
            return
        for i, item in enumerate(value):
            validate(shape.member, item, f"{path}[{i}]", errors, raw)
    elif t == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map")
            return
        for k, v in value.items():
            validate(shape.key, k, f"{path}<key>", errors, raw)
            validate(shape.value, v, f"{path}[{k}]", errors, raw)
    elif t == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
            return
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} is not one of {shape.name} {shape.enum}")
        meta = shape.metadata
        if "min" in meta and len(value) < meta["min"]:
            errors.append(f"{path}: shorter than {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: longer than {meta['max']}")
        if "pattern" in meta:
            try:
                if not re.search(meta["pattern"], value):
                    errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
            except re.error:
                pass
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
            return
        meta = shape.metadata
        if "min" in meta and value < meta["min"]:
            errors.append(f"{path}: {value} below {meta['min']}")
        if "max" in meta and value > meta["max"]:
            errors.append(f"{path}: {value} above {meta['max']}")
    elif t in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected a number, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean")
    elif t == "timestamp":
        ok = isinstance(value, (int, float)) if raw else isinstance(value, datetime.datetime)
        if not ok or isinstance(value, bool):
            errors.append(f"{path}: expected a timestamp ({'epoch seconds' if raw else 'datetime'}), got {value!r}")


def make_client(endpoint, protocol, checker):
    # botocore picks the first protocol of its priority list that the model offers; put
    # the wanted one first while this client is built.
    saved = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    wanted = "json" if protocol == "json" else "smithy-rpc-v2-cbor"
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (wanted,) + tuple(p for p in saved if p != wanted)
    try:
        session = boto3.session.Session()
        client = session.client(
            "gamelift",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )
        if client.meta.service_model.resolved_protocol != wanted:
            checker.fail("protocol selection", f"botocore uses {client.meta.service_model.resolved_protocol}, wanted {wanted}")
    finally:
        botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = saved

    def keep_raw(operation_model, response_dict, **_):
        checker.raw[operation_model.name] = response_dict

    client.meta.events.register("before-parse.gamelift.*", keep_raw)
    return client


class Flows:
    def __init__(self, endpoint, protocol):
        self.endpoint = endpoint.rstrip("/")
        self.c = Checker(protocol)
        self.gl = make_client(self.endpoint, protocol, self.c)
        self.model = self.gl.meta.service_model

    def advance(self, seconds):
        req = urllib.request.Request(
            f"{self.endpoint}/admin/clock",
            data=json.dumps({"advanceSeconds": seconds}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(req, timeout=10).read()

    def call(self, op, **params):
        """Calls `op` (a boto3 method name) and validates the response; returns it or None."""
        method = getattr(self.gl, op)
        name = self.gl.meta.method_to_api_mapping[op]
        try:
            out = method(**params)
        except Exception as e:  # reported as a failure, not raised
            self.c.fail(name, f"call failed: {e}")
            return None
        shape = self.model.operation_model(name).output_shape
        errors = []
        if shape is not None:
            validate(shape, out, "$", errors, raw=False)
            raw = self.c.raw.get(name)
            if raw is not None and self.c.protocol == "json" and raw.get("body"):
                try:
                    validate(shape, json.loads(raw["body"]), "$", errors, raw=True)
                except ValueError as e:
                    errors.append(f"body is not JSON: {e}")
        if errors:
            for e in errors:
                self.c.fail(name, e)
        else:
            self.c.ok(name)
        return out

    def expect_error(self, what, code, op, **params):
        try:
            getattr(self.gl, op)(**params)
        except self.gl.exceptions.ClientError as e:
            got = e.response.get("Error", {}).get("Code")
            modeled = code in self.model.operation_model(self.gl.meta.method_to_api_mapping[op]).error_shapes and True or False
            self.c.check(what, got == code, f"expected {code}, got {got}")
            if code not in ("ThrottlingException",):
                known = [s.name for s in self.model.operation_model(self.gl.meta.method_to_api_mapping[op]).error_shapes]
                self.c.check(f"{what} is a modeled error", code in known, f"{code} not among {known}")
                exc = getattr(self.gl.exceptions, code, None)
                self.c.check(f"{what} maps to boto3's typed exception", exc is not None and isinstance(e, exc), "not the typed exception")
            return
        self.c.fail(what, f"expected {code}, call succeeded")

    def wait(self, what, fetch, done, steps=60, advance=15):
        for _ in range(steps):
            out = fetch()
            if out is not None and done(out):
                self.c.ok(what)
                return out
            self.advance(advance)
            time.sleep(0.01)
        self.c.fail(what, "condition never met")
        return None

    def run(self):
        u = uuid.uuid4().hex[:8]
        b = self.call("create_build", Name=f"conf-{u}", Version="1", OperatingSystem="AMAZON_LINUX_2023", ServerSdkVersion="5.1.0")
        if not b:
            return self.c
        build_id = b["Build"]["BuildId"]
        self.wait("build READY", lambda: self.call("describe_build", BuildId=build_id), lambda o: o["Build"]["Status"] == "READY")
        for i in range(3):
            self.call("create_build", Name=f"conf-{u}-{i}")
        seen, token, pages = [], None, 0
        while True:
            kw = {"Limit": 2}
            if token:
                kw["NextToken"] = token
            page = self.call("list_builds", **kw)
            if page is None:
                break
            pages += 1
            seen += [x["BuildId"] for x in page["Builds"]]
            token = page.get("NextToken")
            if not token or pages > 100:
                break
        self.c.check("ListBuilds paging", len(seen) == len(set(seen)) and build_id in seen and pages >= 2, f"{pages} pages, {len(seen)} builds")

        f = self.call(
            "create_fleet",
            Name=f"conf-{u}",
            BuildId=build_id,
            EC2InstanceType="c5.large",
            RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 4}]},
            Locations=[{"Location": "us-west-2"}],
            Tags=[{"Key": "suite", "Value": "conformance"}],
        )
        if not f:
            return self.c
        fleet_id, fleet_arn = f["FleetAttributes"]["FleetId"], f["FleetAttributes"]["FleetArn"]
        self.wait("fleet ACTIVE", lambda: self.call("describe_fleet_attributes", FleetIds=[fleet_id]), lambda o: o["FleetAttributes"][0]["Status"] == "ACTIVE")
        locs = self.call("describe_fleet_location_attributes", FleetId=fleet_id)
        self.c.check("per-location status", locs and [x["LocationState"]["Status"] for x in locs["LocationAttributes"]] == ["ACTIVE", "ACTIVE"], str(locs))
        self.wait("instances ACTIVE", lambda: self.call("describe_fleet_capacity", FleetIds=[fleet_id]), lambda o: o["FleetCapacity"][0]["InstanceCounts"]["ACTIVE"] == 1)
        self.call("update_fleet_capacity", FleetId=fleet_id, Location="us-west-2", MinSize=0, MaxSize=2, DesiredInstances=2)
        self.wait("location capacity", lambda: self.call("describe_fleet_location_capacity", FleetId=fleet_id, Location="us-west-2"), lambda o: o["FleetCapacity"]["InstanceCounts"]["ACTIVE"] == 2)
        self.call("describe_runtime_configuration", FleetId=fleet_id)
        self.call("put_scaling_policy", Name="target", FleetId=fleet_id, MetricName="PercentAvailableGameSessions", PolicyType="TargetBased", TargetConfiguration={"TargetValue": 20.0})
        self.call("describe_scaling_policies", FleetId=fleet_id)

        a = self.call("create_alias", Name=f"conf-{u}", RoutingStrategy={"Type": "SIMPLE", "FleetId": fleet_id})
        alias_id, alias_arn = a["Alias"]["AliasId"], a["Alias"]["AliasArn"]
        self.call("describe_alias", AliasId=alias_id)
        self.call("update_alias", AliasId=alias_id, Description="conformance")
        self.call("list_aliases", Name=f"conf-{u}")
        r = self.call("resolve_alias", AliasId=alias_id)
        self.c.check("ResolveAlias answers the fleet", r and r["FleetId"] == fleet_id)

        q = self.call("create_game_session_queue", Name=f"conf-{u}", TimeoutInSeconds=60, Destinations=[{"DestinationArn": alias_arn}, {"DestinationArn": fleet_arn}])
        self.call("describe_game_session_queues", Names=[f"conf-{u}"])
        pid = f"conf-{u}"
        self.call(
            "start_game_session_placement",
            PlacementId=pid,
            GameSessionQueueName=q["GameSessionQueue"]["Name"] if q else f"conf-{u}",
            MaximumPlayerSessionCount=4,
            GameSessionName="conformance",
            GameProperties=[{"Key": "mode", "Value": "ranked"}],
            DesiredPlayerSessions=[{"PlayerId": "p1"}, {"PlayerId": "p2", "PlayerData": "x"}],
            PlayerLatencies=[{"PlayerId": "p1", "RegionIdentifier": "us-east-1", "LatencyInMilliseconds": 20.5}],
        )
        p = self.wait("placement FULFILLED", lambda: self.call("describe_game_session_placement", PlacementId=pid), lambda o: o["GameSessionPlacement"]["Status"] == "FULFILLED", advance=1)
        if p:
            self.c.check("placed player sessions", len(p["GameSessionPlacement"].get("PlacedPlayerSessions", [])) == 2)
        self.call("stop_game_session_placement", PlacementId=pid)

        gs = self.call("create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=3, Name="direct", GameProperties=[{"Key": "mode", "Value": "casual"}])
        if not gs:
            return self.c
        gs_id = gs["GameSession"]["GameSessionId"]
        self.wait("game session ACTIVE", lambda: self.call("describe_game_sessions", GameSessionId=gs_id), lambda o: o["GameSessions"][0]["Status"] == "ACTIVE", advance=1)
        self.call("describe_game_session_details", FleetId=fleet_id)
        self.call("describe_game_sessions", FleetId=fleet_id, StatusFilter="ACTIVE", Limit=1)
        self.call("create_player_session", GameSessionId=gs_id, PlayerId="solo", PlayerData="d")
        self.call("create_player_sessions", GameSessionId=gs_id, PlayerIds=["duo-1", "duo-2"], PlayerDataMap={"duo-1": "a"})
        self.expect_error("full game session", "GameSessionFullException", "create_player_session", GameSessionId=gs_id, PlayerId="late")
        self.call("describe_player_sessions", GameSessionId=gs_id)
        self.call("update_game_session", GameSessionId=gs_id, Name="renamed", ProtectionPolicy="FullProtection", PlayerSessionCreationPolicy="DENY_ALL")
        s = self.call("search_game_sessions", FleetId=fleet_id, FilterExpression="gameSessionProperties.mode = 'casual'", SortExpression="creationTimeMillis ASC")
        self.c.check("search filter", s and [g["GameSessionId"] for g in s["GameSessions"]] == [gs_id], str(s and s["GameSessions"]))
        self.call("search_game_sessions", AliasId=alias_id, SortExpression="playerSessionCount DESC", Limit=20)
        self.expect_error("bad filter", "InvalidRequestException", "search_game_sessions", FleetId=fleet_id, FilterExpression="maximumSessions >")

        self.call("tag_resource", ResourceARN=fleet_arn, Tags=[{"Key": "owner", "Value": "conformance"}])
        t = self.call("list_tags_for_resource", ResourceARN=fleet_arn)
        self.c.check("tags", t and {"Key": "owner", "Value": "conformance"} in t["Tags"])

        t = self.call("terminate_game_session", GameSessionId=gs_id, TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
        self.c.check("TRIGGER_ON_PROCESS_TERMINATE answers TERMINATING", t and t["GameSession"]["Status"] in ("TERMINATING", "TERMINATED"), str(t and t["GameSession"]))
        self.wait(
            "triggered termination ends on the clock",
            lambda: self.call("describe_game_sessions", GameSessionId=gs_id),
            lambda o: o["GameSessions"][0]["Status"] == "TERMINATED" and o["GameSessions"][0].get("StatusReason") == "TRIGGERED_ON_PROCESS_TERMINATE",
            advance=1,
        )
        ps = self.call("describe_player_sessions", GameSessionId=gs_id)
        self.c.check("player sessions end with their game session", ps and ps["PlayerSessions"] and all(x["Status"] in ("COMPLETED", "TIMEDOUT") for x in ps["PlayerSessions"]), str(ps and ps["PlayerSessions"]))
        self.expect_error("terminate an ended game session", "InvalidGameSessionStatusException", "terminate_game_session", GameSessionId=gs_id, TerminationMode="FORCE_TERMINATE")
        gs2 = self.call("create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2)
        if gs2:
            t = self.call("terminate_game_session", GameSessionId=gs2["GameSession"]["GameSessionId"], TerminationMode="FORCE_TERMINATE")
            self.c.check("FORCE_TERMINATE ends at once", t and t["GameSession"]["Status"] == "TERMINATED" and t["GameSession"].get("StatusReason") == "FORCE_TERMINATED", str(t and t["GameSession"]))
        self.expect_error("terminate an unknown game session", "NotFoundException", "terminate_game_session", GameSessionId=f"arn:aws:gamelift:us-east-1::gamesession/{fleet_id}/gsess-missing", TerminationMode="FORCE_TERMINATE")

        self.expect_error("unknown build", "NotFoundException", "describe_build", BuildId="build-00000000-0000-0000-0000-000000000000")
        closed = self.call("create_alias", Name=f"closed-{u}", RoutingStrategy={"Type": "TERMINAL", "Message": "closed"})
        if closed:
            self.expect_error("terminal alias", "TerminalRoutingStrategyException", "resolve_alias", AliasId=closed["Alias"]["AliasId"])
        self.expect_error("forged NextToken", "InvalidRequestException", "list_builds", NextToken="forged")

        self.call("delete_fleet", FleetId=fleet_id)
        self.wait("fleet TERMINATED", lambda: self.call("describe_fleet_attributes", FleetIds=[fleet_id]), lambda o: o["FleetAttributes"][0]["Status"] == "TERMINATED")
        self.call("delete_build", BuildId=build_id)
        return self.c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5111")
    ap.add_argument("--protocol", choices=["json", "cbor", "both"], default="both")
    args = ap.parse_args()
    protocols = ["json", "cbor"] if args.protocol == "both" else [args.protocol]
    passed = failed = 0
    for p in protocols:
        c = Flows(args.endpoint, p).run()
        passed += c.passed
        failed += c.failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
