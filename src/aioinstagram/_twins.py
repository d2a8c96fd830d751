"""Fast construction of frozen models: a mutable twin class with the same memory layout.

A frozen attrs class forbids ``setattr``, so its generated ``__init__`` stores each field
through ``object.__setattr__``: about 130 ns a field, 1.4 µs for a ten-field ``User``, which
made structuring a 100-user page cost seven times what msgspec needs (issue 5).

The twin is an ordinary mutable slotted attrs class with the same fields in the same order
and no weakref slot, so CPython lets an instance change class to the frozen model
(``twin.__class__ = Model``): same slots, same size. The hot loops build a twin (plain slot
stores, about 250 ns for ten fields) and then set ``__class__``. The result *is* a ``Model``:
frozen, hashable, equal to one built by ``Model(...)``, pickled and evolved the same way;
the twin class never escapes this package.

Only models without a ``__weakref__`` slot can have a twin (the weakref slot sits after the
fields and CPython then refuses the class change); ``twin_of`` checks this, and everything
else about the layout, once at import time.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

__all__ = ["twin_of"]


@functools.cache
def twin_of(model: type[Any]) -> type[Any]:
    """Return a mutable class whose instances can become ``model`` instances by assigning
    ``__class__``. ``model`` must be a frozen, slotted attrs class built with
    ``weakref_slot=False``; anything else raises TypeError here, at import time. One twin
    per model (cached)."""
    if not attrs.has(model) or "__slots__" not in model.__dict__:
        raise TypeError(f"{model.__name__} is not a slotted attrs class")
    if model.__weakrefoffset__:
        raise TypeError(f"{model.__name__} has a __weakref__ slot: declare weakref_slot=False")
    fields = attrs.fields(model)
    twin: type[Any] = attrs.make_class(
        f"_{model.__name__}Twin",
        {f.name: attrs.field(default=f.default) for f in fields},
        slots=True,
        weakref_slot=False,
        eq=False,
        order=False,
        repr=False,
        cache_hash=False,
    )
    twin.__module__ = model.__module__
    # attrs keeps the declaration order, so this holds; checked because the layout depends on it
    if getattr(twin, "__slots__", None) != model.__dict__["__slots__"]:  # pragma: no cover
        raise TypeError(f"cannot build a layout twin of {model.__name__}")
    probe = object.__new__(twin)
    try:
        probe.__class__ = model
    except TypeError as exc:  # pragma: no cover - guarded by the checks above
        raise TypeError(f"{model.__name__} cannot be built through a twin: {exc}") from None
    return twin
