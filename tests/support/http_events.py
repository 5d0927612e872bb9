"""API Gateway HTTP API (payload format 2.0) events for the producer, as API Gateway sends them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: str = "",
    base64_body: bool = False,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API v2 event. ``body`` may be a str (sent verbatim), bytes, or any JSON value."""
    if body is None:
        raw_body: str | None = None
    elif isinstance(body, bytes):
        raw_body = body.decode("utf-8")
    elif isinstance(body, str):
        raw_body = body
    else:
        raw_body = json.dumps(body)
    if raw_body is not None and base64_body:
        raw_body = base64.b64encode(raw_body.encode("utf-8")).decode("ascii")
    all_headers = {
        "accept": "application/json",
        "host": DOMAIN,
        "user-agent": "pytest/1.0",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if raw_body is not None:
        all_headers["content-type"] = "application/json"
        all_headers["content-length"] = str(len(raw_body))
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": DOMAIN,
            "domainPrefix": API_ID,
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "pytest/1.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": bool(base64_body and raw_body is not None),
    }
    if raw_body is not None:
        event["body"] = raw_body
    if path_parameters:
        event["pathParameters"] = path_parameters
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return event


def post_jobs(body: Any, **kwargs: Any) -> dict[str, Any]:
    return http_event("POST", "/jobs", body, **kwargs)


def get_job(job_id: str) -> dict[str, Any]:
    return http_event("GET", f"/jobs/{job_id}", path_parameters={"job_id": job_id})


def parse_response(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status code, JSON body) of a handler response; asserts the body is JSON as the API promises."""
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    assert headers.get("content-type", "").startswith("application/json"), response
    return response["statusCode"], json.loads(body)
