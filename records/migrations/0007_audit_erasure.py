"""Let a legal erasure blank the values of the erased patient's audit events, and nothing else.

The erasure service (records/services/erasure.py) sets the transaction-local setting
`trdclinic.erasure_patient` to the patient's id. While it is set, an UPDATE of that patient's
events may empty `changes` and must leave every other column as it was; any other UPDATE, and
every DELETE, is still refused (HIPAA 164.312(b), (c)(1)).
"""

from django.db import migrations

ALLOW_ERASURE = """
CREATE OR REPLACE FUNCTION records_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    erasing text := current_setting('trdclinic.erasure_patient', true);
BEGIN
    IF TG_OP = 'UPDATE'
        AND coalesce(erasing, '') ~ '^[0-9]+$'
        AND OLD.patient_id = erasing::bigint
        AND NEW.changes = '{}'::jsonb
        AND (NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_username, NEW.clinic_id,
             NEW.patient_id, NEW.object_type, NEW.object_id, NEW.action, NEW.object_version)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.occurred_at, OLD.actor_id, OLD.actor_username, OLD.clinic_id,
             OLD.patient_id, OLD.object_type, OLD.object_id, OLD.action, OLD.object_version)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION records_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("records", "0006_clinic_logo_limits")]

    operations = [migrations.RunSQL(ALLOW_ERASURE, APPEND_ONLY)]
