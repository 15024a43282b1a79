"""Tests for the tokens package: validators, the Generate/Edit form and the ACL groups."""
