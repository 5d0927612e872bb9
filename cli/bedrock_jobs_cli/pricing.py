"""Bedrock token prices, in one place: what a run (or a planned workload) costs on-demand and in batch.

Prices are USD per million tokens for on-demand and batch inference in us-east-1, as the Amazon Bedrock
pricing page lists them (https://aws.amazon.com/bedrock/pricing/; batch inference is "50% lower than
on-demand" for the models that support it, User Guide "Process multiple prompts with batch inference").
Prices change and differ by Region and by inference profile: pass your own with ``--prices FILE`` (or
``$BEDROCK_JOBS_PRICES``), a JSON object ``{"<model id>": {"input_per_million": …,
"output_per_million": …, "batch_input_per_million": …, "batch_output_per_million": …}}``; its entries
replace or add to the table below.

Inference profile ids (``us.…``, ``global.…``) and ARNs are priced as the model behind them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .overrides import read_override

PRICES_ENV = "BEDROCK_JOBS_PRICES"
PRICE_FIELDS = (
    "input_per_million",
    "output_per_million",
    "batch_input_per_million",
    "batch_output_per_million",
)
PRICING_PAGE = "https://aws.amazon.com/bedrock/pricing/ (us-east-1, on-demand and batch, 2026)"


@dataclass(frozen=True)
class ModelPrice:
    model_id: str
    input_per_million: float
    output_per_million: float
    batch_input_per_million: float | None
    batch_output_per_million: float | None
    source: str = PRICING_PAGE

    @property
    def batch_supported(self) -> bool:
        return self.batch_input_per_million is not None and self.batch_output_per_million is not None

    def on_demand_usd(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6

    def batch_usd(self, input_tokens: int, output_tokens: int) -> float | None:
        if not self.batch_supported:
            return None
        assert self.batch_input_per_million is not None and self.batch_output_per_million is not None
        return (
            input_tokens * self.batch_input_per_million + output_tokens * self.batch_output_per_million
        ) / 1e6


def _price(model_id: str, on_demand: tuple[float, float], batch_discount: float | None = 0.5) -> ModelPrice:
    batch = (on_demand[0] * batch_discount, on_demand[1] * batch_discount) if batch_discount else (None, None)
    return ModelPrice(model_id, on_demand[0], on_demand[1], batch[0], batch[1])


#: The default table (USD per million input / output tokens, on-demand; batch at half).
DEFAULT_PRICES: dict[str, ModelPrice] = {
    p.model_id: p
    for p in (
        _price("anthropic.claude-haiku-4-5-20251001-v1:0", (1.00, 5.00)),
        _price("anthropic.claude-sonnet-4-5-20250929-v1:0", (3.00, 15.00)),
        _price("anthropic.claude-sonnet-4-20250514-v1:0", (3.00, 15.00)),
        _price("anthropic.claude-3-5-haiku-20241022-v1:0", (0.80, 4.00)),
        _price("anthropic.claude-3-haiku-20240307-v1:0", (0.25, 1.25)),
        _price("amazon.nova-micro-v1:0", (0.035, 0.14)),
        _price("amazon.nova-lite-v1:0", (0.06, 0.24)),
        _price("amazon.nova-pro-v1:0", (0.80, 3.20)),
        _price("meta.llama3-1-8b-instruct-v1:0", (0.22, 0.22)),
        _price("meta.llama3-1-70b-instruct-v1:0", (0.72, 0.72)),
        _price("mistral.mistral-large-2407-v1:0", (2.00, 6.00)),
    )
}

# Cross-Region inference profile prefixes (User Guide, "Supported Regions and models for inference
# profiles"): the profile is billed as its model.
_PROFILE_PREFIX = re.compile(r"^(global|us|us-gov|eu|apac|jp|au|ca)\.")


class PricingError(ValueError):
    """A price file that cannot be read, or a model with no price."""


def base_model_id(model_id: str) -> str:
    """``us.amazon.nova-lite-v1:0`` and ARNs of models or inference profiles → ``amazon.nova-lite-v1:0``."""
    if model_id.startswith("arn:"):
        model_id = model_id.rsplit("/", 1)[-1]
    return _PROFILE_PREFIX.sub("", model_id)


def load_prices(path: str | Path | None = None) -> dict[str, ModelPrice]:
    """The default table, with the entries of ``path`` (or ``$BEDROCK_JOBS_PRICES``) on top."""
    prices = dict(DEFAULT_PRICES)
    override = read_override(path, PRICES_ENV, PricingError, "prices by model id")
    if override is None:
        return prices
    source, document = override
    for model_id, entry in document.items():
        prices[base_model_id(model_id)] = _parse_entry(source, model_id, entry)
    return prices


def _parse_entry(source: str, model_id: str, entry: Any) -> ModelPrice:
    if not isinstance(entry, Mapping):
        raise PricingError(f"{source}: {model_id}: expected an object")
    values: dict[str, float | None] = {}
    for name in (
        "input_per_million",
        "output_per_million",
        "batch_input_per_million",
        "batch_output_per_million",
    ):
        value = entry.get(name)
        required = name in ("input_per_million", "output_per_million")
        if value is None and not required:
            values[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PricingError(f"{source}: {model_id}: {name} must be a number ≥ 0, got {value!r}")
        values[name] = float(value)
    return ModelPrice(
        base_model_id(model_id),
        float(values["input_per_million"] or 0.0),
        float(values["output_per_million"] or 0.0),
        values["batch_input_per_million"],
        values["batch_output_per_million"],
        source=str(entry.get("source") or source),
    )


def price_for(model_id: str, prices: Mapping[str, ModelPrice] | None = None) -> ModelPrice:
    table = DEFAULT_PRICES if prices is None else prices
    price = table.get(base_model_id(model_id))
    if price is None:
        known = ", ".join(sorted(table))
        raise PricingError(f"no price for {model_id!r}; add it with --prices FILE (known: {known})")
    return price


def run_cost(
    price: ModelPrice, *, realtime_tokens: tuple[int, int], batch_tokens: tuple[int, int]
) -> dict[str, Any]:
    """A run's tokens priced three ways: all on-demand, all in batch, and as the run actually went
    (what the batch path answered at the batch price, the rest on-demand)."""
    total = (realtime_tokens[0] + batch_tokens[0], realtime_tokens[1] + batch_tokens[1])
    on_demand = price.on_demand_usd(*total)
    all_batch = price.batch_usd(*total)
    batch_part = price.batch_usd(*batch_tokens)
    as_run = price.on_demand_usd(*realtime_tokens) + (
        batch_part if batch_part is not None else price.on_demand_usd(*batch_tokens)
    )
    return {
        "priced_as": price.model_id,
        "prices_per_million_tokens": {name: getattr(price, name) for name in PRICE_FIELDS},
        "source": price.source,
        "tokens": {
            "realtime": {"input": realtime_tokens[0], "output": realtime_tokens[1]},
            "batch": {"input": batch_tokens[0], "output": batch_tokens[1]},
        },
        "on_demand_usd": round(on_demand, 6),
        "batch_usd": None if all_batch is None else round(all_batch, 6),
        "as_run_usd": round(as_run, 6),
        "saved_usd": round(on_demand - as_run, 6),
        "saved_percent": round(100 * (on_demand - as_run) / on_demand, 1) if on_demand else 0.0,
    }
