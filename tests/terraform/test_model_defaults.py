"""The module's default model must be one Bedrock still serves.

End-of-life dates are from the model cards and the "Model lifecycle (Legacy)" page of the Bedrock
User Guide (docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html), read
2026-12-01. A model past its EOL date fails every job (ResourceNotFoundException / ValidationException)
and pages on-call for each one.
"""

from __future__ import annotations

import datetime
import re

import hcl2

from tests.terraform.plan_helpers import REPO_ROOT

# Base model id -> Bedrock end-of-life date (model cards, "Model EOL date").
BEDROCK_EOL = {
    "anthropic.claude-3-haiku-20240307-v1:0": datetime.date(2026, 9, 10),
    "anthropic.claude-3-5-haiku-20241022-v1:0": datetime.date(2026, 6, 19),
}
# Marketplace product id of each model the module knows (model cards, "Marketplace product ID").
MARKETPLACE_PRODUCT_IDS = {
    "anthropic.claude-haiku-4-5-20251001-v1:0": "prod-xdkflymybwmvi",
}
PROFILE = re.compile(r"^(global|us-gov|us|eu|apac|jp|au|ca)\.")


def _defaults() -> dict[str, object]:
    with (REPO_ROOT / "variables.tf").open() as f:
        parsed = hcl2.load(f)
    # python-hcl2 keeps the quotes of block labels and of string values.
    return {
        name.strip('"'): _unquote(spec.get("default"))
        for block in parsed["variable"]
        for name, spec in block.items()
    }


def _unquote(value: object) -> object:
    if isinstance(value, str):
        return value.strip('"')
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def test_default_model_is_not_past_end_of_life() -> None:
    base_model = PROFILE.sub("", str(_defaults()["model_id"]))
    eol = BEDROCK_EOL.get(base_model)
    assert eol is None or eol > datetime.date.today(), f"{base_model} reached end of life on {eol}"


def test_eol_table_catches_the_previous_default() -> None:
    assert BEDROCK_EOL["anthropic.claude-3-haiku-20240307-v1:0"] < datetime.date(2026, 12, 1)


def test_default_marketplace_product_is_the_default_models() -> None:
    defaults = _defaults()
    base_model = PROFILE.sub("", str(defaults["model_id"]))
    assert defaults["consumer_marketplace_product_ids"] == [MARKETPLACE_PRODUCT_IDS[base_model]]
