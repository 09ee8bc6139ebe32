"""Production hardening only; every value still comes from the environment through base.py."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env

if SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("Set MFME_SECRET_KEY in production.")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("MFME_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS: redirect plain http and send Strict-Transport-Security. Both default off, because a
# reverse proxy usually does the redirect, and HSTS cannot be taken back from browsers that saw
# it: turn it on (e.g. 31536000, a year) once the site is served only over HTTPS.
SECURE_SSL_REDIRECT = env.bool("MFME_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("MFME_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("MFME_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("MFME_HSTS_PRELOAD", default=False)
