"""Shared helpers of the Terraform tests: one staged copy of the repository per session, cached
``init``/``plan``/offline ``apply`` per configuration directory, and accessors for ``show -json``
plans and states (unknown values, configuration expressions, module instances).

Import it as ``tests.terraform.plan_helpers`` (one module object, so one cache per session).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.terraform_offline import OfflineTerraform, TerraformFailed, copy_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
NATIVE_DIR = Path(__file__).resolve().parent / "native"

# Configuration directories, relative to the repository root.
ROOT_DIR = "."
MODULE_DIRS = sorted(
    p.parent.relative_to(REPO_ROOT).as_posix() for p in REPO_ROOT.glob("modules/*/variables.tf")
)
EXAMPLE_DIRS = sorted(
    p.parent.relative_to(REPO_ROOT).as_posix() for p in REPO_ROOT.glob("examples/*/main.tf")
)
CONFIG_DIRS = [ROOT_DIR, *MODULE_DIRS, *EXAMPLE_DIRS]

# Deployable configurations (the root with its defaults and every example), by test id.
STACKS = {"root": ROOT_DIR, **{Path(d).name: d for d in EXAMPLE_DIRS}}


# Top-level entries of the checkout never copied (on top of copy_tree's own ignore list, which
# misses extra virtualenvs such as .venv-checkov).
_REPO_COPY_SKIP = re.compile(
    r"^(\.venv.*|venv|\.git|\.terraform.*|\.pytest_cache|\.ruff_cache|.*\.egg-info|build|dist)$"
)


def copy_repo(dest: Path) -> Path:
    """Copy the project's own files (no virtualenvs, caches or VCS data) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in sorted(REPO_ROOT.iterdir()):
        if _REPO_COPY_SKIP.match(entry.name):
            continue
        if entry.is_dir():
            copy_tree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)
    return dest


def config_id(rel: str) -> str:
    return "root" if rel == ROOT_DIR else rel


class _Unknown:
    """A value Terraform knows only after apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def merge_unknown(value: Any, unknown: Any) -> Any:
    """``change.after`` with every value flagged in ``change.after_unknown`` replaced by UNKNOWN."""
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, dict):
        base = dict(value) if isinstance(value, dict) else {}
        for key, flag in unknown.items():
            base[key] = merge_unknown(base.get(key), flag)
        return base
    if isinstance(unknown, list) and isinstance(value, list):
        return [merge_unknown(v, unknown[i] if i < len(unknown) else False) for i, v in enumerate(value)]
    return value


def is_known(value: Any) -> bool:
    """True when nothing inside ``value`` is UNKNOWN."""
    if value is UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    return True


def iter_module_values(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Resources of a ``planned_values``/``values`` module and all its child modules."""
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from iter_module_values(child)


def as_list(value: Any) -> list[Any]:
    """IAM JSON writes a one-element list as a bare value."""
    return value if isinstance(value, list) else [value]


def rendered_statements(policy_json: str) -> list[dict[str, Any]]:
    """The statements of a rendered IAM policy document."""
    return as_list(json.loads(policy_json)["Statement"])


_INDEX = re.compile(r"\[[^\]]*\]")

# The module instances of the queue pairs: the main one, and batch mode's (batch.tf).
_QUEUE_MODULE = re.compile(r"module\.(batch_)?queue(\[0\])?$")


def split_address(address: str) -> tuple[list[str], str]:
    """``module.a[0].module.b.aws_x.y["k"]`` → (["a", "b"], "aws_x.y") without instance keys."""
    parts = _INDEX.sub("", address).split(".")
    modules: list[str] = []
    while parts[0] == "module":
        modules.append(parts[1])
        parts = parts[2:]
    return modules, ".".join(parts)


def module_instance(address: str) -> str:
    """The module instance an address lives in (``""`` for the root module)."""
    modules = re.findall(r"module\.[^.\[]+(?:\[[^\]]*\])?", address)
    return ".".join(modules)


@dataclass
class Plan:
    """A ``terraform show -json`` plan with accessors."""

    data: dict[str, Any]

    @property
    def changes(self) -> list[dict[str, Any]]:
        return self.data["resource_changes"]

    def change(self, address: str) -> dict[str, Any]:
        for change in self.changes:
            if change["address"] == address:
                return change
        raise AssertionError(f"{address} is not in the plan: {sorted(c['address'] for c in self.changes)}")

    def addresses(self, type_: str, mode: str = "managed") -> list[str]:
        return sorted(c["address"] for c in self.changes if c["type"] == type_ and c["mode"] == mode)

    def values(self, address: str) -> dict[str, Any]:
        """Planned values of a resource, or of a data source (read during plan, or deferred to
        apply), with unknown parts as UNKNOWN."""
        for res in iter_module_values(
            self.data.get("prior_state", {}).get("values", {}).get("root_module", {})
        ):
            if res["address"] == address and res["mode"] == "data":
                return res["values"]
        change = self.change(address)["change"]
        return merge_unknown(change["after"], change.get("after_unknown", {}))

    def resources(self, type_: str, mode: str = "managed") -> dict[str, dict[str, Any]]:
        """address → values of every instance of ``type_`` (data sources included with mode="data")."""
        found = {a: self.values(a) for a in self.addresses(type_, mode)}
        if mode == "data":
            for res in iter_module_values(
                self.data.get("prior_state", {}).get("values", {}).get("root_module", {})
            ):
                if res["type"] == type_ and res["mode"] == "data":
                    found.setdefault(res["address"], res["values"])
        return found

    # -- configuration -----------------------------------------------------------------

    def config_module(self, module_path: list[str]) -> dict[str, Any]:
        module = self.data["configuration"]["root_module"]
        for name in module_path:
            module = module["module_calls"][name]["module"]
        return module

    def config_module_call(self, module_path: list[str]) -> dict[str, Any]:
        """The ``module "x" {...}`` block (its ``expressions``) of the last module in the path."""
        parent = self.config_module(module_path[:-1])
        return parent["module_calls"][module_path[-1]]

    def config_resource(self, address: str) -> dict[str, Any]:
        modules, local = split_address(address)
        mode_prefix = ""
        if local.startswith("data."):
            mode_prefix, local = "data.", local[len("data.") :]
        for res in self.config_module(modules).get("resources", []):
            if res["address"] == f"{mode_prefix}{local}":
                return res
        raise AssertionError(f"no configuration for {address}")


def expression_references(expression: Any) -> list[str]:
    """All references inside a configuration expression (nested blocks included)."""
    refs: list[str] = []
    if isinstance(expression, dict):
        refs.extend(expression.get("references", []))
        for key, value in expression.items():
            if key not in ("references", "constant_value"):
                refs.extend(expression_references(value))
    elif isinstance(expression, list):
        for item in expression:
            refs.extend(expression_references(item))
    return refs


def state_resources(state: dict[str, Any], type_: str, mode: str = "managed") -> dict[str, dict[str, Any]]:
    """address → values of every ``type_`` resource in a ``show -json`` state."""
    root = state.get("values", {}).get("root_module", {})
    return {
        r["address"]: r["values"]
        for r in iter_module_values(root)
        if r["type"] == type_ and r["mode"] == mode
    }


# ------------------------------------------------------------------------------------------
# The staged repository copy
# ------------------------------------------------------------------------------------------


@dataclass
class Workspace:
    """One copy of the repository; every configuration directory in it is initialised once and
    planned (and offline-applied) at most once per session."""

    tf: OfflineTerraform
    root: Path
    _inited: set[str] = field(default_factory=set)
    _plans: dict[str, Plan] = field(default_factory=dict)
    _states: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def init(self, rel: str) -> Path:
        with self._lock:
            if rel not in self._inited:
                self.tf.init(self.path(rel))
                self._inited.add(rel)
            return self.path(rel)

    def plan(self, rel: str) -> Plan:
        """``plan`` + ``show -json`` of a configuration with its defaults (cached)."""
        with self._lock:
            if rel not in self._plans:
                self.init(rel)
                self._plans[rel] = Plan(self.tf.plan_json(self.path(rel), ["-lock=false"]))
            return self._plans[rel]

    def applied_state(self, rel: str) -> dict[str, Any]:
        """Apply with the offline provider (computed values become ARN-shaped placeholders, so
        deferred policy documents get rendered) and return ``show -json`` of the state.

        The queue policies and their documents are left out (``-target`` of everything else, data
        sources included), of the main queue pair and of the batch queue pair alike: the offline
        provider shapes EventBridge rule ARNs as ``arn:aws:cloudwatch:…:event-rule/…``, which the queue
        module's ARN validation of ``allowed_eventbridge_rule_arns`` rightly rejects at apply.
        """
        with self._lock:
            if rel not in self._states:
                plan = self.plan(rel)
                targets = [
                    c["address"]
                    for c in plan.changes
                    if not (
                        _QUEUE_MODULE.search(module_instance(c["address"]))
                        and c["type"] in ("aws_sqs_queue_policy", "aws_iam_policy_document")
                    )
                ]
                cwd = self.path(rel)
                self.tf.check(
                    ["apply", "-no-color", "-input=false", "-auto-approve", "-lock=false"]
                    + [f"-target={t}" for t in targets],
                    cwd,
                )
                shown = self.tf.check(["show", "-json", "-no-color"], cwd)
                self._states[rel] = json.loads(shown.stdout)
            return self._states[rel]


_WORKSPACE: Workspace | None = None
_WORKSPACE_LOCK = threading.Lock()


def session_workspace(tf: OfflineTerraform, base: Path) -> Workspace:
    """The session's workspace (created on first use under ``base``, shared by every module)."""
    global _WORKSPACE
    with _WORKSPACE_LOCK:
        if _WORKSPACE is None:
            _WORKSPACE = Workspace(tf, copy_repo(base / "repo"))
        return _WORKSPACE


__all__ = [
    "CONFIG_DIRS",
    "EXAMPLE_DIRS",
    "MODULE_DIRS",
    "NATIVE_DIR",
    "REPO_ROOT",
    "ROOT_DIR",
    "STACKS",
    "UNKNOWN",
    "Plan",
    "TerraformFailed",
    "Workspace",
    "as_list",
    "config_id",
    "copy_repo",
    "expression_references",
    "is_known",
    "merge_unknown",
    "module_instance",
    "rendered_statements",
    "session_workspace",
    "split_address",
    "state_resources",
]
