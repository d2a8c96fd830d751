from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from typing_extensions import Unpack

from .._fastdecode import structure_data
from .._options import EMPTY, CallOptions, RequestOptions, ResponseHook
from .._pagination import AsyncPaginator, Checkpoint, CursorStyle
from .._protocol import Envelope, build_app_request, validate_count
from .._transport import Requester

T = TypeVar("T")


class Resource:
    """Base of the endpoint groups: access to the transport, the per-call options
    (``_options``: every public method takes ``**options: Unpack[CallOptions]`` and hands
    them to :meth:`_opts`), and the shared helpers."""

    __slots__ = ("_on_response", "_transport")

    def __init__(self, transport: Requester) -> None:
        self._transport = transport
        self._on_response: ResponseHook | None = None

    def _capturing(self, hook: ResponseHook) -> Any:
        """A copy of this resource whose every successful request calls ``hook`` with the raw
        answer (``with_raw_response``: one copy per call, so concurrent calls do not mix)."""
        clone = object.__new__(type(self))
        clone._transport = self._transport
        clone._on_response = hook
        return clone

    def _opts(self, options: CallOptions) -> RequestOptions:
        """The validated :class:`RequestOptions` of one call (InvalidArgumentError when bad)."""
        if not options and self._on_response is None:
            return EMPTY
        return RequestOptions.build(**options, on_response=self._on_response)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None,
        options: CallOptions,
        *,
        idempotent: bool | None = None,
    ) -> Envelope:
        return await self._transport.request(
            method, path, params, idempotent=idempotent, options=self._opts(options)
        )

    async def _app_request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None,
        options: CallOptions,
    ) -> Envelope:
        """A request authenticated as the application (``build_app_request``), with the
        call's extra parameters added before it is built."""
        opts = self._opts(options)
        params = dict(opts.merge_params(params)) if opts.params else params
        spec = build_app_request(method, path, params, credentials=self._transport.credentials)
        return await self._transport.send(spec, options=opts)

    def _get(
        self,
        path: str,
        params: Mapping[str, object] | None,
        cl: Any,
        options: CallOptions | None = None,
    ) -> Awaitable[Any]:
        """GET ``path`` and structure its ``data`` as ``cl``. A plain function that returns
        :meth:`_fetch`'s coroutine (a coroutine frame less per call): bad options raise here,
        when called; every caller awaits it at once."""
        return self._fetch(self._opts(options or {}), path, params, cl)

    async def _fetch(
        self, opts: RequestOptions, path: str, params: Mapping[str, object] | None, cl: Any
    ) -> Any:
        """:meth:`_get` with the options already validated (the bulk calls validate them once)."""
        envelope = await self._transport.request("GET", path, params, data_type=cl, options=opts)
        return structure_data(envelope, cl, endpoint=f"GET {path}")

    def _paginate(
        self,
        path: str,
        item_type: type[T],
        style: CursorStyle,
        *,
        count: int | None,
        cursor: str | Checkpoint | None,
        params: Mapping[str, object] | None = None,
        prefetch: bool = True,
        options: CallOptions | None = None,
    ) -> AsyncPaginator[T]:
        count = validate_count(count)
        opts = self._opts(options or {})  # validated now, before anything is fetched
        transport = self._transport
        base_params: dict[str, object] = dict(params or {})
        data_type = list[item_type]  # type: ignore[valid-type]
        if count is not None:
            base_params["count"] = count

        async def fetch(page_cursor: str | None, next_url: str | None) -> Envelope:
            # Every page carries the call's options (next_url pages too).
            if next_url is not None:
                return await transport.get_next(next_url, data_type=data_type, options=opts)
            query = dict(base_params)
            if page_cursor is not None:
                query[style.param] = page_cursor
            return await transport.request("GET", path, query, data_type=data_type, options=opts)

        return AsyncPaginator(
            fetch,
            item_type=item_type,
            style=style,
            endpoint=f"GET {path}",
            cursor=cursor,
            prefetch=prefetch,
        )


__all__ = ["CallOptions", "Resource", "Unpack"]
