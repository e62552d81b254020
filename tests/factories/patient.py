import datetime

import factory

from records.models import Diagnosis, Patient, Sex

from .clinic import ClinicFactory


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    record_number = factory.Sequence(lambda n: f"RN-{n:05d}")
    family_name = factory.Faker("last_name")
    given_name = factory.Faker("first_name")
    date_of_birth = datetime.date(1980, 1, 1)
    sex = Sex.FEMALE
    diagnosis = Diagnosis.MDD
