"""``aws_iam_policy_document`` rendered the way hashicorp/aws renders it.

Mirrors internal/service/iam/policy_document_data_source.go and policy_model.go of the
provider, so assertions on ``jsondecode(data.aws_iam_policy_document.x.json)`` hold for the
real provider too:

* statement keys in the order Sid, Effect, Action, NotAction, Resource, NotResource,
  Principal, NotPrincipal, Condition; empty ones left out; Effect defaults to "Allow",
  Version to "2012-10-17";
* a set with a single element becomes a plain string; larger sets of actions, resources
  and principal identifiers are sorted in *reverse* lexical order (the provider's quirk);
* principals and conditions are maps with sorted keys; a lone ``type = "*"`` with
  ``identifiers = ["*"]`` becomes ``"Principal": "*"``; condition values keep their order;
* ``&{aws:username}`` in resources and condition values turns into ``${aws:username}``;
* ``source_policy_documents`` are merged first, then this document's statements, then
  ``override_policy_documents``; a statement with a Sid replaces one with the same Sid;
* ``json`` is Go's ``MarshalIndent`` output (two spaces, HTML-safe escapes), ``minified_json``
  the compact form, ``id`` the CRC-32 of ``json``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

DEFAULT_VERSION = "2012-10-17"

Strings = str | list[str]


@dataclass
class Statement:
    sid: str = ""
    effect: str = ""
    actions: Any = None
    not_actions: Any = None
    resources: Any = None
    not_resources: Any = None
    principals: list[tuple[str, Strings]] = field(default_factory=list)
    not_principals: list[tuple[str, Strings]] = field(default_factory=list)
    conditions: list[tuple[str, str, Strings]] = field(default_factory=list)

    def to_json_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (
            ("Sid", self.sid),
            ("Effect", self.effect),
            ("Action", self.actions),
            ("NotAction", self.not_actions),
            ("Resource", self.resources),
            ("NotResource", self.not_resources),
            ("Principal", _principals_json(self.principals) if self.principals else None),
            ("NotPrincipal", _principals_json(self.not_principals) if self.not_principals else None),
            ("Condition", _conditions_json(self.conditions) if self.conditions else None),
        ):
            if value is None or value == "":
                continue  # Go's `json:",omitempty"`
            out[key] = value
        return out


@dataclass
class PolicyDoc:
    version: str = ""
    id: str = ""
    statements: list[Statement] = field(default_factory=list)

    def merge(self, new: PolicyDoc) -> None:
        if new.id:
            self.id = new.id
        if new.version > self.version:
            self.version = new.version
        for stmt in new.statements:
            if stmt.sid:
                for i, existing in enumerate(self.statements):
                    if existing.sid == stmt.sid:
                        self.statements[i] = stmt
                        break
                else:
                    self.statements.append(stmt)
            else:
                self.statements.append(stmt)

    def to_json_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.version:
            out["Version"] = self.version
        if self.id:
            out["Id"] = self.id
        if self.statements:
            out["Statement"] = [s.to_json_obj() for s in self.statements]
        return out


# --------------------------------------------------------------------------------------
# JSON marshalling helpers (Go encoding/json semantics)
# --------------------------------------------------------------------------------------


def go_json(obj: Any, indent: bool) -> str:
    """``json.Marshal``/``json.MarshalIndent(v, "", "  ")`` byte-for-byte for our values."""
    text = json.dumps(
        obj,
        indent=2 if indent else None,
        separators=(",", ": ") if indent else (",", ":"),
        ensure_ascii=False,
    )
    # Go escapes these even outside HTML; they can only occur inside JSON strings.
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _decode_strings(values: list[str]) -> Strings:
    """policyDecodeConfigStrings: one element → the string, else reverse-sorted list."""
    if len(values) == 1:
        return values[0]
    return sorted(values, reverse=True)


def _principals_json(principals: list[tuple[str, Strings]]) -> Any:
    if len(principals) == 1:
        ptype, ids = principals[0]
        if ptype == "*" and ids in ("*", ["*"]):
            return "*"
    raw: dict[str, Strings] = {}
    for ptype, ids in principals:
        current = raw.get(ptype)
        if isinstance(ids, list):
            merged = [] if current is None else ([current] if isinstance(current, str) else list(current))
            raw[ptype] = merged + sorted(ids, reverse=True)
        elif current is None:
            raw[ptype] = ids
        else:
            raw[ptype] = [current, ids] if isinstance(current, str) else [*current, ids]
    return dict(sorted(raw.items()))


def _conditions_json(conditions: list[tuple[str, str, Strings]]) -> dict[str, dict[str, Strings]]:
    raw: dict[str, dict[str, list[str]]] = {}
    for test, variable, values in conditions:
        bucket = raw.setdefault(test, {}).setdefault(variable, [])
        bucket.extend(values if isinstance(values, list) else [values])
    return {
        test: {var: vals[0] if len(vals) == 1 else vals for var, vals in sorted(by_var.items())}
        for test, by_var in sorted(raw.items())
    }


# --------------------------------------------------------------------------------------
# Parsing: Terraform configuration and JSON documents
# --------------------------------------------------------------------------------------


def _replace_vars(value: Strings, version: str) -> Strings:
    items = [value] if isinstance(value, str) else value
    for item in items:
        if version == "2008-10-17" and "&{" in item:
            raise ValueError(
                f"found &{{ sequence in ({item}), which is not supported in document version 2008-10-17"
            )
    if isinstance(value, str):
        return value.replace("&{", "${")
    return [v.replace("&{", "${") for v in value]


def _principal_blocks(blocks: list[dict[str, Any]] | None, version: str) -> list[tuple[str, Strings]]:
    out = []
    # Sets arrive in arbitrary order; sort for stable output.
    for block in sorted(blocks or [], key=lambda b: (b["type"], sorted(b["identifiers"] or []))):
        out.append((block["type"], _replace_vars(_decode_strings(list(block["identifiers"] or [])), version)))
    return out


def statement_from_config(cfg: dict[str, Any], version: str) -> Statement:
    stmt = Statement(effect=cfg.get("effect") or "Allow", sid=cfg.get("sid") or "")
    if cfg.get("actions"):
        stmt.actions = _decode_strings(list(cfg["actions"]))
    if cfg.get("not_actions"):
        stmt.not_actions = _decode_strings(list(cfg["not_actions"]))
    if cfg.get("resources"):
        stmt.resources = _replace_vars(_decode_strings(list(cfg["resources"])), version)
    if cfg.get("not_resources"):
        stmt.not_resources = _replace_vars(_decode_strings(list(cfg["not_resources"])), version)
    stmt.principals = _principal_blocks(cfg.get("principals"), version)
    stmt.not_principals = _principal_blocks(cfg.get("not_principals"), version)
    for cond in sorted(
        cfg.get("condition") or [], key=lambda c: (c["test"], c["variable"], c["values"] or [])
    ):
        values = [v if v is not None else "" for v in cond["values"] or []]
        replaced = _replace_vars(values, version)
        stmt.conditions.append(
            (cond["test"], cond["variable"], replaced[0] if len(replaced) == 1 else replaced)
        )
    return stmt


def _ci_get(obj: dict[str, Any], key: str) -> Any:
    """Go's encoding/json matches field names case-insensitively."""
    for k, v in obj.items():
        if k.lower() == key.lower():
            return v
    return None


def _principals_from_json(value: Any) -> list[tuple[str, Strings]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [("*", ["*"])]
    if not isinstance(value, dict):
        raise ValueError(f"Unsupported data type {type(value).__name__} for IAMPolicyStatementPrincipalSet")
    out: list[tuple[str, Strings]] = []
    for ptype, ids in value.items():
        if isinstance(ids, str):
            out.append((ptype, ids))
        elif isinstance(ids, list) and all(isinstance(i, str) for i in ids):
            out.append((ptype, sorted(ids)))
        else:
            raise ValueError(
                f"Unsupported data type for IAMPolicyStatementPrincipalSet.Identifiers ({ptype!r})"
            )
    return out


def _conditions_from_json(value: Any) -> list[tuple[str, str, Strings]]:
    out: list[tuple[str, str, Strings]] = []
    for test, by_var in (value or {}).items():
        for var, vals in by_var.items():
            if isinstance(vals, str):
                out.append((test, var, [vals]))
            elif isinstance(vals, bool):
                out.append((test, var, "true" if vals else "false"))
            elif isinstance(vals, list):
                out.append((test, var, [str(v) for v in vals]))
    return out


def doc_from_json(text: str) -> PolicyDoc:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("policy document must be a JSON object")
    statements = _ci_get(raw, "Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    doc = PolicyDoc(version=_ci_get(raw, "Version") or "", id=_ci_get(raw, "Id") or "")
    for st in statements:
        doc.statements.append(
            Statement(
                sid=_ci_get(st, "Sid") or "",
                effect=_ci_get(st, "Effect") or "",
                actions=_ci_get(st, "Action"),
                not_actions=_ci_get(st, "NotAction"),
                resources=_ci_get(st, "Resource"),
                not_resources=_ci_get(st, "NotResource"),
                principals=_principals_from_json(_ci_get(st, "Principal")),
                not_principals=_principals_from_json(_ci_get(st, "NotPrincipal")),
                conditions=_conditions_from_json(_ci_get(st, "Condition")),
            )
        )
    return doc


# --------------------------------------------------------------------------------------
# The data source
# --------------------------------------------------------------------------------------


def render_policy_document(config: dict[str, Any]) -> dict[str, Any]:
    """Computed (and defaulted) attributes of ``aws_iam_policy_document`` for ``config``.

    Raises ValueError with the provider's wording for invalid input.
    """
    merged = PolicyDoc()
    seen_sids: set[str] = set()
    for index, source in enumerate(config.get("source_policy_documents") or []):
        if source is None:
            continue
        try:
            source_doc = doc_from_json(source)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"merging source document {index}: {exc}") from exc
        for stmt_index, stmt in enumerate(source_doc.statements):
            if stmt.sid:
                if stmt.sid in seen_sids:
                    raise ValueError(
                        f"merging source document {index}: duplicate Sid ({stmt.sid}) in "
                        f"source_policy_documents (statement {stmt_index}). "
                        "Remove the Sid or ensure Sids are unique."
                    )
                seen_sids.add(stmt.sid)
        merged.merge(source_doc)

    version = config.get("version") or DEFAULT_VERSION
    doc = PolicyDoc(version=version, id=config.get("policy_id") or "")
    own_sids: set[str] = set()
    statements_state = []
    for stmt_cfg in config.get("statement") or []:
        stmt = statement_from_config(stmt_cfg, version)
        if stmt.sid:
            if stmt.sid in own_sids:
                raise ValueError(f"duplicate Sid ({stmt.sid}). Remove the Sid or ensure the Sid is unique.")
            own_sids.add(stmt.sid)
        doc.statements.append(stmt)
        statements_state.append({**stmt_cfg, "effect": stmt.effect})
    merged.merge(doc)

    for index, override in enumerate(config.get("override_policy_documents") or []):
        if override is None:
            continue
        try:
            merged.merge(doc_from_json(override))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"merging override document {index}: {exc}") from exc

    pretty = go_json(merged.to_json_obj(), indent=True)
    state: dict[str, Any] = {
        "json": pretty,
        "minified_json": go_json(merged.to_json_obj(), indent=False),
        "id": str(zlib.crc32(pretty.encode())),
        # SDKv2 writes schema defaults into the state it returns.
        "version": version,
    }
    if config.get("statement") is not None:
        state["statement"] = statements_state
    return state
