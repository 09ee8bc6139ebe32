"""Writes of the quarterly-return pages: autosaved drafts, saving a section (which discards its
draft), and returning a quarter with comments per section.

Drafts hold raw form input (strings, possibly invalid): they are validated only when the section
is saved, through the section's own service (``services.financial_statement_save`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from users.models import User

from . import services
from .models import PeriodTransition, ReportingPeriod, ReturnDraft, ReturnSection, ReviewComment

#: The sections a user fills in on the return pages (contracts come through imports and forms).
EDITABLE_SECTIONS = (
    ReturnSection.BALANCE_SHEET,
    ReturnSection.INCOME_STATEMENT,
    ReturnSection.STAFFING,
    ReturnSection.PORTFOLIO_SUMMARY,
)
#: Sections an analyst may comment on when returning a quarter (``general`` is the reason).
COMMENTABLE_SECTIONS = (*EDITABLE_SECTIONS, ReturnSection.CONTRACTS)

#: A draft is a form's worth of short strings; anything bigger is not a form's input.
DRAFT_MAX_FIELDS = 400
DRAFT_MAX_VALUE_LENGTH = 64


def return_user_can_enter(*, user: User, period: ReportingPeriod) -> bool:
    """Whether ``user`` fills in this institution's return on the return pages: its own MFI
    staff and managers. Analysts and administrators read them (they correct data through the
    admin or the API, whose services allow it)."""
    return bool(
        user.is_active
        and user.can_enter_data
        and user.memberships.filter(institution_id=period.institution_id).exists()
    )


def _require_entry(*, actor: User, period: ReportingPeriod) -> ReportingPeriod:
    if not return_user_can_enter(user=actor, period=period):
        raise PermissionDenied(_("You cannot enter data for this institution."))
    current = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    services.period_assert_editable(period=current)
    return current


def _require_section(section: str) -> None:
    if section not in EDITABLE_SECTIONS:
        raise ValidationError({"section": _("This is not a section of the return.")})


def _clean_draft_data(data: Mapping[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in data.items():
        if key == "csrfmiddlewaretoken":
            continue
        if not isinstance(key, str) or len(key) > 100:
            raise ValidationError(_("This draft is not a form's input."), code="invalid_draft")
        text = "" if value is None else str(value)
        if len(text) > DRAFT_MAX_VALUE_LENGTH:
            raise ValidationError(
                {key: _("This value is too long to be a number.")}, code="invalid_draft"
            )
        cleaned[key] = text
    if len(cleaned) > DRAFT_MAX_FIELDS:
        raise ValidationError(_("This draft is not a form's input."), code="invalid_draft")
    return cleaned


@transaction.atomic
def return_draft_save(
    *, actor: User, period: ReportingPeriod, section: str, data: Mapping[str, Any]
) -> ReturnDraft:
    """Keep what ``actor`` typed into a section (one draft per quarter and section; the last
    writer wins, as on a shared paper form). Refused on a quarter that cannot change."""
    _require_section(section)
    current = _require_entry(actor=actor, period=period)
    values = _clean_draft_data(data)
    draft, _created = ReturnDraft.objects.update_or_create(
        period=current, section=section, defaults={"data": values, "updated_by": actor}
    )
    return draft


@transaction.atomic
def return_draft_discard(*, actor: User, period: ReportingPeriod, section: str) -> bool:
    """Throw a section's draft away; whether there was one."""
    _require_section(section)
    current = _require_entry(actor=actor, period=period)
    deleted, _detail = ReturnDraft.objects.filter(period=current, section=section).delete()
    return bool(deleted)


@transaction.atomic
def return_section_save(*, actor: User, period: ReportingPeriod, section: str, data: Any) -> Any:
    """Save one section through its service and discard its draft, in one transaction: a
    refused save changes nothing, and the draft stays so nothing typed is lost.

    ``data`` is the statement's fields for the balance sheet and income statement, the
    staffing fields, or the list of portfolio lines (one per contract type)."""
    _require_section(section)
    _require_entry(actor=actor, period=period)
    if section in (ReturnSection.BALANCE_SHEET, ReturnSection.INCOME_STATEMENT):
        saved = services.financial_statement_save(actor=actor, period=period, data=data)
    elif section == ReturnSection.STAFFING:
        saved = services.staffing_save(actor=actor, period=period, data=data)
    else:
        saved = services.portfolio_summary_save(actor=actor, period=period, lines=data)
    ReturnDraft.objects.filter(period=period, section=section).delete()
    return saved


@transaction.atomic
def period_return_with_comments(
    *,
    actor: User,
    period: ReportingPeriod,
    reason: str,
    comments: Mapping[str, str] | None = None,
) -> ReportingPeriod:
    """Return a submitted quarter with a general reason and optional comments per section,
    stored on the review step (``PeriodTransition``) the return creates, in one transaction."""
    cleaned = {section: (text or "").strip() for section, text in (comments or {}).items()}
    unknown = [section for section in cleaned if section not in COMMENTABLE_SECTIONS]
    if unknown:
        raise ValidationError(
            {"comments": _("Unknown section: {sections}.").format(sections=", ".join(unknown))}
        )
    returned = services.period_return(actor=actor, period=period, reason=reason)
    transition = PeriodTransition.objects.filter(period=returned).order_by("-id").first()
    assert transition is not None  # noqa: S101 - period_return has just created it
    for section in COMMENTABLE_SECTIONS:
        text = cleaned.get(section, "")
        if not text:
            continue
        comment = ReviewComment(transition=transition, section=section, comment=text)
        comment.full_clean()
        comment.save()
    return returned
