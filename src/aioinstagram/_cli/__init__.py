"""Helpers of the command line (``aioinstagram.cli``); not a public API.

* ``records``: JSON Lines records, the resume-cursor format, reading ids.
* ``jobs``: the async work (walks, lookups, changes, the demo) as plain functions taking a
  client and a record writer, testable without click.
* ``display``: rich progress bars and summary tables, always on stderr.
* ``session``: building the client, for the real API or the embedded emulator.
"""
