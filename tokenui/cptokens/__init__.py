"""cPanel's Manage API Tokens: a cPanel account's own tokens, and the Accounts page that takes
a WHM operator to the tokens of the accounts they own."""
