import os
import sys

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trdclinic.settings")

try:
    application = get_asgi_application()
except ImproperlyConfigured as error:
    sys.exit(f"trdclinic configuration error: {error}")
