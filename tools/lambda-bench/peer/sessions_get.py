"""GET /v1/sessions/{sessionId} in Python with boto3: the peer of `sessions-get`.

The same first request as the Rust function: one strongly consistent GetItem of the
session's item (pk `S#<gameSessionId>`, sk `S`); 404 when there is none. Started by
`python -m awslambdaric sessions_get.handler`, as Lambda's Python runtime starts a handler.
"""

import base64
import json
import os

import boto3

TABLE = os.environ["SESSIONS_TABLE"]
dynamodb = boto3.client("dynamodb")


def _reply(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event, context):
    claims = (
        event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims")
    )
    if not claims or not claims.get("sub"):
        return _reply(401, {"error": "unauthorized"})
    api_id = (event.get("pathParameters") or {}).get("sessionId", "")
    try:
        padded = api_id + "=" * (-len(api_id) % 4)
        session_id = base64.urlsafe_b64decode(padded).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return _reply(400, {"error": "sessionId is not a session id returned by this API"})
    item = dynamodb.get_item(
        TableName=TABLE,
        Key={"pk": {"S": "S#" + session_id}, "sk": {"S": "S"}},
        ConsistentRead=True,
    ).get("Item")
    if item is None:
        return _reply(404, {"error": "session not found"})
    return _reply(200, {k: next(iter(v.values())) for k, v in item.items()})
