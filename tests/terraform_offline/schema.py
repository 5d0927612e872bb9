"""Provider schemas: the real hashicorp/aws schema (from JSON) and hand-written ones.

A schema is kept as :class:`Block` trees in the shape of ``terraform providers schema -json``
(``attributes`` / ``block_types`` / ``nesting_mode``). The same tree drives three things:
the protobuf ``Schema`` served by ``GetProviderSchema`` (Terraform core checks every argument
of every configuration against it), the cty type of objects exchanged on the wire, and the
walk that marks computed attributes unknown while planning.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .cty import CtyType

HERE = Path(__file__).resolve().parent
# The provider versions the offline mirror serves by default. To move to another aws release,
# drop in its schema (README.md, "Refreshing the aws schema") and change AWS_VERSION.
AWS_VERSION = "6.47.0"
ARCHIVE_VERSION = "2.7.1"
# Every aws version whose real schema this directory carries (aws-provider-schema-<v>.json.gz).
# 6.28.0 is the floor terraform-aws-modules' sqs/lambda modules require: validating against the
# lowest version a constraint allows catches arguments that version does not know yet.
AWS_FLOOR_VERSION = "6.28.0"
AWS_VERSIONS = (AWS_FLOOR_VERSION, AWS_VERSION)
# hashicorp/archive releases the hand-written stand-in can imitate (behaviour differences from
# the provider's CHANGELOG.md are modelled in archive.py). 2.4.0 added exclude_symlink_directories,
# the oldest argument the schema below has.
ARCHIVE_VERSIONS = ("2.4.0", "2.4.1", "2.4.2", "2.5.0", "2.6.0", "2.7.0", "2.7.1")
AWS_SCHEMA_FILE = HERE / f"aws-provider-schema-{AWS_VERSION}.json.gz"
AWS_PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.4.2"`` → ``(2, 4, 2)`` for comparisons."""
    return tuple(int(part) for part in version.split("-")[0].split("."))


def aws_schema_file(version: str = AWS_VERSION) -> Path:
    """The carried schema dump of hashicorp/aws ``version`` (ValueError when there is none)."""
    path = HERE / f"aws-provider-schema-{version}.json.gz"
    if version not in AWS_VERSIONS or not path.is_file():
        raise ValueError(f"no hashicorp/aws {version} schema here; available: {', '.join(AWS_VERSIONS)}")
    return path


def check_archive_version(version: str) -> str:
    if version not in ARCHIVE_VERSIONS:
        raise ValueError(
            f"hashicorp/archive {version} is not modelled; available: {', '.join(ARCHIVE_VERSIONS)}"
        )
    return version


SINGLE_NESTING = ("single", "group")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: CtyType
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    deprecated: bool = False
    # Nested attribute types (protocol 6 "nested_type"); None for plain attributes.
    nested: Block | None = None
    nested_mode: str = ""

    @classmethod
    def from_json(cls, name: str, raw: dict[str, Any]) -> Attribute:
        nested = None
        nested_mode = ""
        if "nested_type" in raw:
            nested = Block.from_json(raw["nested_type"])
            nested_mode = raw["nested_type"].get("nesting_mode", "single")
        return cls(
            name=name,
            type=raw.get("type", "dynamic"),
            required=bool(raw.get("required")),
            optional=bool(raw.get("optional")),
            computed=bool(raw.get("computed")),
            sensitive=bool(raw.get("sensitive")),
            deprecated=bool(raw.get("deprecated")),
            nested=nested,
            nested_mode=nested_mode,
        )

    @property
    def cty_type(self) -> CtyType:
        if self.nested is None:
            return self.type
        obj = self.nested.implied_type
        if self.nested_mode in SINGLE_NESTING:
            return obj
        return [self.nested_mode, obj]


@dataclass(frozen=True)
class NestedBlock:
    name: str
    nesting: str  # single | group | list | set | map
    block: Block
    min_items: int = 0
    max_items: int = 0

    @classmethod
    def from_json(cls, name: str, raw: dict[str, Any]) -> NestedBlock:
        return cls(
            name=name,
            nesting=raw["nesting_mode"],
            block=Block.from_json(raw["block"]),
            min_items=int(raw.get("min_items", 0)),
            max_items=int(raw.get("max_items", 0)),
        )

    @property
    def cty_type(self) -> CtyType:
        obj = self.block.implied_type
        if self.nesting in SINGLE_NESTING:
            return obj
        return [self.nesting, obj]


@dataclass(frozen=True)
class Block:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    block_types: dict[str, NestedBlock] = field(default_factory=dict)
    deprecated: bool = False

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Block:
        return cls(
            attributes={n: Attribute.from_json(n, a) for n, a in raw.get("attributes", {}).items()},
            block_types={n: NestedBlock.from_json(n, b) for n, b in raw.get("block_types", {}).items()},
            deprecated=bool(raw.get("deprecated")),
        )

    @cached_property
    def implied_type(self) -> CtyType:
        """The cty object type Terraform core derives from this block (ImpliedType)."""
        attrs: dict[str, CtyType] = {n: a.cty_type for n, a in self.attributes.items()}
        attrs.update({n: b.cty_type for n, b in self.block_types.items()})
        return ["object", attrs]

    def empty_object(self) -> dict[str, Any]:
        """An object of this block's type with every attribute null and no nested blocks.

        Wire objects must carry every attribute: collections of nested blocks are empty
        (Terraform never uses null for a list/set/map of blocks), single blocks are null.
        """
        out: dict[str, Any] = dict.fromkeys(self.attributes)
        for name, nb in self.block_types.items():
            if nb.nesting in SINGLE_NESTING:
                out[name] = None
            elif nb.nesting == "map":
                out[name] = {}
            else:
                out[name] = []
        return out


@dataclass(frozen=True)
class Schema:
    block: Block
    version: int = 0

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Schema:
        return cls(block=Block.from_json(raw["block"]), version=int(raw.get("version", 0)))


class SchemaMap(Mapping[str, Schema]):
    """Schemas by type name, built from their JSON on first use.

    hashicorp/aws has ~2300 of them and one Terraform command starts the provider several
    times; most runs touch a handful, so building all up front would waste seconds.
    """

    def __init__(self, raw: Callable[[], dict[str, Any]]) -> None:
        self._raw = raw
        self._built: dict[str, Schema] = {}

    def __getitem__(self, name: str) -> Schema:
        if name not in self._built:
            self._built[name] = Schema.from_json(self._raw()[name])
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw())

    def __len__(self) -> int:
        return len(self._raw())


class ProviderSchema:
    def __init__(
        self,
        provider: Callable[[], Schema],
        resources: Mapping[str, Schema],
        data_sources: Mapping[str, Schema],
        cache_key: str = "",
    ) -> None:
        self._provider = provider
        self.resources = resources
        self.data_sources = data_sources
        # Identifies the schema content, for caching the serialized GetProviderSchema reply.
        self.cache_key = cache_key

    @cached_property
    def provider(self) -> Schema:
        return self._provider()


# --------------------------------------------------------------------------------------
# Schema → protobuf. Imported lazily by the provider process only.
# --------------------------------------------------------------------------------------


def block_to_proto(block: Block) -> Any:
    from tf.gen import tfplugin_pb2 as pb

    def attr_to_proto(attr: Attribute) -> Any:
        msg = pb.Schema.Attribute(
            name=attr.name,
            required=attr.required,
            optional=attr.optional,
            computed=attr.computed,
            sensitive=attr.sensitive,
            deprecated=attr.deprecated,
        )
        if attr.nested is not None:
            msg.nested_type.CopyFrom(
                pb.Schema.Object(
                    attributes=[attr_to_proto(a) for a in attr.nested.attributes.values()],
                    nesting=getattr(pb.Schema.Object, attr.nested_mode.upper()),
                )
            )
        else:
            # Attribute types travel as their JSON encoding, exactly as in the schema JSON.
            msg.type = json.dumps(attr.type, separators=(",", ":")).encode()
        return msg

    return pb.Schema.Block(
        attributes=[attr_to_proto(a) for a in block.attributes.values()],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=nb.name,
                block=block_to_proto(nb.block),
                nesting=getattr(pb.Schema.NestedBlock, nb.nesting.upper()),
                min_items=nb.min_items,
                max_items=nb.max_items,
            )
            for nb in block.block_types.values()
        ],
        deprecated=block.deprecated,
    )


def schema_to_proto(schema: Schema) -> Any:
    from tf.gen import tfplugin_pb2 as pb

    return pb.Schema(version=schema.version, block=block_to_proto(schema.block))


# --------------------------------------------------------------------------------------
# hashicorp/aws
# --------------------------------------------------------------------------------------


def _attr(type_: CtyType, **flags: bool) -> dict[str, Any]:
    return {"type": type_, **flags}


_OPT_STR = _attr("string", optional=True)
_OPT_BOOL = _attr("bool", optional=True)
_OPT_NUM = _attr("number", optional=True)
_OPT_STR_SET = _attr(["set", "string"], optional=True)
_OPT_STR_LIST = _attr(["list", "string"], optional=True)
_OPT_STR_MAP = _attr(["map", "string"], optional=True)

# Service keys accepted in `endpoints { ... }`, besides the first word of every resource
# type (aws_<service>_...). The real provider has ~250 keys; these cover the usual ones and
# the aliases whose names differ from resource prefixes.
_EXTRA_ENDPOINT_KEYS = frozenset(
    {
        "apigateway",
        "apigatewayv2",
        "bedrock",
        "bedrockagent",
        "bedrockagentruntime",
        "bedrockruntime",
        "cloudcontrol",
        "cloudformation",
        "cloudfront",
        "cloudtrail",
        "cloudwatch",
        "cloudwatchevents",
        "cloudwatchlogs",
        "codebuild",
        "cognitoidentity",
        "cognitoidp",
        "dynamodb",
        "ec2",
        "ecr",
        "ecs",
        "efs",
        "eks",
        "elasticache",
        "elb",
        "elbv2",
        "es",
        "eventbridge",
        "events",
        "firehose",
        "iam",
        "kinesis",
        "kms",
        "lambda",
        "logs",
        "opensearch",
        "pipes",
        "rds",
        "redshift",
        "route53",
        "s3",
        "s3control",
        "scheduler",
        "secretsmanager",
        "ses",
        "sesv2",
        "sfn",
        "sns",
        "sqs",
        "ssm",
        "stepfunctions",
        "sts",
        "xray",
    }
)


def aws_provider_config_block(resource_types: list[str]) -> dict[str, Any]:
    """The `provider "aws" {}` schema, written by hand.

    `terraform providers schema -json` output we carry has no provider block (the copy
    was trimmed to resources and data sources), so this lists the commonly used arguments
    of hashicorp/aws 6.x with their real types. Anything else in a provider block fails
    validation, like a typo would against the real provider.
    """
    endpoint_keys = sorted(
        {t.split("_")[1] for t in resource_types if t.count("_") >= 1} | set(_EXTRA_ENDPOINT_KEYS)
    )
    return {
        "attributes": {
            "access_key": _OPT_STR,
            "allowed_account_ids": _OPT_STR_SET,
            "custom_ca_bundle": _OPT_STR,
            "ec2_metadata_service_endpoint": _OPT_STR,
            "ec2_metadata_service_endpoint_mode": _OPT_STR,
            "forbidden_account_ids": _OPT_STR_SET,
            "http_proxy": _OPT_STR,
            "https_proxy": _OPT_STR,
            "insecure": _OPT_BOOL,
            "max_retries": _OPT_NUM,
            "no_proxy": _OPT_STR,
            "profile": _OPT_STR,
            "region": _OPT_STR,
            "retry_mode": _OPT_STR,
            "s3_us_east_1_regional_endpoint": _OPT_STR,
            "s3_use_path_style": _OPT_BOOL,
            "secret_key": {**_OPT_STR, "sensitive": True},
            "shared_config_files": _OPT_STR_LIST,
            "shared_credentials_files": _OPT_STR_LIST,
            "skip_credentials_validation": _OPT_BOOL,
            "skip_metadata_api_check": _OPT_STR,
            "skip_region_validation": _OPT_BOOL,
            "skip_requesting_account_id": _OPT_BOOL,
            "sts_region": _OPT_STR,
            "tag_policy_compliance": _OPT_STR,
            "token": {**_OPT_STR, "sensitive": True},
            "token_bucket_rate_limiter_capacity": _OPT_NUM,
            "use_dualstack_endpoint": _OPT_BOOL,
            "use_fips_endpoint": _OPT_BOOL,
            "user_agent": _OPT_STR_LIST,
        },
        "block_types": {
            "assume_role": {
                "nesting_mode": "list",
                "block": {
                    "attributes": {
                        "duration": _OPT_STR,
                        "external_id": _OPT_STR,
                        "policy": _OPT_STR,
                        "policy_arns": _OPT_STR_SET,
                        "role_arn": _OPT_STR,
                        "session_name": _OPT_STR,
                        "source_identity": _OPT_STR,
                        "tags": _OPT_STR_MAP,
                        "transitive_tag_keys": _OPT_STR_SET,
                    }
                },
            },
            "assume_role_with_web_identity": {
                "nesting_mode": "list",
                "max_items": 1,
                "block": {
                    "attributes": {
                        "duration": _OPT_STR,
                        "policy": _OPT_STR,
                        "policy_arns": _OPT_STR_SET,
                        "role_arn": _OPT_STR,
                        "session_name": _OPT_STR,
                        "web_identity_token": _OPT_STR,
                        "web_identity_token_file": _OPT_STR,
                    }
                },
            },
            "default_tags": {
                "nesting_mode": "list",
                "max_items": 1,
                "block": {"attributes": {"tags": _OPT_STR_MAP}},
            },
            "endpoints": {
                "nesting_mode": "set",
                "block": {"attributes": dict.fromkeys(endpoint_keys, _OPT_STR)},
            },
            "ignore_tags": {
                "nesting_mode": "list",
                "max_items": 1,
                "block": {"attributes": {"key_prefixes": _OPT_STR_SET, "keys": _OPT_STR_SET}},
            },
        },
    }


def load_aws_schema(path: Path = AWS_SCHEMA_FILE) -> ProviderSchema:
    loaded: list[dict[str, Any]] = []
    lock = threading.Lock()

    def raw() -> dict[str, Any]:
        # gRPC serves concurrent calls from a thread pool; without the lock each of them
        # would parse the 5 MB JSON on first use.
        with lock:
            if not loaded:
                data = json.loads(gzip.decompress(path.read_bytes()))
                loaded.append(data["provider_schemas"][AWS_PROVIDER_ADDRESS])
            return loaded[0]

    def provider() -> Schema:
        prov = raw()
        return Schema.from_json(
            prov.get("provider")
            or {"block": aws_provider_config_block(sorted(prov.get("resource_schemas", {})))}
        )

    digest = hashlib.sha256(path.read_bytes())
    digest.update(Path(__file__).read_bytes())  # the hand-written provider block lives here
    return ProviderSchema(
        provider=provider,
        resources=SchemaMap(lambda: raw().get("resource_schemas", {})),
        data_sources=SchemaMap(lambda: raw().get("data_source_schemas", {})),
        cache_key=f"aws-{digest.hexdigest()[:20]}",
    )


# --------------------------------------------------------------------------------------
# hashicorp/archive 2.4.0-2.7.1 (hand-written from the provider's docs/resources/file.md)
# --------------------------------------------------------------------------------------


def _archive_file_block() -> dict[str, Any]:
    computed_str = _attr("string", computed=True)
    return {
        "attributes": {
            "id": computed_str,
            "type": _attr("string", required=True),
            "source_content": _OPT_STR,
            "source_content_filename": _OPT_STR,
            "source_file": _OPT_STR,
            "source_dir": _OPT_STR,
            "excludes": _OPT_STR_SET,
            "exclude_symlink_directories": _OPT_BOOL,
            "output_path": _attr("string", required=True),
            "output_file_mode": _OPT_STR,
            "output_size": _attr("number", computed=True),
            "output_md5": computed_str,
            "output_sha": computed_str,
            "output_sha256": computed_str,
            "output_base64sha256": computed_str,
            "output_sha512": computed_str,
            "output_base64sha512": computed_str,
        },
        "block_types": {
            "source": {
                "nesting_mode": "set",
                "block": {
                    "attributes": {
                        "content": _attr("string", required=True),
                        "filename": _attr("string", required=True),
                    }
                },
            }
        },
    }


# The archive_file *resource* was deprecated from 2.0 until 2.7.0 ("resource/archive_file: Remove
# `deprecated` status", CHANGELOG.md); the message is internal/provider/resource_archive_file.go's
# DeprecationMessage at v2.4.2..v2.6.0.
ARCHIVE_RESOURCE_DEPRECATION = "**NOTE**: This resource is deprecated, use data source instead."


def archive_resource_deprecated(version: str) -> bool:
    return version_tuple(version) < (2, 7, 0)


def load_archive_schema(version: str = ARCHIVE_VERSION) -> ProviderSchema:
    check_archive_version(version)
    file_schema = Schema.from_json({"block": _archive_file_block()})
    resource_schema = file_schema
    if archive_resource_deprecated(version):
        # terraform-plugin-framework sends a schema DeprecationMessage as Block.deprecated = true.
        resource_schema = Schema.from_json({"block": {**_archive_file_block(), "deprecated": True}})
    return ProviderSchema(
        provider=lambda: Schema(block=Block()),
        resources={"archive_file": resource_schema},
        data_sources={"archive_file": file_schema},
    )
