"""Signals other apps subscribe to. Imports flow one way (STYLE rule 3): institutions cannot call
the indicator engine, so the review workflow announces its steps and indicators listens."""

from django.dispatch import Signal

#: Sent inside the transition's transaction with ``period``, ``from_status``, ``to_status`` and
#: ``actor``. Receivers that start work must defer it with ``transaction.on_commit``.
period_status_changed = Signal()
