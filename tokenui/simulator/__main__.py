"""`python -m tokenui.simulator`: the WHM simulator on its own, without the dashboard."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
