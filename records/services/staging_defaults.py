"""A clinic's default staging parameters: changed by clinic admins only, every change audited."""

from typing import TYPE_CHECKING, cast

from records.models import ClinicStagingDefaults
from records.models.staging_defaults import PARAMETER_NAMES
from staging.history import Params

from .clinic_settings import SettingsRow, clinic_settings_save
from .common import validate

if TYPE_CHECKING:
    from .common import Actor

STAGING_DEFAULTS_THING = "The clinic's staging defaults"
# What audit events about these settings are about (records' ObjectType lists clinical records).
OBJECT_TYPE = "staging_defaults"
# A change of parameters can move any episode's stage: the clinic's episodes are restaged.
STAGING_DEFAULTS = SettingsRow(
    model=ClinicStagingDefaults,
    fields=PARAMETER_NAMES,
    object_type=OBJECT_TYPE,
    thing=STAGING_DEFAULTS_THING,
    restage=True,
)


def _values(data: Params) -> dict[str, object]:
    scratch = ClinicStagingDefaults()
    scratch.apply(data)
    return {name: getattr(scratch, name) for name in PARAMETER_NAMES}


def clinic_staging_defaults_validate(*, clinic_id: int, data: Params) -> None:
    """Raise the field errors these parameters would get, without saving (for forms)."""
    defaults = ClinicStagingDefaults(clinic_id=clinic_id)
    defaults.apply(data)
    validate(defaults, {}, exclude=["clinic"])


def clinic_staging_defaults_update(
    *, acting_user: "Actor", clinic_id: int, data: Params, expected_version: int
) -> ClinicStagingDefaults:
    """Set the clinic's default staging parameters (clinic admins); audited old → new."""
    # `expected_version` is the version the editor loaded (`settings_version`).
    saved = clinic_settings_save(
        acting_user=acting_user,
        clinic_id=clinic_id,
        row=STAGING_DEFAULTS,
        values=_values(data),
        expected_version=expected_version,
    )
    return cast(ClinicStagingDefaults, saved)
