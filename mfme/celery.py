"""The Celery application. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mfme.settings.local")

app = Celery("mfme")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# mfme is not an installed app; its one task (the health probe) lives in mfme/health.py.
app.autodiscover_tasks(["mfme"], related_name="health")
