"""The demo command on an empty database: each password shown once, on the first run only.

Apart from tests/integration/test_demo.py, whose builds last for that module's tests.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from records.demo import DEMO_USERS


@pytest.mark.django_db
def test_demo_command_prints_each_password_once():
    first, second = StringIO(), StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)
    assert first.getvalue().count("(shown once)") == len(DEMO_USERS)
    assert "(shown once)" not in second.getvalue()
