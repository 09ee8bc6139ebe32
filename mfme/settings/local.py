"""The embedded default: SQLite, eager Celery, files on local disk (all decided in base.py)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("MFME_DEBUG", default=True)
