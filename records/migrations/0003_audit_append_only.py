"""Make the audit trail append-only in the database itself: UPDATE and DELETE raise."""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION records_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER records_auditevent_append_only
    BEFORE UPDATE OR DELETE ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION records_auditevent_refuse_change();
"""

REMOVE_APPEND_ONLY = """
DROP TRIGGER IF EXISTS records_auditevent_append_only ON records_auditevent;
DROP FUNCTION IF EXISTS records_auditevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("records", "0002_agent_catalogue")]

    # TRUNCATE is left alone: Django's flush empties a database with it (the tests empty theirs
    # with DELETE, triggers off for that transaction: tests/conftest.py).
    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE_APPEND_ONLY)]
