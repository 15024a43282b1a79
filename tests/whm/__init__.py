"""Tests for the WHM package: the client and the WHM simulator."""
