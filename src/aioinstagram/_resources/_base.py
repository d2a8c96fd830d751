from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .._fastdecode import structure_data
from .._pagination import AsyncPaginator, Checkpoint, CursorStyle
from .._protocol import Envelope, validate_count
from .._transport import Requester

T = TypeVar("T")


class Resource:
    """Base of the endpoint groups: access to the transport and the shared helpers."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Requester) -> None:
        self._transport = transport

    async def _get(self, path: str, params: Mapping[str, object] | None, cl: Any) -> Any:
        envelope = await self._transport.request("GET", path, params, data_type=cl)
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
    ) -> AsyncPaginator[T]:
        count = validate_count(count)
        transport = self._transport
        base_params: dict[str, object] = dict(params or {})
        data_type = list[item_type]  # type: ignore[valid-type]
        if count is not None:
            base_params["count"] = count

        async def fetch(page_cursor: str | None, next_url: str | None) -> Envelope:
            if next_url is not None:
                return await transport.get_next(next_url, data_type=data_type)
            query = dict(base_params)
            if page_cursor is not None:
                query[style.param] = page_cursor
            return await transport.request("GET", path, query, data_type=data_type)

        return AsyncPaginator(
            fetch,
            item_type=item_type,
            style=style,
            endpoint=f"GET {path}",
            cursor=cursor,
            prefetch=prefetch,
        )
