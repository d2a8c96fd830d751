"""Suite-wide: the tests talk only to servers they start on 127.0.0.1, so a proxy configured on
the machine running them (``HTTP_PROXY`` and friends, read by the default transport) must not
catch their requests. Tests of proxies set these variables themselves. And the secrets sweep
(see ``tests/secrets_sweep.py``) watches every test."""

from __future__ import annotations

import pytest

from .secrets_sweep import _secrets_sweep_session, pytest_runtest_makereport

__all__ = ["_secrets_sweep_session", "pytest_runtest_makereport"]

_PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
