"""Shared fixtures: two institutions and a user of every role, scoped as in production.

``institution`` is the one everybody can reach (its staff, its manager, the auditor granted it);
``other_institution`` is only reachable by analysts, administrators and ``other_staff``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from institutions.models import Institution
from tests.factories import (
    AdministratorFactory,
    AnalystFactory,
    AuditorFactory,
    InstitutionFactory,
    InstitutionMembershipFactory,
    MfiManagerFactory,
    MfiStaffFactory,
)
from users.models import User


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language. A request through the test client leaves the
    language it activated (LocaleMiddleware does not reset it), and under xdist the next test in
    that worker would otherwise read French or Arabic messages depending on the order."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def institution(db: None) -> Institution:
    return InstitutionFactory(code="amana", name_en="Amana Microfinance")


@pytest.fixture
def other_institution(db: None) -> Institution:
    return InstitutionFactory(code="baraka", name_en="Baraka Finance")


@pytest.fixture
def analyst(db: None) -> User:
    return AnalystFactory(username="analyst")


@pytest.fixture
def administrator(db: None) -> User:
    return AdministratorFactory(username="administrator")


@pytest.fixture
def auditor(institution: Institution) -> User:
    """An auditor granted ``institution`` only."""
    user = AuditorFactory(username="auditor")
    InstitutionMembershipFactory(user=user, institution=institution)
    return user


@pytest.fixture
def staff(institution: Institution) -> User:
    user = MfiStaffFactory(username="staff")
    InstitutionMembershipFactory(user=user, institution=institution)
    return user


@pytest.fixture
def manager(institution: Institution) -> User:
    user = MfiManagerFactory(username="manager")
    InstitutionMembershipFactory(user=user, institution=institution)
    return user


@pytest.fixture
def other_staff(other_institution: Institution) -> User:
    user = MfiStaffFactory(username="other_staff")
    InstitutionMembershipFactory(user=user, institution=other_institution)
    return user


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """``client_for(user)`` returns a Django test client logged in as ``user``."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in this process even when REDIS_URL points at a real worker (CI): the worker
    uses the real database, not the test's. The worker path itself is exercised end to end by
    .ci/run's demo step (indicator computations) and by tests/partners/test_worker_import.py
    (import jobs posted through the API, on the real database)."""
    from mfme.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
