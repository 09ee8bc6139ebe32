"""Pages of the browser import: templates to download, upload → preview → confirm.

Wired by ``institutions/urls_import.py`` (the quarter's URLs live there; these views live in
``partners`` because they call ``partners.imports``, and ``institutions`` code may not import
``partners`` — the URL module is wiring, the one place where that direction is tolerated).

The page hangs under a quarter (``/periods/<id>/import/``): contracts and repayments belong to
the institution, but they are imported while a quarter is being prepared, and nothing is
imported into a quarter that can no longer change. Only MFI staff and managers of the
institution may import (another institution's quarter is a 404, other roles get a 403).

Between the preview and the confirmation the uploaded file is kept under ``MEDIA_ROOT`` in
``imports/preview/`` under a random name, and the user's session remembers which file belongs to
which quarter and kind. The confirmation reads the file again and validates it again before
writing anything; files older than a day are swept on the next upload.
"""

from __future__ import annotations

import contextlib
import datetime
import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from institutions import selectors
from institutions.models import FinancialStatement, ReportingPeriod
from institutions.services import PeriodNotEditable, period_assert_editable

from . import imports

SESSION_KEY = "mfme_imports"
PREVIEW_DIRECTORY = "imports/preview"
#: Previews a session keeps at once; older ones are forgotten (and their files removed).
MAX_PENDING = 5
PREVIEW_LIFETIME = datetime.timedelta(days=1)
#: Problems listed on the preview page; the rest are counted.
MAX_LISTED_PROBLEMS = 500

KIND_LABELS = {
    imports.CONTRACTS: gettext_lazy("Contracts with schedules"),
    imports.REPAYMENTS: gettext_lazy("Repayments"),
    imports.STATEMENT: gettext_lazy("Financial statement of the quarter"),
}
KIND_DESCRIPTIONS = {
    imports.CONTRACTS: gettext_lazy(
        "The institution's financings, one row per instalment of their schedules."
    ),
    imports.REPAYMENTS: gettext_lazy("Payments received, one row per payment."),
    imports.STATEMENT: gettext_lazy(
        "The balance sheet and income statement of this quarter, one row per line."
    ),
}
CONTENT_TYPES = {
    imports.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    imports.CSV: "text/csv; charset=utf-8",
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file contains"),
        choices=list(KIND_LABELS.items()),
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large: {size} MB at most.").format(
                    size=imports.MAX_FILE_BYTES // (1024 * 1024)
                )
            )
        return upload


# --- Access -------------------------------------------------------------------------------------


def _period(request: HttpRequest, period_id: int) -> ReportingPeriod:
    """The quarter, if the user may import into its institution (404 out of scope, else 403)."""
    period = selectors.period_get_for_user(user=request.user, period_id=period_id)
    if not request.user.can_enter_data:
        raise PermissionDenied(_("Only the institution's staff and managers can import data."))
    return period


def _kind(kind: str) -> str:
    if kind not in imports.KINDS:
        raise Http404(_("Not found."))
    return kind


# --- Preview files kept between the preview and the confirmation ------------------------------


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.get(SESSION_KEY, {})


def _remember(
    request: HttpRequest, *, period: ReportingPeriod, kind: str, filename: str, data: bytes
) -> str:
    _sweep()
    token = secrets.token_urlsafe(18)
    extension = imports.file_format_of(filename, data)
    path = default_storage.save(f"{PREVIEW_DIRECTORY}/{token}.{extension}", ContentFile(data))
    pending = _pending(request)
    pending[token] = {
        "period": period.pk,
        "kind": kind,
        "filename": filename,
        "path": path,
        "user": request.user.pk,
        "at": timezone.now().isoformat(),
    }
    for old in sorted(pending, key=lambda key: pending[key]["at"])[:-MAX_PENDING]:
        _delete(pending.pop(old)["path"])
    request.session[SESSION_KEY] = pending
    return token


def _recall(
    request: HttpRequest, *, period: ReportingPeriod, token: str
) -> tuple[dict[str, Any], bytes]:
    entry = _pending(request).get(token)
    if entry is None or entry["period"] != period.pk or entry["user"] != request.user.pk:
        raise Http404(_("Not found."))
    try:
        with default_storage.open(entry["path"], "rb") as handle:
            return entry, handle.read()
    except FileNotFoundError as error:
        _forget(request, token)
        raise Http404(_("Not found.")) from error


def _forget(request: HttpRequest, token: str) -> None:
    pending = _pending(request)
    entry = pending.pop(token, None)
    if entry is not None:
        _delete(entry["path"])
        request.session[SESSION_KEY] = pending


def _delete(path: str) -> None:
    with contextlib.suppress(OSError):
        default_storage.delete(path)


def _sweep() -> None:
    """Remove preview files nobody confirmed within a day (closed tabs, expired sessions)."""
    try:
        _directories, files = default_storage.listdir(PREVIEW_DIRECTORY)
    except (FileNotFoundError, NotImplementedError):
        return
    limit = timezone.now() - PREVIEW_LIFETIME
    for name in files:
        path = f"{PREVIEW_DIRECTORY}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except (OSError, NotImplementedError):
            continue


# --- Pages --------------------------------------------------------------------------------------


def _page_context(period: ReportingPeriod, form: UploadForm) -> dict[str, Any]:
    return {
        "period": period,
        "institution": period.institution,
        "form": form,
        "editable": period.is_editable,
        "kinds": [
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "description": KIND_DESCRIPTIONS[kind],
                "note": imports.layout_note(kind),
            }
            for kind in imports.KINDS
        ],
        "notes": imports.general_notes(),
        "max_rows": imports.MAX_ROWS,
        "max_megabytes": imports.MAX_FILE_BYTES // (1024 * 1024),
    }


@require_http_methods(["GET", "POST"])
@login_required
def import_page(request: HttpRequest, period_id: int) -> HttpResponse:
    """GET: the import page. POST: an upload, answered with its preview (nothing saved)."""
    period = _period(request, period_id)
    if request.method == "GET":
        form = UploadForm(initial={"kind": request.GET.get("kind", imports.CONTRACTS)})
        return render(request, "institutions/import/page.html", _page_context(period, form))
    form = UploadForm(request.POST, request.FILES)
    try:
        period_assert_editable(period=period)
    except PeriodNotEditable as error:
        messages.error(request, " ".join(error.messages))
        return render(
            request, "institutions/import/page.html", _page_context(period, form), status=409
        )
    if not form.is_valid():
        return render(
            request, "institutions/import/page.html", _page_context(period, form), status=400
        )
    kind = form.cleaned_data["kind"]
    upload = form.cleaned_data["file"]
    data = upload.read()
    outcome = imports.run_import(
        kind, data, filename=upload.name, actor=request.user, period=period, apply=False
    )
    token = None
    if outcome.ok:
        token = _remember(request, period=period, kind=kind, filename=upload.name, data=data)
    return _preview(
        request, period=period, kind=kind, filename=upload.name, outcome=outcome, token=token
    )


def _preview(
    request: HttpRequest,
    *,
    period: ReportingPeriod,
    kind: str,
    filename: str,
    outcome: imports.Outcome,
    token: str | None,
    status: int = 200,
) -> HttpResponse:
    problems = outcome.problems
    return render(
        request,
        "institutions/import/preview.html",
        {
            "period": period,
            "institution": period.institution,
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "filename": filename,
            "outcome": outcome,
            "summary": _summary_lines(kind, outcome.summary),
            "problems": problems[:MAX_LISTED_PROBLEMS],
            "problem_count": len(problems),
            "unlisted": max(0, len(problems) - MAX_LISTED_PROBLEMS),
            "problem_rows": len({problem.row for problem in problems if problem.row}),
            "token": token,
        },
        status=status,
    )


def _summary_lines(kind: str, summary: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, value, is_money) for the preview's summary, in the order shown."""
    labels: list[tuple[str, Any, bool]] = []

    def add(key: str, label: str, money: bool = False) -> None:
        if key in summary:
            labels.append((label, summary[key], money))

    add("file_rows", _("Rows read"))
    if kind == imports.CONTRACTS:
        add("contracts", _("Contracts"))
        add("created", _("New contracts"))
        add("updated", _("Contracts updated"))
        add("instalments", _("Instalments"))
        add("financed", _("Total financed (cost)"), money=True)
        add("profit", _("Total profit"), money=True)
    elif kind == imports.REPAYMENTS:
        add("created", _("New repayments"))
        add("updated", _("Repayments corrected"))
        add("principal", _("Total principal repaid"), money=True)
        add("profit", _("Total profit repaid"), money=True)
        add("instalments_settled", _("Instalments settled again"))
    else:
        add("lines", _("Statement lines"))
        add("total_assets", _("Total assets"), money=True)
        add("liabilities_and_equity", _("Liabilities, mudaraba funds and equity"), money=True)
        add("net_income", _("Net income"), money=True)
    return labels


@require_POST
@login_required
def import_confirm(request: HttpRequest, period_id: int, token: str) -> HttpResponse:
    """Apply a previewed file, all or nothing, after validating it again."""
    period = _period(request, period_id)
    entry, data = _recall(request, period=period, token=token)
    kind, filename = entry["kind"], entry["filename"]
    try:
        outcome = imports.run_import(
            kind, data, filename=filename, actor=request.user, period=period, apply=True
        )
    except PeriodNotEditable as error:
        _forget(request, token)
        messages.error(request, " ".join(error.messages))
        return redirect("period_import", period_id=period.pk)
    if not outcome.ok:
        # The data changed since the preview (or the file did): nothing was written.
        _forget(request, token)
        messages.error(request, _("The file no longer passes validation; nothing was imported."))
        return _preview(
            request,
            period=period,
            kind=kind,
            filename=filename,
            outcome=outcome,
            token=None,
            status=409,
        )
    _forget(request, token)
    messages.success(request, _done_message(kind, outcome.summary))
    if kind == imports.STATEMENT:
        return redirect("period_detail", period_id=period.pk)
    return redirect(reverse("contract_list", args=[period.institution.code]))


def _done_message(kind: str, summary: dict[str, Any]) -> str:
    if kind == imports.CONTRACTS:
        return _(
            "Import done: {created} contracts created, {updated} updated, {instalments} "
            "instalments."
        ).format(
            created=summary.get("created", 0),
            updated=summary.get("updated", 0),
            instalments=summary.get("instalments", 0),
        )
    if kind == imports.REPAYMENTS:
        return _("Import done: {created} repayments recorded, {updated} corrected.").format(
            created=summary.get("created", 0), updated=summary.get("updated", 0)
        )
    return _("Import done: the quarter's financial statement was saved.")


@require_POST
@login_required
def import_cancel(request: HttpRequest, period_id: int, token: str) -> HttpResponse:
    period = _period(request, period_id)
    _forget(request, token)
    messages.info(request, _("The import was cancelled; nothing was saved."))
    return redirect("period_import", period_id=period.pk)


@require_GET
@login_required
def import_template(
    request: HttpRequest, period_id: int, kind: str, file_format: str
) -> HttpResponse:
    """The template of ``kind`` in the user's language (the statement's is pre-filled with the
    quarter's current amounts, if any)."""
    period = _period(request, period_id)
    kind = _kind(kind)
    if file_format not in imports.FORMATS:
        raise Http404(_("Not found."))
    statement = None
    if kind == imports.STATEMENT:
        statement = FinancialStatement.objects.filter(period=period).first()
    build = imports.template_xlsx if file_format == imports.XLSX else imports.template_csv
    content = build(kind, statement=statement, currency=period.institution.currency)
    language = translation.get_language() or "en"
    name = slugify(f"mfme-{period.institution.code}-{period.label}-{kind}-{language}")
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response
