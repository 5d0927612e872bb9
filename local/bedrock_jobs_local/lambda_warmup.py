"""Imported by the fork server that execution environments are forked from (see ``lambda_runtime``).

Most of a cold start here is botocore parsing the same service-model JSON files again in every new
environment. The files never change, so this module caches each parsed file process-wide and parses
the ones the functions use once, before any environment is forked; every environment then inherits
them. What botocore returns is unchanged — only the repeated parsing goes. It is never imported by
the runner itself or by tests that use botocore directly.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore import loaders

SERVICES = ("dynamodb", "sqs", "s3", "sns", "bedrock-runtime")

_parsed: dict[str, Any] = {}
_load_file = loaders.JSONFileLoader.load_file


def _cached_load_file(self: loaders.JSONFileLoader, file_path: str) -> Any:
    if file_path not in _parsed:
        _parsed[file_path] = _load_file(self, file_path)
    return _parsed[file_path]


def warm() -> None:
    loaders.JSONFileLoader.load_file = _cached_load_file  # type: ignore[method-assign]
    session = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="warmup", aws_secret_access_key="warmup"
    )
    for service in SERVICES:
        # A client forces the service model, paginators, waiters and endpoint rules to load.
        session.client(service, endpoint_url="http://127.0.0.1:9")


warm()
