"""The audit trail: who signed in, and who generated, edited or revoked which tokens."""
