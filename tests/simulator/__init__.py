"""The WHM simulator's own tests, over real HTTP with raw httpx (never the project's client)."""
