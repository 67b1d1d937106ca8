"""Tables of misuse for the ``test_bad_input_*`` files: each row an id, a call that misuses
the API, the expected exception type and a regular expression its message must match (the
op's name and the shapes or values involved). A row may carry ``finding=`` to mark a known
bad message as a strict xfail, so fixing it turns into an XPASS that asks for the mark's
removal.
"""

from __future__ import annotations

import pytest


def row(case_id: str, call, error: type, message: str, finding: str | None = None):
    """One table entry; ``finding`` describes today's bad message (a strict xfail)."""
    marks = pytest.mark.xfail(strict=True, reason=f"FINDING: {finding}") if finding else ()
    return pytest.param(call, error, message, id=case_id, marks=marks)
