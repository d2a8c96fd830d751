"""Suite-wide fixtures: the secrets sweep (see ``tests/secrets_sweep.py``) watches every test."""

from __future__ import annotations

from .secrets_sweep import _secrets_sweep_session, pytest_runtest_makereport

__all__ = ["_secrets_sweep_session", "pytest_runtest_makereport"]
