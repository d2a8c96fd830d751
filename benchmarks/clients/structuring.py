"""Structuring one 100-user ``followed-by`` page (bytes -> models), timed in-process.

No server: the page is rendered by ``server.followers_page_body``, the same bytes the server
sends. Each client times ``decode(page)`` in batches of 100 (``time.perf_counter_ns``) for at
least ``spec["min_seconds"]`` after a warm-up, and reports µs per page of its fastest batch
(``best_us_per``) and of the whole run (the wall time per "request").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clients import Meter, Spec
from server import followers_page_body


def page_bytes(spec: Spec) -> bytes:
    return followers_page_body(
        user_id="123",
        total=1_000_000,
        cursor=500,
        count=spec.get("page_size", 100),
        next_url_prefix="http://127.0.0.1:8080/v1/users/123/followed-by?access_token=x&cursor=",
    )


def _time(spec: Spec, meter: Meter, decode: Callable[[bytes], Any]) -> None:
    page = page_bytes(spec)
    first = decode(page)
    users = len(first)
    if users != spec.get("page_size", 100):
        raise RuntimeError(f"decoded {users} users, expected {spec.get('page_size', 100)}")
    for _ in range(200):  # warm-up (cattrs generates its hooks on first use)
        decode(page)
    budget_ns = int(spec["min_seconds"] * 1e9)
    batch = 100
    iterations = 0
    best_ns = None
    clock = time.perf_counter_ns
    meter.start()
    t0 = clock()
    while clock() - t0 < budget_ns:
        b0 = clock()
        for _ in range(batch):
            decode(page)
        took = clock() - b0
        best_ns = took if best_ns is None or took < best_ns else best_ns
        iterations += batch
    assert best_ns is not None
    # The fastest batch, as timeit advises: in-process work is only ever slowed down by other
    # processes on the machine, so the minimum is the estimate least disturbed by them.
    meter.stop(
        requests=iterations,
        items=iterations * users,
        page_bytes=len(page),
        best_us_per=best_ns / batch / 1e3,
    )


def msgspec_structs(spec: Spec, meter: Meter) -> None:
    """msgspec.Struct models decoded straight from the bytes (the reference)."""
    import msgspec

    # defstruct: class statements here would get string annotations (PEP 563) that msgspec
    # cannot resolve in a function scope.
    user = msgspec.defstruct(
        "User",
        [
            ("id", str),
            ("username", str),
            ("full_name", str | None, None),
            ("profile_picture", str | None, None),
        ],
    )
    page = msgspec.defstruct("Page", [("data", list[user])])  # type: ignore[valid-type]

    decoder: Any = msgspec.json.Decoder(page)
    _time(spec, meter, lambda body: decoder.decode(body).data)


def orjson_only(spec: Spec, meter: Meter) -> None:
    """orjson.loads alone: dicts, no models (what any client pays to read the page)."""
    import orjson

    _time(spec, meter, lambda body: orjson.loads(body)["data"])


# ------------------------------------------------------------------------------------------
# HOOK: how the library turns a page's bytes into models: exactly what the transport does for
# a follows / followed-by page (``_protocol.read_response`` with the ``_fastdecode`` decoder for
# list[User], which needs msgspec from the ``speed`` extra), then ``_fastdecode.structure_data``
# (the converter if the decoder declined). Update here if the library's decode path changes.


def library_decoder() -> tuple[str, Callable[[bytes], Any]]:
    from aioinstagram import _fastdecode, _protocol
    from aioinstagram._models import User

    headers = {"content-type": "application/json"}
    endpoint = "GET /users/123/followed-by"
    read = _protocol.read_response
    structure_data = _fastdecode.structure_data
    target = list[User]
    fast = _fastdecode.fast_decoder(target)

    def decode(body: bytes) -> Any:
        envelope = read(200, headers, body, request=endpoint, fast=fast)
        return structure_data(envelope, target, endpoint=endpoint)

    how = "read_response(fast=msgspec decoder)" if fast else "read_response + structure"
    return how, decode


def library_general(spec: Spec, meter: Meter) -> None:
    """The library's general path (no fast decoder): orjson dicts, then the cattrs converter."""
    from aioinstagram import _converter, _protocol
    from aioinstagram._models import User

    headers = {"content-type": "application/json"}
    endpoint = "GET /users/123/followed-by"
    read = _protocol.read_response
    structure = _converter.structure
    target = list[User]

    def decode(body: bytes) -> Any:
        return structure(read(200, headers, body, request=endpoint).data, target, endpoint=endpoint)

    _time(spec, meter, decode)
    meter.result["how"] = "read_response + _converter.structure(list[User])"


def library(spec: Spec, meter: Meter) -> None:
    """The library's path from bytes to a list of User models."""
    how, decode = library_decoder()
    _time(spec, meter, decode)
    meter.result["how"] = how


def library_structure_only(spec: Spec, meter: Meter) -> None:
    """The general path's structuring step alone, from already decoded dicts (the converter)."""
    import orjson

    from aioinstagram import _converter
    from aioinstagram._models import User

    data = orjson.loads(page_bytes(spec))["data"]
    structure = _converter.structure
    target = list[User]
    _time(spec, meter, lambda _body: structure(data, target, endpoint="GET /x"))
