"""Make the audit trail append-only in the database itself, not only in the ORM.

On PostgreSQL a trigger refuses UPDATE and DELETE on claims_reviewevent, with one
exception: the actor's foreign key may be set to NULL, which is what deleting a
user does (the copied username keeps the history readable). On SQLite the
same is done for UPDATE; DELETE stays guarded by the ORM alone, because the
test runner's flush deletes rows one by one there.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION claims_reviewevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'claims_reviewevent is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER claims_reviewevent_append_only
    BEFORE UPDATE OR DELETE ON claims_reviewevent
    FOR EACH ROW EXECUTE FUNCTION claims_reviewevent_append_only();
"""
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS claims_reviewevent_append_only ON claims_reviewevent",
    "DROP FUNCTION IF EXISTS claims_reviewevent_append_only()",
]
SQLITE_FORWARD = """
CREATE TRIGGER claims_reviewevent_append_only
BEFORE UPDATE ON claims_reviewevent
FOR EACH ROW WHEN NOT (
    OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
    AND NEW.id = OLD.id AND NEW.claim_id = OLD.claim_id AND NEW.action = OLD.action
    AND NEW.from_status = OLD.from_status AND NEW.to_status = OLD.to_status
    AND NEW.actor_username = OLD.actor_username AND NEW.note = OLD.note
    AND NEW.data = OLD.data AND NEW.created_at = OLD.created_at
)
BEGIN
    SELECT RAISE(ABORT, 'claims_reviewevent is append-only: UPDATE refused');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS claims_reviewevent_append_only;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Two statements: the extended query protocol runs one at a time.
        schema_editor.execute(PG_FORWARD)
        schema_editor.execute(PG_TRIGGER)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_REVERSE:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_default_rating_scale")]

    operations = [migrations.RunPython(forward, reverse)]
