from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _compute_on_review_step(
    sender: object, *, period: object, to_status: str, **kwargs: object
) -> None:
    """A quarter that is submitted or approved gets its indicators (re)computed after commit."""
    from indicators.models import IndicatorComputation
    from indicators.services import computation_request

    triggers = {
        "submitted": IndicatorComputation.Trigger.SUBMISSION,
        "approved": IndicatorComputation.Trigger.APPROVAL,
    }
    if to_status in triggers:
        computation_request(period=period, trigger=triggers[to_status])  # type: ignore[arg-type]


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from institutions.signals import period_status_changed

        period_status_changed.connect(_compute_on_review_step, dispatch_uid="indicators.compute")
