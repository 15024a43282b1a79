"""Everything that speaks WHM API 1: the client, its error tree and its types (no web here)."""
