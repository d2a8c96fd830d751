"""MkDocs hooks (``hooks:`` in mkdocs.yml).

``instagram-v1-api.md`` is kept exactly as written, and it cites its sources as ``[name]``
tags, sometimes two in a row (``[swagger-2015] [sandbox-doc]``), which Markdown reads as a
reference link to an undefined target (a warning, so a failure under ``--strict``). The tags
are shown as they are written: the space between two of them becomes an entity.

``errors.md`` shows the exception tree drawn at the top of ``aioinstagram/_errors.py``, read at
build time so the page never drifts from the code.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

_ADJACENT_TAGS = re.compile(r"\] \[")
_ERROR_TREE_MARK = "<!-- error-tree: filled from aioinstagram/_errors.py by docs/_hooks.py -->"


def _error_tree() -> str:
    import aioinstagram._errors

    doc = aioinstagram._errors.__doc__ or ""
    tree = next(block for block in doc.split("\n\n") if "InstagramError" in block)
    return "```\n" + textwrap.dedent(tree).strip("\n") + "\n```"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri == "instagram-v1-api.md":
        return _ADJACENT_TAGS.sub("]&#32;[", markdown)
    if page.file.src_uri == "errors.md":
        return markdown.replace(_ERROR_TREE_MARK, _error_tree())
    return markdown
