"""Database triggers that refuse UPDATE and DELETE on audit entries (X1).

The hash chain detects tampering; the triggers prevent it through any client that does
not deliberately drop them first. Installed by migration 0003.
"""

INSTALL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;",
        "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;",
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse();",
    ],
}
REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entry_no_update;",
        "DROP TRIGGER IF EXISTS audit_entry_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;",
        "DROP FUNCTION IF EXISTS audit_entry_refuse();",
    ],
}


def _execute(connection, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for sql in statements.get(connection.vendor, []):
            cursor.execute(sql)


def install(connection) -> None:
    _execute(connection, INSTALL)


def remove(connection) -> None:
    _execute(connection, REMOVE)
