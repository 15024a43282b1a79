"""Expiry notices: rules (who is told, about what), digests of tokens nearing expiry and alerts
of risky new tokens, sent by mail and signed webhook, and the log of each delivery."""
