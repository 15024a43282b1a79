"""All servers: every token on every WHM server signed in to this session, in one table."""
