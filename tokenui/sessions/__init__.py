"""Who is signed in: the session's credentials (encrypted at rest), the decorators that let a
view run only for a working session, and idle expiry. The sign-in pages are in `accounts`."""
