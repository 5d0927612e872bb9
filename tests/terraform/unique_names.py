"""Names AWS requires to be unique, checked across one or more applied Terraform states.

``name_collisions(state, ...)`` (or ``name_collisions([state, ...])``) takes ``terraform
show -json`` output after an (offline) apply -- a dict with ``values.root_module`` (child
modules are walked recursively) -- and returns a human-readable line for every name two
resource instances would both claim where AWS allows only one: two stacks in the same
account, two module instances with the same ``name``, the same queue name in one region.
:func:`find_collisions` returns the same as :class:`Collision` objects.

Where AWS scopes a name (sources: the IAM User Guide "IAM identifiers"/"IAM object quotas"
pages -- names of users, groups, roles, policies and instance profiles are unique per
account and *case-insensitive*; "Bucket naming rules" of the S3 User Guide -- bucket names
are unique across all accounts of a partition; the CloudWatch ``PutDashboard`` API reference
-- dashboard ARNs carry no region; the create APIs of each service for the regional ones):

* per partition: S3 bucket names;
* per account: IAM role, policy, user, group and instance-profile names (case-insensitive),
  CloudWatch dashboard names;
* per account and region: SQS queue, Lambda function, SNS topic, CloudWatch log group and alarm
  (metric and composite alarms share one namespace), KMS alias, DynamoDB table names,
  EventBridge rule names per event bus, EventBridge bus names, Scheduler schedule names per
  schedule group, EventBridge target ids per rule.

The region of a resource is its ``region`` attribute (aws 6.x plans every regional resource's
``region`` as the provider's when not set), falling back to the region in its ARN. The
account comes from the resource's ARN (the offline provider shapes ARNs with the provider
configuration's account), falling back to ``default_account``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.terraform.plan_helpers import iter_module_values

# Scopes: which parts of a resource's location make its name namespace.
PARTITION, ACCOUNT, REGION = "partition", "account", "region"


@dataclass(frozen=True)
class NameSpace:
    """One kind of name AWS keeps unique (``label``), read from ``attribute``."""

    label: str
    attribute: str
    scope: str  # PARTITION | ACCOUNT | REGION
    # Extra attributes that subdivide the namespace, with the value AWS assumes when null.
    within: tuple[tuple[str, str], ...] = ()
    case_insensitive: bool = False


_IAM = "IAM {} name"
NAMESPACES: dict[str, NameSpace] = {
    "aws_s3_bucket": NameSpace("S3 bucket name", "bucket", PARTITION),
    "aws_iam_role": NameSpace(_IAM.format("role"), "name", ACCOUNT, case_insensitive=True),
    "aws_iam_policy": NameSpace(_IAM.format("policy"), "name", ACCOUNT, case_insensitive=True),
    "aws_iam_user": NameSpace(_IAM.format("user"), "name", ACCOUNT, case_insensitive=True),
    "aws_iam_group": NameSpace(_IAM.format("group"), "name", ACCOUNT, case_insensitive=True),
    "aws_iam_instance_profile": NameSpace(
        _IAM.format("instance profile"), "name", ACCOUNT, case_insensitive=True
    ),
    "aws_cloudwatch_dashboard": NameSpace("CloudWatch dashboard name", "dashboard_name", ACCOUNT),
    "aws_sqs_queue": NameSpace("SQS queue name", "name", REGION),
    "aws_lambda_function": NameSpace("Lambda function name", "function_name", REGION),
    "aws_sns_topic": NameSpace("SNS topic name", "name", REGION),
    "aws_cloudwatch_log_group": NameSpace("CloudWatch log group name", "name", REGION),
    "aws_cloudwatch_metric_alarm": NameSpace("CloudWatch alarm name", "alarm_name", REGION),
    "aws_cloudwatch_composite_alarm": NameSpace("CloudWatch alarm name", "alarm_name", REGION),
    "aws_kms_alias": NameSpace("KMS alias name", "name", REGION),
    "aws_dynamodb_table": NameSpace("DynamoDB table name", "name", REGION),
    "aws_cloudwatch_event_bus": NameSpace("EventBridge event bus name", "name", REGION),
    "aws_cloudwatch_event_rule": NameSpace(
        "EventBridge rule name", "name", REGION, within=(("event_bus_name", "default"),)
    ),
    "aws_cloudwatch_event_target": NameSpace(
        "EventBridge target id",
        "target_id",
        REGION,
        within=(("event_bus_name", "default"), ("rule", "")),
    ),
    "aws_scheduler_schedule": NameSpace(
        "EventBridge Scheduler schedule name", "name", REGION, within=(("group_name", "default"),)
    ),
}

_ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>\d{12})?:")


@dataclass(frozen=True)
class Collision:
    label: str  # e.g. "IAM role name"
    name: str
    scope: str  # human-readable, e.g. "account 123456789012, region eu-west-1"
    addresses: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.label} {self.name!r} ({self.scope}) is used by {', '.join(self.addresses)}"


def _root_module(state: Mapping[str, Any]) -> Mapping[str, Any]:
    if "values" in state:
        return (state.get("values") or {}).get("root_module") or {}
    if "planned_values" in state:  # a plan: names known at plan time only
        return (state.get("planned_values") or {}).get("root_module") or {}
    return state.get("root_module") or {}


def _location(
    values: Mapping[str, Any], default_account: str, default_partition: str
) -> tuple[str, str, str]:
    """(partition, account, region) of a resource instance, from its attributes and ARN."""
    partition, account, region = default_partition, default_account, ""
    for key in ("arn", "dashboard_arn"):
        arn = values.get(key)
        match = _ARN.match(arn) if isinstance(arn, str) else None
        if match:
            partition = match["partition"]
            account = match["account"] or account
            region = match["region"]
            break
    if isinstance(values.get("region"), str) and values["region"]:
        region = values["region"]
    return partition, account, region


def _flatten(states: tuple[Any, ...]) -> tuple[Mapping[str, Any], ...]:
    """``f(a, b)`` and ``f([a, b])`` mean the same."""
    flat: list[Mapping[str, Any]] = []
    for item in states:
        if isinstance(item, Mapping):
            flat.append(item)
        else:
            flat.extend(item)
    return tuple(flat)


def find_collisions(
    *states: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    default_account: str = "123456789012",
    default_partition: str = "aws",
) -> list[Collision]:
    """Every name claimed by more than one resource instance within its AWS scope.

    ``states``: ``terraform show -json`` documents of applied states (plans work too, for
    names known at plan time), as arguments or in lists. With several states, addresses are
    prefixed ``[i]`` (the state's position).
    """
    states = _flatten(states)
    claims: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    shown: dict[tuple[Any, ...], tuple[NameSpace, str, str]] = {}
    for index, state in enumerate(states):
        for res in iter_module_values(dict(_root_module(state))):
            if res.get("mode", "managed") != "managed":
                continue
            space = NAMESPACES.get(res.get("type", ""))
            values = res.get("values") or {}
            name = values.get(space.attribute) if space else None
            if space is None or not isinstance(name, str) or not name:
                continue
            partition, account, region = _location(values, default_account, default_partition)
            parts = [f"partition {partition}"]
            if space.scope in (ACCOUNT, REGION):
                parts.append(f"account {account}")
            if space.scope == REGION:
                parts.append(f"region {region or '?'}")
            for attr, default in space.within:
                value = values.get(attr)
                value = value if isinstance(value, str) and value else default
                if attr == "event_bus_name":
                    value = value.rsplit("/", 1)[-1]  # a bus ARN names the same bus
                parts.append(f"{attr} {value}")
            scope = ", ".join(parts)
            key_name = name.lower() if space.case_insensitive else name
            key = (space.label, scope, key_name)
            address = res.get("address", "?")
            claims[key].append(f"[{index}] {address}" if len(states) > 1 else address)
            shown.setdefault(key, (space, scope, name))
    found = []
    for key, addresses in claims.items():
        if len(addresses) > 1:
            space, scope, name = shown[key]
            found.append(Collision(space.label, name, scope, tuple(addresses)))
    return sorted(found, key=lambda c: (c.label, c.name, c.scope))


def name_collisions(*states: Mapping[str, Any] | Sequence[Mapping[str, Any]], **kwargs: Any) -> list[str]:
    """:func:`find_collisions` as human-readable lines (empty when every name is unique)."""
    return [str(c) for c in find_collisions(*states, **kwargs)]


__all__ = ["NAMESPACES", "Collision", "NameSpace", "find_collisions", "name_collisions"]
