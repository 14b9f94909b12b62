"""GameLift placement events from SQS (SNS envelope or raw EventBridge) in Python with
boto3: the peer of `placement-events`.

The same requests as the Rust function: per record, one conditional UpdateItem of the
placement's item (pk `P#<placementId>`, sk `P`), newer statuses only; records that cannot
be decoded or written are reported in the partial batch response. Started by
`python -m awslambdaric placement_events.handler`.
"""

import json
import os
import time

import boto3

TABLE = os.environ["SESSIONS_TABLE"]
TTL_SECONDS = int(os.environ.get("SESSION_TTL_DAYS", "30")) * 86400
RANK = {
    "PlacementFulfilled": ("FULFILLED", 2),
    "PlacementCancelled": ("CANCELLED", 2),
    "PlacementTimedOut": ("TIMED_OUT", 2),
    "PlacementFailed": ("FAILED", 2),
}
dynamodb = boto3.client("dynamodb")


def _decode(body):
    doc = json.loads(body)
    if doc.get("Type") == "Notification":
        doc = json.loads(doc["Message"])
    detail = doc["detail"]
    status, rank = RANK[detail["type"]]
    return detail, status, rank


def _record(detail, status, rank):
    now = int(time.time() * 1000)
    values = {
        ":st": {"S": status},
        ":rank": {"N": str(rank)},
        ":now": {"N": str(now)},
        ":ttl": {"N": str(now // 1000 + TTL_SECONDS)},
        ":pid": {"S": detail["placementId"]},
    }
    sets = ["#st = :st", "#rank = :rank", "updatedAtMillis = :now", "#ttl = :ttl",
            "placementId = :pid", "createdAtMillis = if_not_exists(createdAtMillis, :now)"]
    if detail["type"] == "PlacementFulfilled":
        values[":gs"] = {"S": detail["gameSessionArn"]}
        values[":ps"] = {"M": {p["playerId"]: {"S": p["playerSessionId"]}
                               for p in detail.get("placedPlayerSessions", [])}}
        sets += ["gameSessionId = :gs", "playerSessions = :ps"]
    try:
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "P#" + detail["placementId"]}, "sk": {"S": "P"}},
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="attribute_not_exists(#rank) OR #rank < :rank",
            ExpressionAttributeNames={"#st": "status", "#rank": "rank", "#ttl": "ttl"},
            ExpressionAttributeValues=values,
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # a duplicate or an older status: nothing to change


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            _record(*_decode(record["body"]))
        except Exception as e:  # noqa: BLE001 - every failure goes back to SQS for a retry
            print(f"record {record.get('messageId')}: {e!r}", flush=True)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
