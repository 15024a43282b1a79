"""Staff: TokenUI's own accounts (Django users and groups), their sign-in and their roles."""
