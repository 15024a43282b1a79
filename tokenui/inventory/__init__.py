"""The inventory: every connected server's tokens (its service user's, each reseller's, each
cPanel account's), read in the background and kept with when each was first and last seen."""
