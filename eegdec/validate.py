"""Type checks of user-written values against dataclass annotations (YAML, CLI, config).

Outside the layers, like :mod:`eegdec.errors`: preprocessing steps and the run config share it.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from typing import Any, Literal, Union

_NOUNS = {float: "a finite number", int: "an integer", str: "a string", bool: "true or false",
          dict: "a mapping", type(None): "None"}


def matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (numbers finite, bools not numbers)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(matches(value, a) for a in args)
    if origin is Literal:
        return isinstance(value, str) and value in args
    if origin is list:
        return isinstance(value, list) and all(matches(v, args[0]) for v in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict) and all(
            matches(k, args[0]) and matches(v, args[1]) for k, v in value.items() if args)
    if hint is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if hint is int:
        return isinstance(value, numbers.Integral)
    if hint is float:
        return isinstance(value, numbers.Real) and math.isfinite(value)
    return isinstance(value, hint)


def describe(hint: Any) -> str:
    """What ``hint`` asks for, in words: ``"a number or None"``, ``"a list of strings"``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is list:
        return "a list of " + _plural(args[0])
    if origin is dict and args:
        return f"a mapping of {_plural(args[0])} to {_plural(args[1])}"
    return _NOUNS.get(origin or hint, getattr(hint, "__name__", str(hint)))


def _plural(hint: Any) -> str:
    """``"integers"``, ``"strings or integers"``, ``"lists of numbers"``, ``"values"``."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_plural(a) for a in typing.get_args(hint))
    if origin is list:
        return "lists of " + _plural(typing.get_args(hint)[0])
    return "values" if hint is Any else describe(hint).split(" ", 1)[-1] + "s"


def mismatch(obj: Any, label: typing.Callable[[str], str] = str) -> str | None:
    """``"<label> must be <type>, got <value>"`` for the first field of dataclass ``obj`` whose
    value does not fit its annotation, else ``None``."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not matches(value, hints[f.name]):
            return f"{label(f.name)} must be {describe(hints[f.name])}, got {value!r}"
    return None
