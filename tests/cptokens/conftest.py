"""The cPanel pages' fixtures (cp_client, operator_client, root_operator) are in tests/conftest.py:
the suite parametrized over every token system (tests/tokens/test_systems.py) uses them too."""
