"""MkDocs hooks (``hooks:`` in mkdocs.yml).

``instagram-v1-api.md`` is kept exactly as written, and it cites its sources as ``[name]``
tags, sometimes two in a row (``[swagger-2015] [sandbox-doc]``), which Markdown reads as a
reference link to an undefined target (a warning, so a failure under ``--strict``). The tags
are shown as they are written: the space between two of them becomes an entity.
"""

from __future__ import annotations

import re
from typing import Any

_ADJACENT_TAGS = re.compile(r"\] \[")


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri == "instagram-v1-api.md":
        return _ADJACENT_TAGS.sub("]&#32;[", markdown)
    return markdown
