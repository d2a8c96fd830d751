"""Per-call options: ``timeout=``, ``extra_headers=``, ``extra_params=`` on every public method.

Theory of operation
-------------------
Every public method of every resource takes ``**options: Unpack[CallOptions]``; the resource
base class turns them into one frozen :class:`RequestOptions` (validated here, once, with no
I/O) and threads it into ``Requester.request`` / ``send`` / ``get_next`` as ``options=``.
Paginators keep it for every page they fetch, bulk helpers pass it to every id.

* ``timeout``: seconds (a number), an ``httpx.Timeout``, or ``None`` for no timeout. Not
  giving it (the :data:`NOT_GIVEN` sentinel) keeps the client's timeout.
* ``extra_headers``: added to the request (a name the transport owns, such as ``Host`` or
  ``Content-Length``, is refused).
* ``extra_params``: added to the query (or to the form of a POST) and covered by ``sig``
  like any parameter (api doc section 6a). They replace a parameter of the same name the
  method sets. Credentials (``access_token``, ``client_id``, ``client_secret``, ``sig``) can
  not be overridden this way: :class:`~._errors.InvalidArgumentError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias, TypedDict

import attrs
import httpx

from ._errors import InvalidArgumentError
from ._protocol import CREDENTIAL_PARAMS, Envelope
from ._transports._base import RawResponse

__all__ = ["NOT_GIVEN", "CallOptions", "NotGiven", "RequestOptions", "Timeout"]


class NotGiven:
    """An argument left out, so that ``None`` can mean "no timeout" (as in openai-python).
    ``NotGiven()`` is the one instance, :data:`NOT_GIVEN`."""

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

#: A timeout as the client and every method take it: seconds, an ``httpx.Timeout``, or None
#: (no timeout).
Timeout: TypeAlias = float | httpx.Timeout | None


class CallOptions(TypedDict, total=False):
    """The keyword arguments every public method accepts (see the module docstring)."""

    timeout: Timeout | NotGiven
    extra_headers: Mapping[str, str] | None
    extra_params: Mapping[str, str | int | float | bool] | None


#: Headers the transport writes itself: overriding them would corrupt the request.
_RESERVED_HEADERS: Final = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "x-insta-forwarded-for"}
)

#: Called after each successful attempt with the raw answer and its envelope (None for an
#: answer outside the envelope, oEmbed): how ``with_raw_response`` sees the HTTP response.
ResponseHook = Callable[[RawResponse, Envelope | None], None]


@attrs.frozen(slots=True)
class RequestOptions:
    """The validated per-call options of one call (built by :meth:`build`)."""

    timeout: Any = NOT_GIVEN  # an httpx.Timeout, or NOT_GIVEN for the client's own
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)  # may hold keys
    params: tuple[tuple[str, str | int | float | bool], ...] = ()
    on_response: ResponseHook | None = attrs.field(default=None, eq=False)

    @classmethod
    def build(
        cls,
        *,
        timeout: object = NOT_GIVEN,
        extra_headers: object = None,
        extra_params: object = None,
        on_response: ResponseHook | None = None,
    ) -> RequestOptions:
        """Validate the user's options; a clear InvalidArgumentError for anything wrong."""
        return cls(
            timeout=check_timeout(timeout),
            headers=_check_headers(extra_headers),
            params=_check_params(extra_params),
            on_response=on_response,
        )

    def merge_params(
        self, params: Mapping[str, object] | Iterable[tuple[str, object]] | None
    ) -> list[tuple[str, object]]:
        """The method's parameters with the extra ones added (an extra one replaces the
        method's parameter of the same name)."""
        items = list(params.items() if isinstance(params, Mapping) else params or ())
        if not self.params:
            return items
        names = {name for name, _ in self.params}
        return [*(kv for kv in items if kv[0] not in names), *self.params]


EMPTY: Final = RequestOptions()


def check_timeout(timeout: object) -> Any:
    """``NOT_GIVEN`` stays so; None, seconds or an ``httpx.Timeout`` become an httpx.Timeout."""
    if isinstance(timeout, NotGiven):
        return NOT_GIVEN
    if timeout is None:
        return httpx.Timeout(None)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidArgumentError(
            f"timeout must be a positive number of seconds, an httpx.Timeout or None, "
            f"not {timeout!r}"
        )
    return httpx.Timeout(float(timeout))


def _check_headers(headers: object) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if not isinstance(headers, Mapping):
        raise InvalidArgumentError(f"extra_headers must be a mapping, not {type(headers).__name__}")
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        if not isinstance(name, str) or not name or any(c in name for c in ":\r\n \t"):
            raise InvalidArgumentError(f"extra_headers: {name!r} is not a header name")
        if not isinstance(value, str) or "\r" in value or "\n" in value:
            raise InvalidArgumentError(
                f"extra_headers: the value of {name!r} must be a string without line breaks"
            )
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidArgumentError(
                f"extra_headers: {name!r} is set by the transport and cannot be overridden"
            )
        out.append((name, value))
    return tuple(out)


def _check_params(params: object) -> tuple[tuple[str, str | int | float | bool], ...]:
    if params is None:
        return ()
    if not isinstance(params, Mapping):
        raise InvalidArgumentError(f"extra_params must be a mapping, not {type(params).__name__}")
    out: list[tuple[str, str | int | float | bool]] = []
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"extra_params: {name!r} is not a parameter name")
        if name in CREDENTIAL_PARAMS:
            raise InvalidArgumentError(
                f"extra_params cannot set {name!r}: credentials come from the client "
                "(create a client with other credentials instead)"
            )
        if not isinstance(value, (str, int, float, bool)):
            raise InvalidArgumentError(
                f"extra_params: the value of {name!r} must be a str, int, float or bool, "
                f"not {type(value).__name__}"
            )
        out.append((name, value))
    return tuple(out)
