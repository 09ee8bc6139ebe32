"""Fixtures of the API tests: API clients (tokens) on ``institution`` and ``other_institution``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from institutions.models import Institution
from partners.models import ApiClient
from partners.services import api_client_create
from tests.factories import BranchFactory, ClientFactory, FinancingProductFactory
from users.models import User

from .payloads import contract_row


@pytest.fixture
def make_token(administrator: User) -> Callable[..., tuple[ApiClient, str]]:
    def make(
        institution: Institution, access: str = "read_write", name: str = "core banking"
    ) -> tuple[ApiClient, str]:
        return api_client_create(
            actor=administrator, institution=institution, name=name, access=access
        )

    return make


@pytest.fixture
def token(institution: Institution, make_token: Callable[..., tuple[ApiClient, str]]) -> str:
    return make_token(institution)[1]


@pytest.fixture
def read_token(institution: Institution, make_token: Callable[..., tuple[ApiClient, str]]) -> str:
    return make_token(institution, access="read", name="dashboard")[1]


@pytest.fixture
def other_token(
    other_institution: Institution, make_token: Callable[..., tuple[ApiClient, str]]
) -> str:
    return make_token(other_institution)[1]


@pytest.fixture
def api() -> Callable[[str | None], APIClient]:
    """``api(token)``: a DRF test client sending ``Authorization: Token <token>``."""

    def make(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: object) -> None:
    """Import job uploads go to a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def references(institution: Institution) -> object:
    """Branch B1, client C1 and murabaha product MUR of ``institution``."""
    branch = BranchFactory(institution=institution, code="B1")
    ClientFactory(institution=institution, branch=branch, external_id="C1")
    FinancingProductFactory(institution=institution, code="MUR", contract_type="murabaha")
    return branch


@pytest.fixture
def contract(api: Callable[[str], APIClient], token: str, references: Any) -> None:
    """Contract K1 of ``institution`` (``payloads.contract_row``), stored through the bulk
    endpoint."""
    response = api(token).post(
        "/api/v1/contracts/bulk/",
        data=json.dumps([contract_row("K1")]),
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()


from .live import server_on_a_file  # noqa: E402, F401 - a fixture, shared
