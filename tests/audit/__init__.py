"""Tests for the audit trail: recording, the audit page and the export command."""
