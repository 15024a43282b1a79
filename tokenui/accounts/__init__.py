"""Sign-in to a WHM server, the encrypted server-side credential, and sign-out."""
