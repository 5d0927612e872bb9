"""Fault injection inside the embedded AWS: the moto server answers chosen requests with AWS errors.

Faults are injected at the HTTP boundary, in front of moto, so the functions' own SDK code runs exactly
as in production: botocore parses the error, its retry layer retries what AWS documents as retryable
(throttling, 5xx; see "Error retries" in the boto3 guide) and our code sees what reaches it after that.

A rule matches requests by service (the SigV4 signing name: ``dynamodb``, ``sqs``, ``s3``, ``sns``) and
API action, optionally by a substring of the raw request body or of the URL path (S3 keys) and by the
access key id that signed it (so one caller — a function, the event source mapping — can be faulted while
the harness's own clients are not), and fails
the next ``times`` of them (every one when ``None``), each with probability ``rate`` from a seeded
generator. With ``after=True`` the
request is first executed by moto and the error returned afterwards: the write happened but the caller
cannot know it — AWS's "ambiguous" outcome of a timeout or a 5xx after a request was accepted.

Rules are managed over HTTP on the server itself (``/_faults``), so the same control works for a moto in
a thread and in a child process: see ``FaultControl``.
"""

from __future__ import annotations

import io
import json
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests

CONTROL_PATH = "/_faults"

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")


@dataclass
class FaultRule:
    service: str
    action: str
    code: str | None = "InternalError"  # None: only delay the request, then let it through
    status: int = 500
    message: str = "injected fault"
    times: int | None = 1
    after: bool = False
    match: str | None = None
    path: str | None = None
    rate: float = 1.0
    delay_seconds: float = 0.0
    access_key: str | None = None  # only requests signed with this access key id
    id: int = 0
    fired: int = 0  # requests this rule has failed (or delayed) so far


@dataclass
class FaultRegistry:
    """Rules and the log of what was injected; shared by the server's request threads."""

    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    injected: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def add(self, rule: FaultRule) -> int:
        with self._lock:
            rule.id = self._next_id
            rule.fired = 0
            self._next_id += 1
            self.rules.append(rule)
            return rule.id

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self.rules.clear()
            self.injected.clear()
            if seed is not None:
                self._rng = random.Random(seed)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"injected": list(self.injected), "rules": [asdict(r) for r in self.rules]}

    def snapshot_rule(self, rule_id: int) -> dict[str, Any]:
        """Only one rule: cheap to poll while waiting for that rule to fire."""
        with self._lock:
            return {"rules": [asdict(r) for r in self.rules if r.id == rule_id]}

    def take(
        self, service: str, action: str, body: bytes, path: str = "", access_key: str = ""
    ) -> FaultRule | None:
        """The rule that fails this request, counting it against the rule's ``times``."""
        with self._lock:
            for rule in self.rules:
                if rule.service != service or rule.action != action:
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.match is not None and rule.match.encode() not in body:
                    continue
                if rule.path is not None and rule.path not in path:
                    continue
                if rule.access_key is not None and rule.access_key != access_key:
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.fired += 1
                self.injected.append(
                    {"service": service, "action": action, "code": rule.code, "after": rule.after}
                )
                return rule
        return None


def request_identity(environ: dict[str, Any], body: bytes) -> tuple[str, str]:
    """(signing service, API action) of a signed AWS request, or ``("", "")``."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:  # JSON protocols (DynamoDB, SQS): "DynamoDB_20120810.UpdateItem", "AmazonSQS.SendMessage"
        return service, target.rsplit(".", 1)[-1]
    if service == "s3":
        return service, _s3_action(environ)
    if body.startswith(b"Action=") or b"&Action=" in body:  # query protocol (SNS, SQS query)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        return service, action
    return service, ""


def request_access_key(environ: dict[str, Any]) -> str:
    """The access key id a SigV4 request was signed with, or ``""``."""
    found = _ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else ""


def _s3_action(environ: dict[str, Any]) -> str:
    method = environ.get("REQUEST_METHOD", "")
    path = environ.get("PATH_INFO", "").lstrip("/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    has_key = "/" in path and not path.endswith("/")
    if not has_key:
        if method == "GET":
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method, "")
    return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(
        method, ""
    )


def error_response(service: str, rule: FaultRule) -> tuple[str, list[tuple[str, str]], bytes]:
    """The error in the wire format of the service's protocol, as botocore parses it."""
    status = f"{rule.status} Injected"
    fault = "Sender" if rule.status < 500 else "Receiver"
    if service in ("dynamodb", "sqs"):
        body = json.dumps({"__type": f"com.amazonaws.{service}#{rule.code}", "message": rule.message})
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", "injected")]
        if service == "sqs":  # SQS's JSON protocol carries the query-compatible code in this header
            headers.append(("x-amzn-query-error", f"{rule.code};{fault}"))
        return status, headers, body.encode()
    if service == "s3":
        xml = f"<Error><Code>{rule.code}</Code><Message>{rule.message}</Message></Error>"
        return status, [("Content-Type", "application/xml")], xml.encode()
    xml = (
        f"<ErrorResponse><Error><Type>{fault}</Type><Code>{rule.code}</Code>"
        f"<Message>{rule.message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
    )
    return status, [("Content-Type", "text/xml")], xml.encode()


class FaultInjectingApp:
    """WSGI middleware in front of moto's application."""

    def __init__(self, app: Any, registry: FaultRegistry | None = None) -> None:
        self.app = app
        self.registry = registry or FaultRegistry()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        body = _read_body(environ)
        if environ.get("PATH_INFO", "").startswith(CONTROL_PATH):
            return self._control(environ, body, start_response)
        if environ.get("PATH_INFO", "").startswith("/moto-api/reset"):
            self.registry.clear()
        service, action = request_identity(environ, body)
        path = environ.get("PATH_INFO", "")
        access_key = request_access_key(environ)
        rule = self.registry.take(service, action, body, path, access_key) if service and action else None
        if rule is None:
            return self.app(environ, start_response)
        if rule.delay_seconds:
            time.sleep(rule.delay_seconds)
        if rule.code is None:
            return self.app(environ, start_response)
        if rule.after:
            # Let moto apply the request, discard its answer, then report a failure.
            for _ in self.app(environ, lambda *args, **kwargs: None):
                pass
        status, headers, payload = error_response(service, rule)
        start_response(status, [*headers, ("Content-Length", str(len(payload)))])
        return [payload]

    def _control(self, environ: dict[str, Any], body: bytes, start_response: Any) -> list[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            spec = json.loads(body or b"{}")
            answer: Any = {"id": self.registry.add(FaultRule(**spec))}
        elif method == "DELETE":
            seed = parse_qs(environ.get("QUERY_STRING", "")).get("seed")
            self.registry.clear(int(seed[0]) if seed else None)
            answer = {"cleared": True}
        else:
            rule_id = parse_qs(environ.get("QUERY_STRING", "")).get("rule")
            answer = self.registry.snapshot_rule(int(rule_id[0])) if rule_id else self.registry.snapshot()
        payload = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    # moto reads the body again: hand it a fresh stream holding the same bytes.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


class FaultInjectingMotoServer:
    """moto's server application behind ``FaultInjectingApp``, served on a thread (port 0 = any free)."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        self._ip_address = ip_address
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> FaultInjectingMotoServer:
        from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = FaultInjectingApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class FaultControl:
    """Client for a fault-injecting moto server at ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        self.url = endpoint.rstrip("/") + CONTROL_PATH

    def add(
        self,
        service: str,
        action: str,
        code: str | None = "InternalError",
        status: int = 500,
        *,
        times: int | None = 1,
        after: bool = False,
        match: str | None = None,
        path: str | None = None,
        rate: float = 1.0,
        delay_seconds: float = 0.0,
        message: str = "injected fault",
        access_key: str | None = None,
    ) -> int:
        spec = {k: v for k, v in locals().items() if k != "self"}
        response = requests.post(self.url, json=spec, timeout=10)
        response.raise_for_status()
        return int(response.json()["id"])

    def clear(self, seed: int | None = None) -> None:
        params = {"seed": seed} if seed is not None else None
        requests.delete(self.url, params=params, timeout=10).raise_for_status()

    def injected(self) -> list[dict[str, Any]]:
        response = requests.get(self.url, timeout=10)
        response.raise_for_status()
        return list(response.json()["injected"])

    def fired(self, rule_id: int) -> int:
        """How many requests rule ``rule_id`` has failed (or delayed) so far."""
        response = requests.get(self.url, params={"rule": rule_id}, timeout=10)
        response.raise_for_status()
        return sum(int(rule["fired"]) for rule in response.json()["rules"])

    def rules(self) -> list[dict[str, Any]]:
        """The rules in place, each with how often it ``fired``."""
        response = requests.get(self.url, timeout=10)
        response.raise_for_status()
        return list(response.json()["rules"])

    def count(self, service: str | None = None, action: str | None = None) -> int:
        return sum(
            1
            for fault in self.injected()
            if (service is None or fault["service"] == service)
            and (action is None or fault["action"] == action)
        )
