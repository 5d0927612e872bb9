"""API Gateway HTTP API (payload format 2.0) events, shaped as API Gateway delivers them to Lambda."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .lambda_context import ACCOUNT_ID

API_ID = "localapi01"


def http_api_event(
    method: str,
    path: str,
    body: str | None = None,
    *,
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    region: str = "us-east-1",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    now = time.time()
    request_id = uuid.uuid4().hex[:16]
    domain = f"{API_ID}.execute-api.{region}.amazonaws.com"
    all_headers = {
        "accept": "application/json",
        "content-length": str(len(body.encode("utf-8")) if body else 0),
        "host": domain,
        "user-agent": "bedrock-jobs-local/0.1",
        "x-amzn-trace-id": f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}",
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        all_headers["content-type"] = "application/json"
    # API Gateway lower-cases header names in payload format 2.0.
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": request_id,
            "routeKey": route_key or f"{method} {path}",
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def post_job(body: str, region: str = "us-east-1", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return http_api_event("POST", "/jobs", body, route_key="POST /jobs", headers=headers, region=region)


def get_job(job_id: str, region: str = "us-east-1") -> dict[str, Any]:
    return http_api_event(
        "GET",
        f"/jobs/{job_id}",
        route_key="GET /jobs/{job_id}",
        path_parameters={"job_id": job_id},
        region=region,
    )
