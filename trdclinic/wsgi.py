import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from trdclinic.startup import freeze_loaded_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # A configuration mistake gets one clear line, not a traceback.
    sys.exit(f"trdclinic configuration error: {error}")

freeze_loaded_application()
