"""The export's formula guard: a cell a spreadsheet would run is made plain text."""

from __future__ import annotations

import pytest

from tokenui.kernel.export import neutralised

# The fullwidth equals, plus, minus and at signs, which spreadsheets also read as a formula.
FULLWIDTH = [chr(sign) + "1" for sign in (0xFF1D, 0xFF0B, 0xFF0D, 0xFF20)]
SPACED = [" =1+1", "  +cmd", chr(0x3000) + "=1", "\t=1"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", *SPACED, *FULLWIDTH])
def test_a_cell_a_spreadsheet_would_run_is_quoted(cell: str) -> None:
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["billing-bot", "192.0.2.1", "2026-12-07T00:00:00Z", "a=b"])
def test_a_plain_cell_is_left_as_it_is(cell: str) -> None:
    assert neutralised(cell) == cell
