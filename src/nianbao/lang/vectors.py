"""Applying value operations column by column, with scalars broadcast over vectors.

A compiled node yields a scalar, or a tuple of column values when its static
shape is a list of columns. "Blame" is the name reported when a value is
invalid: a name for a scalar, a tuple of names (one per column) for a vector.
"""
from __future__ import annotations

from itertools import repeat
from typing import Any, Callable, Mapping, Optional

#: A compiled node: fn(facts, params) -> value (a tuple of column values for a vector).
Fn = Callable[[Mapping, Optional[Mapping]], Any]


def lift1(op, fn, shape, blame):
    """fn's value through op(x, blame), column by column for a vector."""
    if shape is None:
        return lambda F, P: op(fn(F, P), blame)
    blames = blame
    return lambda F, P: tuple(map(op, fn(F, P), blames))


def lift2(op, lf, rf, lshape, rshape, lblame, rblame):
    """Binary op with broadcasting; lblame/rblame are a name (scalar) or a tuple (vector)."""
    if lshape is None and rshape is None:
        return lambda F, P: op(lf(F, P), rf(F, P), lblame, rblame)
    if lshape is not None and rshape is not None:
        return lambda F, P: tuple(map(op, lf(F, P), rf(F, P), lblame, rblame))
    if lshape is not None:
        rbs = (rblame,) * len(lshape)
        return lambda F, P: tuple(map(op, lf(F, P), repeat(rf(F, P)), lblame, rbs))
    lbs = (lblame,) * len(rshape)
    return lambda F, P: tuple(map(op, repeat(lf(F, P)), rf(F, P), lbs, rblame))


def map1(op, fn, shape):
    """fn's value through op(x) (no blame), column by column for a vector."""
    if shape is None:
        return lambda F, P: op(fn(F, P))
    return lambda F, P: tuple(map(op, fn(F, P)))


def columns(value, shape, n):
    """A node's value as a sequence of n column values (a scalar is repeated)."""
    return value if shape is not None else (value,) * n
