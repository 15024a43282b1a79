"""The Manage API Tokens pages: the Generate/Edit form, its validators and the ACL groups."""
