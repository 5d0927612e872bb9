"""Offline stand-in for registry.terraform.io/hashicorp/aws, serving a real schema (6.47.0 or 6.28.0).

Behaviour beyond the generic schema-driven provider:

* provider-side checks of the real provider (``aws_rules``): name limits at validate/plan,
  the SQS/SNS name checks of CustomizeDiff, ``filename``/``source`` files read at apply;
* apply generates names from ``name_prefix`` & co. like terraform-plugin-sdk's
  ``id.PrefixedUniqueId``, and shapes ARNs with the resource's region (its ``region``
  argument, else the provider's) and the provider's account (``assume_role.role_arn``'s
  account, else a single ``allowed_account_ids`` entry, else ``$TF_OFFLINE_AWS_ACCOUNT_ID`` or
  123456789012); global services' ARNs (IAM, CloudWatch dashboards, S3) carry no region;

* ``region`` (every resource has it in 6.x) is planned as the provider's region, and
  ``tags_all`` as provider ``default_tags`` merged with ``tags`` -- both are known at plan
  time with the real provider too, and tests like to assert on them;
* data sources a module typically reads return plausible known values:
  ``aws_caller_identity`` (account 123456789012), ``aws_region``, ``aws_partition`` and
  ``aws_iam_policy_document``, which renders the real policy JSON (the same layout, key
  order, sorting and merging rules as the provider, see ``iam_policy``);
* any other data source returns its configuration with placeholders for computed values.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import Any

from . import aws_rules, cty, iam_policy
from .provider_base import Diagnostic, OfflineProvider, ProviderError, raise_errors
from .schema import AWS_VERSION, Schema, aws_schema_file, load_aws_schema

ACCOUNT_ID = "123456789012"
# Overrides ACCOUNT_ID as the account every provider configuration "authenticates" to.
ACCOUNT_ID_ENV = "TF_OFFLINE_AWS_ACCOUNT_ID"
DEFAULT_REGION = "us-east-1"
# Services whose ARNs have no region (arn:aws:iam::123456789012:role/x).
_GLOBAL_SERVICES = frozenset({"iam", "cloudfront", "route53", "organizations", "waf", "shield"})

_REGION_DESCRIPTIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}


def partition_of(region: str) -> tuple[str, str]:
    """(partition, DNS suffix) for a region name."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def _fake_arn(
    partition: str,
    service: str,
    region: str,
    kind: str,
    name: str,
    account: str = ACCOUNT_ID,
    obj: Any = None,
) -> str:
    """An ARN shaped like the real one for the services this project uses."""
    obj = obj if isinstance(obj, dict) else {}
    if service in ("sqs", "sns"):
        resource = name
    elif service == "lambda":
        resource = f"function:{name}"
    elif service == "s3":
        return f"arn:{partition}:s3:::{name}"
    elif service == "cloudwatch" and kind.startswith("log"):
        return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"
    elif service == "cloudwatch" and kind.startswith("event"):
        # aws_cloudwatch_event_* resources are EventBridge's: arn:aws:events:region:account:rule/name
        bus = obj.get("event_bus_name")
        kind = kind.removeprefix("event_")
        if kind == "rule" and isinstance(bus, str) and bus and bus != "default":
            name = f"{bus.rsplit('/', 1)[-1]}/{name}"
        return f"arn:{partition}:events:{region}:{account}:{kind}/{name}"
    elif service == "cloudwatch" and kind.endswith("alarm"):
        # PutMetricAlarm: arn:aws:cloudwatch:region:account:alarm:name
        return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"
    elif service == "cloudwatch" and kind == "dashboard":
        # Dashboards are global: arn:aws:cloudwatch::account:dashboard/name
        return f"arn:{partition}:cloudwatch::{account}:dashboard/{name}"
    elif service == "kms" and kind == "alias":
        return f"arn:{partition}:kms:{region}:{account}:{name}"  # name is "alias/..."
    elif service == "scheduler" and kind == "schedule":
        group = obj.get("group_name") if isinstance(obj.get("group_name"), str) else "default"
        return f"arn:{partition}:scheduler:{region}:{account}:schedule/{group}/{name}"
    elif service == "iam":
        path = obj.get("path") if isinstance(obj.get("path"), str) and obj.get("path") else "/"
        resource = f"{kind.replace('_', '-')}{path}{name}"
    else:
        resource = f"{kind.replace('_', '-')}/{name}"
    if service in _GLOBAL_SERVICES:  # global service: no region in the ARN
        region = ""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def _first_block(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return None


_ARN_ACCOUNT = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


class AwsProvider(OfflineProvider):
    def __init__(self, version: str = AWS_VERSION) -> None:
        super().__init__(load_aws_schema(aws_schema_file(version)))
        self.version = version
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        self.account_id = os.environ.get(ACCOUNT_ID_ENV) or ACCOUNT_ID
        self.default_tags: Any = {}

    def configure(self, config: dict[str, Any]) -> None:
        super().configure(config)
        region = config.get("region")
        if isinstance(region, str) and region:
            self.region = region
        elif region is cty.UNKNOWN:
            self.region = cty.UNKNOWN  # type: ignore[assignment]
        default_tags = _first_block(config.get("default_tags"))
        if default_tags is not None:
            tags = default_tags.get("tags")
            self.default_tags = tags if tags is not None else {}
        # The account the credentials belong to: an assumed role's, else the only allowed one.
        role = _first_block(config.get("assume_role"))
        role_arn = role.get("role_arn") if role else None
        allowed = config.get("allowed_account_ids")
        if isinstance(role_arn, str) and _ARN_ACCOUNT.match(role_arn):
            self.account_id = _ARN_ACCOUNT.match(role_arn).group(1)  # type: ignore[union-attr]
        elif isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str):
            self.account_id = allowed[0]

    # -- validation --------------------------------------------------------------------

    def validate_resource(self, type_name: str, config: Any) -> list[Diagnostic] | None:
        schema = self.resource_schema(type_name)
        return aws_rules.validate_names(type_name, config, schema.block.attributes)

    def plan_resource(
        self, type_name: str, prior: Any, proposed: Any, config: Any
    ) -> tuple[Any, list[list[str]]]:
        planned, replace = super().plan_resource(type_name, prior, proposed, config)
        if planned is not None and (prior is None or replace):
            raise_errors(aws_rules.customize_diff_errors(type_name, planned))
        return planned, replace

    # -- apply -------------------------------------------------------------------------

    def apply_resource(self, type_name: str, prior: Any, planned: Any, config: Any) -> Any:
        if planned is None:  # destroy
            return None
        aws_rules.check_apply_files(type_name, prior, planned)
        schema = self.resource_schema(type_name)
        named = aws_rules.fill_generated_names(type_name, schema.block.attributes, planned)
        return self.fill_computed(type_name, named, schema)

    # -- planning ----------------------------------------------------------------------

    def _tags_all(self, obj: dict[str, Any]) -> Any:
        tags = obj.get("tags")
        if tags is cty.UNKNOWN or self.default_tags is cty.UNKNOWN:
            return cty.UNKNOWN
        if not cty.is_wholly_known(tags) or not cty.is_wholly_known(self.default_tags):
            return cty.UNKNOWN
        return {**(self.default_tags or {}), **(tags or {})}

    def _region_aware(self, type_name: str, schema: Schema, obj: dict[str, Any]) -> dict[str, Any]:
        attrs = schema.block.attributes
        out = dict(obj)
        region_attr = attrs.get("region")
        if region_attr is not None and region_attr.computed and out.get("region") in (None, cty.UNKNOWN):
            out["region"] = self.region
        if "tags_all" in attrs and "tags" in attrs:
            out["tags_all"] = self._tags_all(out)
        return out

    def plan_create(self, type_name: str, planned: dict[str, Any]) -> dict[str, Any]:
        return self._region_aware(type_name, self.resource_schema(type_name), planned)

    def plan_update(self, type_name: str, prior: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
        return self._region_aware(type_name, self.resource_schema(type_name), proposed)

    # -- placeholders ------------------------------------------------------------------

    def fill_computed(self, type_name: str, obj: dict[str, Any], schema: Schema) -> dict[str, Any]:
        # aws 6.x: a resource's own `region` argument overrides the provider's.
        region = (
            obj.get("region") if isinstance(obj.get("region"), str) and obj.get("region") else self.region
        )
        region = region if isinstance(region, str) else DEFAULT_REGION
        account = self.account_id
        partition, dns_suffix = partition_of(region)
        service = type_name.split("_")[1] if type_name.count("_") >= 1 else "aws"
        kind = type_name.split("_", 2)[2] if type_name.count("_") >= 2 else service
        # Name-like arguments make placeholders (ids, ARNs, URLs) recognisable in plans.
        name = next(
            (
                obj[k]
                for k in (
                    "name",
                    "function_name",
                    "bucket",
                    "table_name",
                    "alarm_name",
                    "dashboard_name",
                    "layer_name",
                )
                if isinstance(obj.get(k), str)
            ),
            None,
        )
        stem = name or f"{kind}-{zlib.crc32(type_name.encode()) & 0xFFFF:04x}"

        def make(ty: cty.CtyType, hint: str) -> Any:
            if ty == "string":
                if hint == "arn" or hint.endswith("_arn"):
                    return _fake_arn(partition, service, region, kind, stem, account, obj)
                if (hint == "url" and service == "sqs") or (hint == "id" and type_name == "aws_sqs_queue"):
                    # internal/service/sqs/queue.go: d.SetId(QueueUrl) -- a queue's id is its URL.
                    return f"https://sqs.{region}.{dns_suffix}/{account}/{stem}"
                if hint in ("id", "name"):
                    return stem
                if hint in ("account_id", "owner_id"):
                    return account
                if hint == "region":
                    return region
            return cty.placeholder(ty, hint)

        return cty.fill_unknowns(obj, schema.block.implied_type, make=make)

    # -- data sources ------------------------------------------------------------------

    def read_data_source(self, type_name: str, config: Any) -> Any:
        schema = self.data_source_schema(type_name)
        if not cty.is_wholly_known(config):
            raise ProviderError(f"{type_name}: configuration has unknown values")
        state = dict(config)
        region = config.get("region") if isinstance(config.get("region"), str) else self.region
        if not isinstance(region, str):
            raise ProviderError(f"{type_name}: the provider region is unknown")
        partition, dns_suffix = partition_of(region)
        if type_name == "aws_caller_identity":
            state.update(
                account_id=self.account_id,
                arn=f"arn:{partition}:iam::{self.account_id}:user/terraform-offline",
                user_id="AIDAOFFLINETERRAFORM0",
                id=self.account_id,
            )
        elif type_name == "aws_region":
            state.update(
                region=region,
                name=region,
                id=region,
                endpoint=f"ec2.{region}.{dns_suffix}",
                description=_REGION_DESCRIPTIONS.get(region, region),
            )
        elif type_name == "aws_partition":
            state.update(
                partition=partition,
                dns_suffix=dns_suffix,
                reverse_dns_prefix=".".join(reversed(dns_suffix.split("."))),
                id=partition,
            )
        elif type_name == "aws_iam_policy_document":
            try:
                state.update(iam_policy.render_policy_document(config))
            except ValueError as exc:
                raise ProviderError("writing IAM Policy Document", str(exc)) from exc
        elif "region" in schema.block.attributes and state.get("region") is None:
            state["region"] = region
        # Whatever the handlers above did not set is computed and gets a placeholder.
        for attr_name, attr in schema.block.attributes.items():
            if attr.computed and state.get(attr_name) is None:
                state[attr_name] = cty.UNKNOWN
        return self.fill_computed(type_name, state, schema)
