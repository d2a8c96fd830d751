"""The Users endpoints (api doc section 3, "Users"); media lists come with the media issue.

====================================  ==========================
GET /users/{user-id}                  :meth:`UsersResource.get`
GET /users/search?q=...&count=...     :meth:`UsersResource.search`
====================================  ==========================
"""

from __future__ import annotations

from .._errors import InvalidArgumentError
from .._models import User
from .._protocol import validate_count, validate_user_id
from ._base import Resource

__all__ = ["UsersResource"]


class UsersResource(Resource):
    """``client.users``."""

    __slots__ = ()

    async def get(self, user_id: str | int = "self") -> User:
        """The full profile of ``user_id``, with ``counts`` (``GET /users/{user-id}``).

        Args:
            user_id: A user id, or ``"self"`` for the token's owner.
        """
        uid = validate_user_id(user_id)
        result: User = await self._get(f"/users/{uid}", None, User)
        return result

    async def search(self, q: str, *, count: int | None = None) -> list[User]:
        """Users whose name matches ``q`` (``GET /users/search``; one page, the endpoint
        has no pagination).

        Args:
            q: The text to search for.
            count: At most this many users (the server's default when None).
        """
        if not isinstance(q, str) or not q.strip():
            raise InvalidArgumentError(f"q must be a non-empty string, not {q!r}")
        result: list[User] = await self._get(
            "/users/search", {"q": q, "count": validate_count(count)}, list[User]
        )
        return result
