"""On SQLite (the embedded default) the All servers search reads a trigram FTS5 index of each
token's `search` column, kept in step by triggers, rather than scanning every row with LIKE
(tokenui/inventory/query.py; bench/all-servers-report.md has before and after). PostgreSQL is
left as it is: its scan is within the target."""

from __future__ import annotations

from django.db import migrations

CREATE = (
    """CREATE VIRTUAL TABLE inventory_search USING fts5(
        search, content='inventory_inventorytoken', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER inventory_search_insert AFTER INSERT ON inventory_inventorytoken BEGIN
        INSERT INTO inventory_search(rowid, search) VALUES (new.id, new.search);
    END""",
    """CREATE TRIGGER inventory_search_delete AFTER DELETE ON inventory_inventorytoken BEGIN
        INSERT INTO inventory_search(inventory_search, rowid, search)
        VALUES ('delete', old.id, old.search);
    END""",
    """CREATE TRIGGER inventory_search_update
    AFTER UPDATE OF search ON inventory_inventorytoken BEGIN
        INSERT INTO inventory_search(inventory_search, rowid, search)
        VALUES ('delete', old.id, old.search);
        INSERT INTO inventory_search(rowid, search) VALUES (new.id, new.search);
    END""",
    "INSERT INTO inventory_search(inventory_search) VALUES ('rebuild')",
)
DROP = (
    "DROP TRIGGER IF EXISTS inventory_search_insert",
    "DROP TRIGGER IF EXISTS inventory_search_delete",
    "DROP TRIGGER IF EXISTS inventory_search_update",
    "DROP TABLE IF EXISTS inventory_search",
)


def on_sqlite(statements: tuple[str, ...]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [  # noqa: RUF012 - Django's migration format
        ("inventory", "0003_account_owner_of_cpanel_tokens"),
    ]

    operations = [  # noqa: RUF012
        migrations.RunPython(on_sqlite(CREATE), on_sqlite(DROP)),
    ]
