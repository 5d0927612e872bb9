"""Offline stand-in for registry.terraform.io/hashicorp/aws, serving the real 6.47.0 schema.

Behaviour beyond the generic schema-driven provider:

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
import zlib
from typing import Any

from . import cty, iam_policy
from .provider_base import OfflineProvider, ProviderError
from .schema import Schema, load_aws_schema

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

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


def _fake_arn(partition: str, service: str, region: str, kind: str, name: str) -> str:
    """An ARN shaped like the real one for the services this project uses."""
    if service in ("sqs", "sns"):
        resource = name
    elif service == "lambda":
        resource = f"function:{name}"
    elif service == "s3":
        return f"arn:{partition}:s3:::{name}"
    elif service == "cloudwatch" and kind.startswith("log"):
        return f"arn:{partition}:logs:{region}:{ACCOUNT_ID}:log-group:{name}"
    elif service == "cloudwatch" and kind.startswith("event"):
        # aws_cloudwatch_event_* resources are EventBridge's: arn:aws:events:region:account:rule/name
        return f"arn:{partition}:events:{region}:{ACCOUNT_ID}:{kind.removeprefix('event_')}/{name}"
    else:
        resource = f"{kind.replace('_', '-')}/{name}"
    if service == "iam":  # global service: no region in the ARN
        region = ""
    return f"arn:{partition}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _first_block(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return None


class AwsProvider(OfflineProvider):
    def __init__(self) -> None:
        super().__init__(load_aws_schema())
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
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
        region = self.region if isinstance(self.region, str) else DEFAULT_REGION
        partition, dns_suffix = partition_of(region)
        service = type_name.split("_")[1] if type_name.count("_") >= 1 else "aws"
        kind = type_name.split("_", 2)[2] if type_name.count("_") >= 2 else service
        # Name-like arguments make placeholders (ids, ARNs, URLs) recognisable in plans.
        name = next(
            (
                obj[k]
                for k in ("name", "function_name", "bucket", "table_name")
                if isinstance(obj.get(k), str)
            ),
            None,
        )
        stem = name or f"{kind}-{zlib.crc32(type_name.encode()) & 0xFFFF:04x}"

        def make(ty: cty.CtyType, hint: str) -> Any:
            if ty == "string":
                if hint == "arn" or hint.endswith("_arn"):
                    return _fake_arn(partition, service, region, kind, stem)
                if hint in ("id", "name"):
                    return stem
                if hint == "url" and service == "sqs":
                    return f"https://sqs.{region}.{dns_suffix}/{ACCOUNT_ID}/{stem}"
                if hint in ("account_id", "owner_id"):
                    return ACCOUNT_ID
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
                account_id=ACCOUNT_ID,
                arn=f"arn:{partition}:iam::{ACCOUNT_ID}:user/terraform-offline",
                user_id="AIDAOFFLINETERRAFORM0",
                id=ACCOUNT_ID,
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
