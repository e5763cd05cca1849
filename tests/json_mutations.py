"""Arbitrary JSON and one-change mutations of valid JSON, for the readers' fuzz tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

DELETE: Any = object()
"""Put at a path with `with_value` to remove the key there instead."""


def with_value(base: object, path: tuple[str | int, ...], value: object) -> Any:
    """A deep copy of `base` with `value` at `path`, or the key removed for `DELETE`."""
    data = copy.deepcopy(base)
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path inside a JSON value, the value itself (the empty path) first."""
    found: list[tuple[str | int, ...]] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def json_values(keys: Sequence[str], *, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Arbitrary JSON values whose objects often use the reader's own `keys`."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(list(keys)) | st.text(max_size=6), children, max_size=4
            )
        ),
        max_leaves=max_leaves,
    )


@st.composite
def mutated(draw: st.DrawFn, bases: st.SearchStrategy[Any], values: st.SearchStrategy[Any]) -> Any:
    """A valid JSON value from `bases` with one value replaced by one of `values`, or removed."""
    base = draw(bases)
    path = draw(st.sampled_from(paths(base)[1:]))
    replacement = draw(values | st.just(DELETE))
    if replacement is DELETE and isinstance(path[-1], int):
        replacement = None  # a list item cannot be removed by key
    return with_value(base, path, replacement)
