"""The review workflow of a reporting period: which step leads where, and who may take it.

One table serves the services (which enforce it) and the selectors (which tell the UI and the
API what a user may do), so the two cannot drift apart.
"""

from __future__ import annotations

from users.models import User

from .models import ReportingPeriod

Status = ReportingPeriod.Status

MANAGER = "manager"
ANALYST = "analyst"

#: (from status, to status) → (action name, who may take it).
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (Status.DRAFT, Status.SUBMITTED): ("submit", MANAGER),
    (Status.RETURNED, Status.SUBMITTED): ("submit", MANAGER),
    (Status.SUBMITTED, Status.APPROVED): ("approve", ANALYST),
    (Status.SUBMITTED, Status.RETURNED): ("return", ANALYST),
    (Status.APPROVED, Status.LOCKED): ("lock", ANALYST),
    (Status.APPROVED, Status.RETURNED): ("reopen", ANALYST),  # with a reason
}


def may_act(*, user: User, period: ReportingPeriod, who: str) -> bool:
    """Whether ``user`` is one of ``who`` for this period.

    Analysts (and administrators) review; the institution's own manager submits, and an
    administrator may submit on an institution's behalf.
    """
    if who == ANALYST:
        return user.can_review_periods
    if user.role == User.Role.ADMINISTRATOR or user.is_superuser:
        return True
    return (
        user.can_submit_periods
        and user.memberships.filter(institution_id=period.institution_id).exists()
    )


def actions_for(*, user: User, period: ReportingPeriod) -> list[str]:
    """The action names ``user`` may take on ``period`` now, in table order."""
    return [
        action
        for (from_status, _to), (action, who) in TRANSITIONS.items()
        if from_status == period.status and may_act(user=user, period=period, who=who)
    ]
