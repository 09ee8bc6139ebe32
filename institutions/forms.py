"""Forms of the server-rendered UI: the filters of the list pages (GET)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Branch, ContractType, FinancingContract, Institution, ReportingPeriod

ANY = [("", _("All"))]


class InstitutionFilterForm(forms.Form):
    """Filters of the institutions table: free text on name or code, latest status, country."""

    q = forms.CharField(
        label=_("Name or code"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Latest quarter"),
        required=False,
        choices=[*ANY, *ReportingPeriod.Status.choices, ("none", _("No quarter yet"))],
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args: object, institutions: Iterable[Institution] = (), **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        countries = {
            institution.country.code: institution.country.name for institution in institutions
        }
        self.fields["country"].choices = [  # type: ignore[attr-defined]
            *ANY,
            *sorted(countries.items(), key=lambda item: str(item[1])),
        ]


class ContractFilterForm(forms.Form):
    """Filters of an institution's contract list: free text on the contract number or the
    client, type, branch, status, and days late (of the oldest instalment due and unpaid on
    the ``as_of`` date, today unless given; the same definition as the portfolio, D7)."""

    #: Days-late bands: (lowest, highest) days late, ``None`` for open-ended.
    DAYS_LATE_BANDS: dict[str, tuple[int, int | None]] = {
        "current": (0, 0),
        "1-30": (1, 30),
        "31-90": (31, 90),
        "over-90": (91, None),
    }

    q = forms.CharField(
        label=_("Contract number or client"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=[*ANY, *ContractType.choices]
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), required=False, queryset=Branch.objects.none(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[*ANY, *FinancingContract.Status.choices]
    )
    days_late = forms.ChoiceField(
        label=_("Days late"),
        required=False,
        choices=[
            *ANY,
            ("current", _("Up to date")),
            ("1-30", _("1 to 30 days")),
            ("31-90", _("31 to 90 days")),
            ("over-90", _("More than 90 days")),
        ],
    )
    as_of = forms.DateField(
        label=_("Days late on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Today if empty."),
    )

    def __init__(self, *args: object, institution: Institution, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["branch"].queryset = institution.branches.order_by("name")  # type: ignore[attr-defined]
