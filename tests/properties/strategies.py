"""Hypothesis strategies shared by the property suites: JSON of every kind the handlers may be given."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Any code point, lone surrogates included (st.characters() alone rarely picks one).
ANY_CHAR = st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
any_text = st.text(ANY_CHAR, max_size=40)

# Characters SQS accepts in a message body or attribute (SendMessage API reference: #x9 | #xA | #xD |
# #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF): only these can reach the consumer and the archiver.
SQS_CHAR = st.one_of(
    st.sampled_from("\t\n\r"),
    st.characters(min_codepoint=0x20, codec="utf-8", exclude_characters="\ufffe\uffff"),
)
sqs_text = st.text(SQS_CHAR, max_size=40)

big_integers = st.integers(min_value=-(10**60), max_value=10**60)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    big_integers,
    st.floats(),  # nan and ±inf included
    any_text,
)


def json_values(scalars: st.SearchStrategy[Any] = json_scalars, keys: st.SearchStrategy[str] = any_text):
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=12,
    )


any_json = json_values()
json_objects = st.dictionaries(any_text, any_json, max_size=5)


@st.composite
def deep_json_text(draw: st.DrawFn) -> str:
    """Nesting from just past the producer's depth limit to far past Python's recursion limit."""
    levels = draw(st.sampled_from([31, 33, 40, 999, 1_001, 5_000, 50_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * levels + ("" if opener == "[" else "1") + closer * levels
    return draw(
        st.sampled_from([inner, '{"task": "summarize", "document": "x", "metadata": {"m": ' + inner + "}}"])
    )


def dumps(value: Any, ascii_only: bool) -> str:
    """JSON text of any value: NaN and Infinity as Python writes them, lone surrogates escaped or raw."""
    return json.dumps(value, ensure_ascii=ascii_only)
