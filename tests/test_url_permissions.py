"""Every URL of the server-rendered UI, for every role: who gets the page, who is sent to the
login, who gets a 403 and who a 404.

The table ``EXPECTATIONS`` names each URL pattern (by its name) with its path parameters and
the roles that may use it. ``test_every_ui_url_has_an_expectation`` fails as soon as a pattern
appears without a row, so no URL can slip through unchecked. The admin, the language switch of
``django.conf.urls.i18n`` and the REST API are left out: they have their own tests
(tests/*/test_admin.py, tests/api/).

To add a URL: add a row ``"url_name": Expect(params=..., allowed=...)``. ``params`` maps each
path parameter to a fixture object (``World`` attribute) of the institution everybody can
reach; the sweep then asks it as every role, and as ``other_staff`` (another institution's
user) who must get a 404 when the URL names an institution's object.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import FinancingContractFactory, ReportingPeriodFactory

pytestmark = pytest.mark.django_db

#: URL prefixes tested elsewhere.
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/")
#: URL modules other engineers are filling right now: a pattern of theirs without a row is
#: reported (as a warning naming it) and skipped instead of failing the suite. Remove a module
#: from here once its rows are in the table.
PENDING_MODULES: tuple[str, ...] = ()

ROLES = ("staff", "manager", "auditor", "analyst", "administrator")
EVERY_ROLE = frozenset(ROLES)
DATA_ENTRY = frozenset({"staff", "manager"})


@dataclass
class World:
    """The objects path parameters point at (all of ``institution``)."""

    institution: Any
    period: Any
    contract: Any


@dataclass(frozen=True)
class Expect:
    """What one URL pattern answers.

    ``params``: path parameter → function of the World giving its value.
    ``allowed``: roles that get ``success`` (200 for a page); in-scope roles not listed get 403.
    ``method``: ``post`` for action URLs (their GET is a 405).
    ``scoped``: the URL names an institution's object, so another institution's user gets 404.
    ``public``: no login needed (the login page, the language switch).
    """

    params: dict[str, Callable[[World], Any]] = field(default_factory=dict)
    allowed: frozenset[str] = EVERY_ROLE
    method: str = "get"
    success: int = 200
    scoped: bool = True
    public: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    #: What a signed-in user gets when it differs from ``success`` (the login page sends a
    #: signed-in user home).
    signed_in_success: int | None = None

    def expected_for(self, role: str) -> int:
        if role not in self.allowed:
            return 403
        return self.success if self.signed_in_success is None else self.signed_in_success


def code(world: World) -> str:
    return world.institution.code


def period_id(world: World) -> int:
    return world.period.pk


def contract_id(world: World) -> int:
    return world.contract.pk


EXPECTATIONS: dict[str, Expect] = {
    # users
    "login": Expect(public=True, scoped=False, signed_in_success=302),
    "logout": Expect(public=True, scoped=False, method="post", success=302),
    "language_set": Expect(
        public=True, scoped=False, method="post", success=302, data={"language": "fr"}
    ),
    # institutions
    "home": Expect(scoped=False),
    "institution_detail": Expect(params={"code": code}),
    "contract_list": Expect(params={"code": code}),
    "contract_detail": Expect(params={"contract_id": contract_id}),
    "contract_create": Expect(params={"code": code}, allowed=DATA_ENTRY),
    "contract_edit": Expect(params={"contract_id": contract_id}, allowed=DATA_ENTRY),
    "period_detail": Expect(params={"period_id": period_id}),
    # A draft cannot be locked: every in-scope role is sent back to the quarter with a message,
    # and nothing changes.
    "period_action": Expect(
        params={"period_id": period_id, "action": lambda world: "lock"},
        method="post",
        success=302,
    ),
    # quarterly return (a draft quarter): everybody in scope reads a section, only the
    # institution's staff and managers autosave or discard its draft
    "return_section": Expect(params={"period_id": period_id, "section": lambda world: "staffing"}),
    "return_autosave": Expect(
        params={"period_id": period_id, "section": lambda world: "staffing"},
        method="post",
        allowed=DATA_ENTRY,
        data={"total_staff": "12"},
    ),
    "return_draft_discard": Expect(
        params={"period_id": period_id, "section": lambda world: "staffing"},
        method="post",
        allowed=DATA_ENTRY,
        success=302,
    ),
    # imports (partners.views_import, wired in institutions.urls_import)
    "period_import": Expect(params={"period_id": period_id}, allowed=DATA_ENTRY),
    "period_import_template": Expect(
        params={
            "period_id": period_id,
            "kind": lambda world: "contracts",
            "file_format": lambda world: "xlsx",
        },
        allowed=DATA_ENTRY,
    ),
    "period_import_confirm": Expect(
        params={"period_id": period_id, "token": lambda world: "unknown"},
        allowed=DATA_ENTRY,
        method="post",
        success=404,
    ),
    "period_import_cancel": Expect(
        params={"period_id": period_id, "token": lambda world: "unknown"},
        allowed=DATA_ENTRY,
        method="post",
        success=302,
    ),
    # indicators, shariah
    "period_indicators": Expect(params={"period_id": period_id}),
    "period_compliance": Expect(params={"period_id": period_id}),
}


def _walk(
    resolvers: list[Any], prefix: str = "", module: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, urlconf module, pattern) for every pattern under ``resolvers``."""
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            urlconf = entry.urlconf_name
            name = urlconf if isinstance(urlconf, str) else getattr(urlconf, "__name__", module)
            yield from _walk(entry.url_patterns, route, name)
        else:
            yield route, module, entry


def ui_patterns() -> list[tuple[str, str, URLPattern]]:
    return [
        (route, module, pattern)
        for route, module, pattern in _walk(get_resolver().url_patterns)
        if not route.startswith(SKIPPED_PREFIXES) and not route.startswith("^")
    ]


def test_every_ui_url_has_an_expectation() -> None:
    missing: list[str] = []
    pending: list[str] = []
    for route, module, pattern in ui_patterns():
        if pattern.name in EXPECTATIONS:
            continue
        described = f"{pattern.name or '(unnamed)'} → /{route} ({module})"
        (pending if module in PENDING_MODULES else missing).append(described)
    if pending:
        warnings.warn(
            "URL patterns without a permission expectation, skipped while their module is being "
            "written (add them to EXPECTATIONS in tests/test_url_permissions.py): "
            + "; ".join(pending),
            stacklevel=1,
        )
    assert not missing, (
        "These URL patterns have no permission expectation; add a row to EXPECTATIONS in "
        "tests/test_url_permissions.py:\n  " + "\n  ".join(missing)
    )


def test_every_expectation_names_an_existing_url() -> None:
    names = {pattern.name for _route, _module, pattern in ui_patterns()}
    assert set(EXPECTATIONS) <= names, set(EXPECTATIONS) - names


@pytest.fixture
def world(
    institution, other_institution, staff, manager, auditor, analyst, administrator, other_staff
):  # type: ignore[no-untyped-def]
    # Everybody the sweep logs in as exists before the first request.
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    contract = FinancingContractFactory(
        institution=institution, contract_date=datetime.date(2026, 4, 2)
    )
    return World(institution=institution, period=period, contract=contract)


def _cases() -> list[Any]:
    return [pytest.param(name, id=name) for name in sorted(EXPECTATIONS)]


def _request(client: Any, expect: Expect, url: str) -> Any:
    return getattr(client, expect.method)(url, expect.data)


@pytest.mark.parametrize("name", _cases())
def test_url_answers_each_role_as_expected(name, world, request, client, client_for) -> None:  # type: ignore[no-untyped-def]
    expect = EXPECTATIONS[name]
    url = reverse(name, kwargs={key: value(world) for key, value in expect.params.items()})

    anonymous = _request(client, expect, url)
    if expect.public:
        assert anonymous.status_code == expect.success, (name, "anonymous")
    else:
        assert anonymous.status_code == 302, (name, "anonymous", anonymous.status_code)
        assert anonymous.url.startswith(reverse("login")), (name, anonymous.url)

    for role in ROLES:
        user = request.getfixturevalue(role)
        response = _request(client_for(user), expect, url)
        assert response.status_code == expect.expected_for(role), (
            name,
            role,
            response.status_code,
        )

    other = _request(client_for(request.getfixturevalue("other_staff")), expect, url)
    if expect.scoped:
        assert other.status_code == 404, (name, "other_staff", other.status_code)
    else:
        assert other.status_code == expect.expected_for("staff"), (name, "other_staff")

    if expect.method == "post" and not expect.public:
        # An action URL never answers a GET.
        assert client_for(request.getfixturevalue("analyst")).get(url).status_code == 405
