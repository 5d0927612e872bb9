"""cty values on the wire: the msgpack encoding Terraform uses for ``DynamicValue``.

Terraform core and providers exchange every object (config, state, plans) as msgpack that
follows go-cty's rules (docs/plugin-protocol/object-wire-format.md in hashicorp/terraform):

* null of any type is msgpack ``nil``; an unknown value is the msgpack extension type 0
  (go-cty 1.13+ may send *refined* unknowns as extension type 12 -- both mean "unknown");
* string/number/bool are the msgpack scalars; list, set and tuple are arrays; map and
  object are maps (an object always carries every attribute of its type);
* a value of type ``dynamic`` (cty.DynamicPseudoType) is a two-element array
  ``[<type as JSON bytes>, <value encoded with that type>]``.

Types are kept in their JSON form (``"string"``, ``["list", "string"]``,
``["object", {"a": "number"}]``) exactly as the provider schema JSON spells them, so no
separate type model is needed.
"""

from __future__ import annotations

import json
from typing import Any, Final

import msgpack

CtyType = str | list[Any]


class _Unknown:
    """Singleton standing for a cty unknown value (a value known only after apply)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # An unknown is neither true nor false; make accidental truth tests loud.
        raise TypeError("the truth value of an unknown cty value is undefined")


UNKNOWN: Final = _Unknown()

# go-cty's msgpack extension codes for unknown values (plain and with refinements).
_UNKNOWN_EXT_CODES: Final = frozenset({0, 12})


def _ext_hook(code: int, data: bytes) -> Any:
    if code in _UNKNOWN_EXT_CODES:
        return UNKNOWN
    raise ValueError(f"unexpected msgpack extension type {code} in a cty value")


def _default(obj: Any) -> Any:
    if obj is UNKNOWN:
        return msgpack.ExtType(0, b"\x00")
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as a cty value")


def decode(data: bytes) -> Any:
    """Decode a msgpack ``DynamicValue`` payload; empty bytes mean "no value" (null)."""
    if not data:
        return None
    return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)


def encode(value: Any) -> bytes:
    """Encode a Python value (dict/list/str/int/float/bool/None/UNKNOWN) as cty msgpack."""
    return msgpack.packb(value, default=_default, use_bin_type=True)


def is_wholly_known(value: Any) -> bool:
    """True when no UNKNOWN hides anywhere inside ``value``."""
    if value is UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(is_wholly_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_wholly_known(v) for v in value)
    return True


def dynamic_inner(value: Any) -> tuple[CtyType | None, Any]:
    """Split a decoded ``dynamic`` value ``[type_json, value]`` into (type, value)."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes):
        return json.loads(value[0]), value[1]
    return None, value


def placeholder(ty: CtyType, hint: str = "") -> Any:
    """A known value of type ``ty`` used where a real provider would have returned data.

    Strings carry the attribute name so that a placeholder is recognisable in plans;
    collections are empty because nothing says how many elements there would be.
    """
    if ty == "string":
        return f"offline-{hint}" if hint else "offline"
    if ty == "number":
        return 0
    if ty == "bool":
        return False
    if ty == "dynamic":
        return None
    kind = ty[0]
    if kind in ("list", "set"):
        return []
    if kind == "map":
        return {}
    if kind == "object":
        return {name: placeholder(attr_ty, name) for name, attr_ty in ty[1].items()}
    if kind == "tuple":
        return [placeholder(elem_ty, hint) for elem_ty in ty[1]]
    raise ValueError(f"unsupported cty type {ty!r}")


def fill_unknowns(value: Any, ty: CtyType, hint: str = "", make: Any = None) -> Any:
    """Replace every UNKNOWN inside ``value`` (of type ``ty``) with a known value.

    ``make(ty, hint)`` builds the replacement; by default :func:`placeholder`.
    """
    make = make or placeholder
    if value is UNKNOWN:
        return make(ty, hint)
    if value is None:
        return None
    if ty == "dynamic":
        inner_ty, inner = dynamic_inner(value)
        if inner_ty is None:
            return value
        return [value[0], fill_unknowns(inner, inner_ty, hint, make)]
    if isinstance(ty, str):
        return value
    kind = ty[0]
    if kind in ("list", "set"):
        return [fill_unknowns(v, ty[1], hint, make) for v in value]
    if kind == "map":
        return {k: fill_unknowns(v, ty[1], k, make) for k, v in value.items()}
    if kind == "object":
        return {name: fill_unknowns(value.get(name), attr_ty, name, make) for name, attr_ty in ty[1].items()}
    if kind == "tuple":
        return [fill_unknowns(v, t, hint, make) for v, t in zip(value, ty[1], strict=True)]
    raise ValueError(f"unsupported cty type {ty!r}")
