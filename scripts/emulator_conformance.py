#!/usr/bin/env python3
"""Conformance check of the GameLift emulator by outside clients: boto3 and the AWS CLI.

boto3 runs the flows of the Rust integration tests (build uploaded to S3 and from a
StorageLocation, fleet to ACTIVE, alias, queue, placement fulfilled and joined, player
sessions, search, game-session termination in both modes, paging, typed errors, the newer
operations) against a running emulator, once per wire protocol (JSON 1.1 and Smithy
RPC v2 CBOR), and checks every response against the botocore output shape: required
members, enum values, types, lengths and ranges, patterns, and (for JSON, from the raw
body) members the model does not know.

The AWS CLI (pinned in scripts/requirements.txt) then runs the flows an operator types:
create-build, upload-build (into the local S3), create-fleet, describe-*,
update-fleet-capacity, put-scaling-policy, create/update/resolve-alias,
create-game-session-queue, start-game-session-placement, search-game-sessions,
create-player-session(s), terminate-game-session, delete-fleet; each output is checked
against the model too.

Usage: .venv/bin/python scripts/emulator_conformance.py --endpoint http://127.0.0.1:5111
       [--s3-endpoint http://127.0.0.1:5000]   (default: $AWS_ENDPOINT_URL, the moto server)
The emulator must already run (with the same S3 endpoint); this script starts and stops
nothing. It moves the emulator's simulated clock forward through the admin interface
while it waits. Prints one line per failure, a summary per client, and
`N passed, M failed`; exits 1 on any failure.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
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
        if raw == "cli":
            # The AWS CLI prints timestamps as it received them (epoch seconds) or as text.
            ok = isinstance(value, (int, float, str))
        else:
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


def advance(endpoint, seconds):
    """Moves the emulator's simulated clock forward."""
    req = urllib.request.Request(
        f"{endpoint}/admin/clock",
        data=json.dumps({"advanceSeconds": seconds}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=10).read()


def storage_location(name):
    return {"Bucket": "game-builds", "Key": f"{name}.zip", "RoleArn": "arn:aws:iam::123456789012:role/gamelift-build-access"}


class Flows:
    def __init__(self, endpoint, protocol, s3_endpoint):
        self.endpoint = endpoint.rstrip("/")
        self.s3_endpoint = s3_endpoint
        self.c = Checker(protocol)
        self.gl = make_client(self.endpoint, protocol, self.c)
        self.model = self.gl.meta.service_model

    def advance(self, seconds):
        advance(self.endpoint, seconds)

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
        b = self.call("create_build", Name=f"conf-{u}", Version="1", OperatingSystem="AMAZON_LINUX_2023", ServerSdkVersion="5.1.0", StorageLocation=storage_location(f"conf-{u}"))
        if not b:
            return self.c
        build_id = b["Build"]["BuildId"]
        self.wait("build READY", lambda: self.call("describe_build", BuildId=build_id), lambda o: o["Build"]["Status"] == "READY")
        self.upload_flow(u)
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
        self.c.check("remote locations only, each ACTIVE", locs and [(x["LocationState"]["Location"], x["LocationState"]["Status"]) for x in locs["LocationAttributes"]] == [("us-west-2", "ACTIVE")], str(locs))
        self.call("list_fleets", BuildId=build_id)
        self.call("describe_fleet_events", FleetId=fleet_id)
        self.call("describe_fleet_utilization", FleetIds=[fleet_id])
        self.call("describe_instances", FleetId=fleet_id)
        self.call("update_fleet_attributes", FleetId=fleet_id, Description="conformance")
        self.call("stop_fleet_actions", FleetId=fleet_id, Actions=["AUTO_SCALING"])
        self.call("start_fleet_actions", FleetId=fleet_id, Actions=["AUTO_SCALING"])
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
            placed_gs = p["GameSessionPlacement"]["GameSessionId"]
            self.c.check("placed player sessions", len(p["GameSessionPlacement"].get("PlacedPlayerSessions", [])) == 2)
            joined = self.call("create_player_session", GameSessionId=placed_gs, PlayerId="p3")
            self.c.check("joining right after FULFILLED succeeds", joined is not None)
            g = self.call("describe_game_sessions", GameSessionId=placed_gs)
            self.c.check("a fulfilled placement's game session is ACTIVE", g and g["GameSessions"][0]["Status"] == "ACTIVE", str(g))
        self.call("stop_game_session_placement", PlacementId=pid)
        self.call("update_game_session_queue", Name=f"conf-{u}", TimeoutInSeconds=120, PlayerLatencyPolicies=[{"MaximumIndividualPlayerLatencyMilliseconds": 100, "PolicyDurationSeconds": 30}, {"MaximumIndividualPlayerLatencyMilliseconds": 300}])
        self.call("create_game_session_queue", Name=f"conf-{u}-gone")
        self.call("delete_game_session_queue", Name=f"conf-{u}-gone")
        self.expect_error("deleted queue", "NotFoundException", "start_game_session_placement", PlacementId=f"gone-{u}", GameSessionQueueName=f"conf-{u}-gone", MaximumPlayerSessionCount=2)

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

        token = f"tok-{u}"
        self.call("create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2, IdempotencyToken=token)
        self.call("create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2, IdempotencyToken=token)
        self.expect_error("reused idempotency token, other parameters", "IdempotentParameterMismatchException", "create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=3, IdempotencyToken=token)
        self.call("update_fleet_capacity", FleetId=fleet_id, MinSize=0, MaxSize=3, DesiredInstances=3)
        self.wait("home instances ACTIVE", lambda: self.call("describe_fleet_capacity", FleetIds=[fleet_id]), lambda o: o["FleetCapacity"][0]["InstanceCounts"]["ACTIVE"] == 3)
        self.call("update_fleet_attributes", FleetId=fleet_id, ResourceCreationLimitPolicy={"NewGameSessionsPerCreator": 5, "PolicyPeriodInMinutes": 10})
        self.expect_error("CreatorId required by a ResourceCreationLimitPolicy", "InvalidRequestException", "create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2)
        for n in range(5):
            self.call("create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2, CreatorId=f"creator-{u}")
        self.expect_error("ResourceCreationLimitPolicy", "LimitExceededException", "create_game_session", FleetId=fleet_id, MaximumPlayerSessionCount=2, CreatorId=f"creator-{u}")
        self.expect_error("name over 1024 characters", "InvalidRequestException", "create_build", Name="x" * 1025)
        self.expect_error("unknown instance type", "InvalidRequestException", "create_fleet", Name="f", BuildId=build_id, EC2InstanceType="c9.galactic")
        self.expect_error("malformed fleet id", "InvalidRequestException", "describe_fleet_capacity", FleetIds=["not a fleet"])
        self.expect_error("upload credentials for a READY build", "InvalidRequestException", "request_upload_credentials", BuildId=build_id)
        self.call("update_build", BuildId=build_id, Name=f"conf-{u}-renamed", Version="2")
        self.call("untag_resource", ResourceARN=fleet_arn, TagKeys=["owner"])
        self.call("delete_scaling_policy", Name="target", FleetId=fleet_id)
        self.call("delete_alias", AliasId=alias_id)

        self.call("delete_fleet", FleetId=fleet_id)
        self.expect_error("DeleteFleet on a DELETING fleet", "InvalidFleetStatusException", "delete_fleet", FleetId=fleet_id)
        self.wait("fleet TERMINATED", lambda: self.call("describe_fleet_attributes", FleetIds=[fleet_id]), lambda o: o["FleetAttributes"][0]["Status"] == "TERMINATED")
        self.call("delete_build", BuildId=build_id)
        return self.c

    def upload_flow(self, u):
        """CreateBuild without a StorageLocation, the files uploaded with the credentials it
        answers (boto3's S3 client against the local S3), READY only after the upload."""
        b = self.call("create_build", Name=f"upload-{u}", Version="1")
        if not b:
            return
        build_id = b["Build"]["BuildId"]
        creds = self.call("request_upload_credentials", BuildId=build_id)
        if not creds:
            return
        self.advance(600)
        d = self.call("describe_build", BuildId=build_id)
        self.c.check("no upload, no READY build", d and d["Build"]["Status"] == "INITIALIZED", str(d))
        if not self.s3_endpoint:
            self.c.fail("upload", "no S3 endpoint (--s3-endpoint or AWS_ENDPOINT_URL)")
            return
        c = creds["UploadCredentials"]
        s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
        )
        loc = creds["StorageLocation"]
        s3.put_object(Bucket=loc["Bucket"], Key=loc["Key"], Body=b"PK\x05\x06" + b"\0" * 18)
        done = self.wait("uploaded build READY", lambda: self.call("describe_build", BuildId=build_id), lambda o: o["Build"]["Status"] == "READY", advance=2)
        self.c.check("SizeOnDisk is the upload's size", done and done["Build"]["SizeOnDisk"] == 22, str(done))


class Cli:
    """The AWS CLI (v1, from the project's .venv) against the emulator, as an operator
    types it; S3 (for upload-build) goes to AWS_ENDPOINT_URL, the local S3."""

    def __init__(self, endpoint, s3_endpoint):
        self.endpoint = endpoint.rstrip("/")
        self.c = Checker("aws-cli")
        self.aws = str(pathlib.Path(sys.executable).parent / "aws")
        self.model = boto3.session.Session().client("gamelift", region_name="us-east-1").meta.service_model
        self.env = dict(os.environ)
        self.env.setdefault("AWS_ACCESS_KEY_ID", "test")
        self.env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        self.env["AWS_DEFAULT_REGION"] = "us-east-1"
        self.env["AWS_PAGER"] = ""
        # upload-build streams through s3transfer's legacy ReadFileChunk, whose seek() takes
        # no `whence`; with awscrt installed (aws-sam-cli's boto3[crt]) botocore's checksum
        # stream calls seek(offset, whence) and the upload fails. Without CRT it works.
        self.env["BOTO_DISABLE_CRT"] = "true"
        if s3_endpoint:
            self.env["AWS_ENDPOINT_URL"] = s3_endpoint
        self.calls = 0

    def run_cli(self, args):
        self.calls += 1
        cmd = [self.aws, "--endpoint-url", self.endpoint, "--region", "us-east-1", "--output", "json", "gamelift"] + args
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)

    def call(self, op, *args):
        """`aws gamelift <op> <args>`; checks the exit code and the output shape."""
        r = self.run_cli([op, *args])
        what = f"aws gamelift {op}"
        if r.returncode != 0:
            self.c.fail(what, f"exit {r.returncode}: {r.stderr.strip()[-500:]}")
            return None
        try:
            out = json.loads(r.stdout) if r.stdout.strip() else {}
        except ValueError as e:
            self.c.fail(what, f"output is not JSON ({e}): {r.stdout[:200]}")
            return None
        name = "".join(w.capitalize() for w in op.split("-"))
        name = {"CreatePlayerSessions": "CreatePlayerSessions"}.get(name, name)
        errors = []
        if name in self.model.operation_names:
            shape = self.model.operation_model(name).output_shape
            if shape is not None:
                validate(shape, out, "$", errors, raw="cli")
        for e in errors:
            self.c.fail(what, e)
        if not errors:
            self.c.ok(what)
        return out

    def expect_error(self, what, code, op, *args):
        r = self.run_cli([op, *args])
        self.c.check(what, r.returncode != 0 and f"({code})" in r.stderr, f"exit {r.returncode}: {r.stderr.strip()[-300:]}")

    def wait(self, what, fetch, done, steps=20, advance_s=15):
        # Each CLI command costs seconds of real time: move the clock first, then look.
        for _ in range(steps):
            advance(self.endpoint, advance_s)
            time.sleep(0.3)
            out = fetch()
            if out is not None and done(out):
                self.c.ok(what)
                return out
        self.c.fail(what, "condition never met")
        return None

    def run(self):
        u = uuid.uuid4().hex[:8]
        j = json.dumps
        b = self.call("create-build", "--name", f"cli-{u}", "--build-version", "1", "--operating-system", "AMAZON_LINUX_2023",
                      "--storage-location", j(storage_location(f"cli-{u}")))
        with tempfile.TemporaryDirectory() as root:
            (pathlib.Path(root) / "server.sh").write_text("#!/bin/sh\necho game server\n")
            r = self.run_cli(["upload-build", "--name", f"cli-up-{u}", "--build-version", "1", "--build-root", root, "--operating-system", "AMAZON_LINUX_2023"])
        m = re.search(r"Build ID: (build-\S+)", r.stdout)
        self.c.check("aws gamelift upload-build", r.returncode == 0 and m, f"exit {r.returncode}: {r.stdout[-300:]} {r.stderr[-500:]}")
        uploaded = m.group(1) if m else None
        if uploaded:
            self.wait("upload-build ends with a READY build", lambda: self.call("describe-build", "--build-id", uploaded), lambda o: o["Build"]["Status"] == "READY", advance_s=10)
        if not b:
            return self.c
        build_id = b["Build"]["BuildId"]
        self.wait("build READY", lambda: self.call("describe-build", "--build-id", build_id), lambda o: o["Build"]["Status"] == "READY")
        self.call("list-builds", "--status", "READY")
        f = self.call("create-fleet", "--name", f"cli-{u}", "--build-id", uploaded or build_id, "--ec2-instance-type", "c5.large",
                      "--runtime-configuration", j({"ServerProcesses": [{"LaunchPath": "/local/game/server.sh", "ConcurrentExecutions": 2}]}),
                      "--locations", j([{"Location": "eu-west-1"}]))
        if not f:
            return self.c
        fleet_id, fleet_arn = f["FleetAttributes"]["FleetId"], f["FleetAttributes"]["FleetArn"]
        self.wait("fleet ACTIVE", lambda: self.call("describe-fleet-attributes", "--fleet-ids", fleet_id), lambda o: o["FleetAttributes"][0]["Status"] == "ACTIVE", advance_s=70)
        self.call("describe-fleet-capacity", "--fleet-ids", fleet_id)
        locs = self.call("describe-fleet-location-attributes", "--fleet-id", fleet_id)
        self.c.check("describe-fleet-location-attributes leaves out the home region", locs is not None and [x["LocationState"]["Location"] for x in locs["LocationAttributes"]] == ["eu-west-1"], str(locs))
        self.call("describe-fleet-location-capacity", "--fleet-id", fleet_id, "--location", "eu-west-1")
        self.call("describe-fleet-events", "--fleet-id", fleet_id)
        self.call("describe-fleet-utilization", "--fleet-ids", fleet_id)
        self.call("describe-runtime-configuration", "--fleet-id", fleet_id)
        self.call("list-fleets")
        self.call("update-fleet-capacity", "--fleet-id", fleet_id, "--min-size", "0", "--max-size", "3", "--desired-instances", "2")
        self.wait("two instances", lambda: self.call("describe-instances", "--fleet-id", fleet_id, "--location", "us-east-1"), lambda o: [i["Status"] for i in o["Instances"]] == ["ACTIVE", "ACTIVE"], advance_s=15)
        self.call("put-scaling-policy", "--name", "keep-20", "--fleet-id", fleet_id, "--policy-type", "TargetBased",
                  "--metric-name", "PercentAvailableGameSessions", "--target-configuration", "TargetValue=20")
        self.call("describe-scaling-policies", "--fleet-id", fleet_id)
        a = self.call("create-alias", "--name", f"cli-{u}", "--routing-strategy", f"Type=SIMPLE,FleetId={fleet_id}")
        if not a:
            return self.c
        alias_id, alias_arn = a["Alias"]["AliasId"], a["Alias"]["AliasArn"]
        self.call("update-alias", "--alias-id", alias_id, "--description", "cli")
        r = self.call("resolve-alias", "--alias-id", alias_id)
        self.c.check("resolve-alias answers the fleet", r is not None and r.get("FleetId") == fleet_id, str(r))
        self.call("describe-alias", "--alias-id", alias_id)
        self.call("list-aliases")
        self.call("create-game-session-queue", "--name", f"cli-{u}", "--timeout-in-seconds", "60", "--destinations", f"DestinationArn={alias_arn}")
        self.call("describe-game-session-queues", "--names", f"cli-{u}")
        pid = f"cli-{u}"
        self.call("start-game-session-placement", "--placement-id", pid, "--game-session-queue-name", f"cli-{u}",
                  "--maximum-player-session-count", "4", "--game-properties", "Key=mode,Value=ranked",
                  "--desired-player-sessions", "PlayerId=alice", "PlayerId=bob")
        p = self.wait("placement FULFILLED", lambda: self.call("describe-game-session-placement", "--placement-id", pid), lambda o: o["GameSessionPlacement"]["Status"] == "FULFILLED", advance_s=4)
        if not p:
            return self.c
        gs = p["GameSessionPlacement"]["GameSessionId"]
        self.call("create-player-session", "--game-session-id", gs, "--player-id", "carol")
        self.call("create-player-sessions", "--game-session-id", gs, "--player-ids", "dave")
        s = self.call("search-game-sessions", "--fleet-id", fleet_id, "--filter-expression", "gameSessionProperties.mode = 'ranked' AND playerSessionCount >= 4", "--sort-expression", "creationTimeMillis ASC")
        self.c.check("search-game-sessions finds the placed session", s is not None and [g["GameSessionId"] for g in s["GameSessions"]] == [gs], str(s))
        self.call("describe-player-sessions", "--game-session-id", gs)
        t = self.call("terminate-game-session", "--game-session-id", gs, "--termination-mode", "FORCE_TERMINATE")
        self.c.check("terminate-game-session ends it", t is not None and t["GameSession"]["Status"] == "TERMINATED", str(t))
        self.expect_error("an unknown build is NotFoundException", "NotFoundException", "describe-build", "--build-id", "build-00000000-0000-0000-0000-000000000000")
        self.expect_error("an over-long name is InvalidRequestException", "InvalidRequestException", "create-build", "--name", "x" * 1025)
        self.call("delete-fleet", "--fleet-id", fleet_id)
        self.wait("fleet TERMINATED", lambda: self.call("describe-fleet-attributes", "--fleet-ids", fleet_id), lambda o: o["FleetAttributes"][0]["Status"] == "TERMINATED", advance_s=15)
        return self.c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5111")
    ap.add_argument("--protocol", choices=["json", "cbor", "both"], default="both")
    ap.add_argument("--s3-endpoint", default=os.environ.get("AWS_ENDPOINT_URL"), help="the local S3 the emulator uploads builds to (default: $AWS_ENDPOINT_URL)")
    ap.add_argument("--no-cli", action="store_true", help="skip the AWS CLI flows")
    args = ap.parse_args()
    protocols = ["json", "cbor"] if args.protocol == "both" else [args.protocol]
    passed = failed = 0
    for p in protocols:
        c = Flows(args.endpoint, p, args.s3_endpoint).run()
        print(f"boto3 ({p}): {c.passed} passed, {c.failed} failed")
        passed += c.passed
        failed += c.failed
    if not args.no_cli:
        cli = Cli(args.endpoint, args.s3_endpoint)
        c = cli.run()
        print(f"aws cli: {cli.calls} commands; {c.passed} checks passed, {c.failed} failed")
        passed += c.passed
        failed += c.failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
