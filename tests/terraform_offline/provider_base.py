"""Schema-driven provider behaviour shared by the offline aws and archive providers.

Nothing here talks to a cloud. Planning follows what an SDKv2 provider does for a
resource it knows nothing special about: configuration passes through unchanged and every
computed attribute the configuration leaves null becomes *unknown* ("known after apply").
Apply (used only when a test really applies) replaces unknowns with placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import cty
from .schema import SINGLE_NESTING, Block, ProviderSchema, Schema


class ProviderError(Exception):
    """Reported to Terraform as an error diagnostic (optionally pointing at an attribute)."""

    def __init__(self, summary: str, detail: str = "", path: list[str] | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.path = path


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic for Terraform; ``path`` names the attribute it is about (shown as "with ...")."""

    summary: str
    detail: str = ""
    path: tuple[str, ...] = ()
    warning: bool = False


class ProviderDiagnostics(Exception):
    """Several diagnostics at once (at least one of them an error), like an SDK ``diag.Diagnostics``."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.summary for d in diagnostics))
        self.diagnostics = diagnostics


def raise_errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Raise :class:`ProviderDiagnostics` when any diagnostic is an error; else return the warnings."""
    if any(not d.warning for d in diagnostics):
        raise ProviderDiagnostics(diagnostics)
    return diagnostics


def mark_computed_unknown(block: Block, obj: dict[str, Any]) -> dict[str, Any]:
    """Return ``obj`` with each null computed attribute set to UNKNOWN, in nested blocks too."""
    out = dict(obj)
    for name, attr in block.attributes.items():
        if attr.computed and out.get(name) is None:
            out[name] = cty.UNKNOWN
    for name, nb in block.block_types.items():
        value = out.get(name)
        if value is None or value is cty.UNKNOWN:
            continue
        if nb.nesting in SINGLE_NESTING:
            out[name] = mark_computed_unknown(nb.block, value)
        elif nb.nesting == "map":
            out[name] = {
                k: mark_computed_unknown(nb.block, v) if isinstance(v, dict) else v for k, v in value.items()
            }
        else:
            out[name] = [mark_computed_unknown(nb.block, v) if isinstance(v, dict) else v for v in value]
    return out


class OfflineProvider:
    """Base provider: accepts every configuration that Terraform core found schema-valid."""

    def __init__(self, schema: ProviderSchema) -> None:
        self.schema = schema
        self.config: dict[str, Any] = {}

    # -- lookups -----------------------------------------------------------------------

    def resource_schema(self, type_name: str) -> Schema:
        try:
            return self.schema.resources[type_name]
        except KeyError:
            raise ProviderError(f"unknown resource type {type_name!r}") from None

    def data_source_schema(self, type_name: str) -> Schema:
        try:
            return self.schema.data_sources[type_name]
        except KeyError:
            raise ProviderError(f"unknown data source {type_name!r}") from None

    # -- hooks, overridden by concrete providers ---------------------------------------

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config

    def validate_resource(self, type_name: str, config: Any) -> list[Diagnostic] | None:
        """ValidateResourceConfig: return warnings/errors (``config`` may hold UNKNOWN values)."""
        self.resource_schema(type_name)
        return None

    def validate_data_source(self, type_name: str, config: Any) -> None:
        self.data_source_schema(type_name)

    def plan_create(self, type_name: str, planned: dict[str, Any]) -> dict[str, Any]:
        """Adjust a create plan after computed attributes were marked unknown."""
        return planned

    def plan_update(self, type_name: str, prior: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
        """Plan an in-place update; Terraform's proposed state already merged prior values."""
        return proposed

    def requires_replace(
        self, type_name: str, prior: dict[str, Any], planned: dict[str, Any]
    ) -> list[list[str]]:
        return []

    def fill_computed(self, type_name: str, obj: dict[str, Any], schema: Schema) -> dict[str, Any]:
        """Make an object wholly known, for apply results and generic data sources."""
        return cty.fill_unknowns(obj, schema.block.implied_type)

    def read_data_source(self, type_name: str, config: Any) -> Any:
        schema = self.data_source_schema(type_name)
        if not cty.is_wholly_known(config):
            # Terraform defers reading data sources whose configuration is not known yet,
            # so this only happens if core changes that rule.
            raise ProviderError(f"{type_name}: configuration has unknown values")
        return self.fill_computed(type_name, mark_computed_unknown(schema.block, config), schema)

    # -- the generic protocol operations ----------------------------------------------

    def plan_resource(
        self, type_name: str, prior: Any, proposed: Any, config: Any
    ) -> tuple[Any, list[list[str]]]:
        schema = self.resource_schema(type_name)
        if proposed is None:  # destroy
            return None, []
        if prior is None:
            return self.plan_create(type_name, mark_computed_unknown(schema.block, proposed)), []
        planned = self.plan_update(type_name, prior, proposed)
        replace = self.requires_replace(type_name, prior, planned)
        if replace:
            # A replacement is a create: computed values will all be new.
            planned = self.plan_create(
                type_name, mark_computed_unknown(schema.block, _config_only(schema.block, planned))
            )
        return planned, replace

    def apply_resource(self, type_name: str, prior: Any, planned: Any, config: Any) -> Any:
        if planned is None:  # destroy
            return None
        return self.fill_computed(type_name, planned, self.resource_schema(type_name))

    def read_resource(self, type_name: str, state: Any) -> Any:
        # Nothing exists remotely to drift: the recorded state is the truth.
        return state


def _config_only(block: Block, obj: dict[str, Any]) -> dict[str, Any]:
    """Null out purely computed attributes (those the configuration cannot set)."""
    out = dict(obj)
    for name, attr in block.attributes.items():
        if attr.computed and not attr.optional:
            out[name] = None
    return out
