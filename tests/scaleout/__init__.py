"""Tests for scaling out: two app instances sharing one PostgreSQL database and one Redis."""
