#!/usr/bin/env python
"""Django's command-line utility for TokenUI."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["whm_simulator"]:
        # The simulator is a WHM, not the dashboard: it starts before (and without) Django and
        # the dashboard's settings. Same as `python -m tokenui.simulator`.
        from tokenui.simulator.cli import main as simulator

        sys.exit(simulator(sys.argv[2:], prog="manage.py whm_simulator"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenui.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
