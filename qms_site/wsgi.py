import os

from django.core.wsgi import get_wsgi_application

from qms_site.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_site.settings")
require_secret_key()

application = get_wsgi_application()
