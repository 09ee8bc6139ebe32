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
    """Filters of an institution's contract list."""

    contract_type = forms.ChoiceField(
        label=_("Contract type"), required=False, choices=[*ANY, *ContractType.choices]
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), required=False, queryset=Branch.objects.none(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[*ANY, *FinancingContract.Status.choices]
    )

    def __init__(self, *args: object, institution: Institution, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["branch"].queryset = institution.branches.order_by("name")  # type: ignore[attr-defined]
