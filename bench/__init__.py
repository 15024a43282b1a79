"""TokenUI's benchmarks (`make bench`) and load/soak run (`make load`), with their reports."""

from __future__ import annotations
