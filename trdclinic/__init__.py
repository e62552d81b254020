"""trdclinic: the Django project. Importing it (settings, manage.py, WSGI, tests) first puts the
compiled staging engines on the path when they are current (trdclinic/compiled_engines.py)."""

from trdclinic.compiled_engines import activate

activate()
