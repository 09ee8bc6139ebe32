"""Sign-in, sign-out, the language switch, the page direction per language, and the admin."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

ROLES = ["staff", "manager", "analyst", "auditor", "administrator"]


@pytest.mark.parametrize("role", ROLES)
def test_login_works_for_each_role(role, request):
    user = request.getfixturevalue(role)
    client = Client()

    response = client.post(
        reverse("login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_login_with_a_wrong_password_shows_the_form_again(staff):
    response = Client().post(reverse("login"), {"username": "staff", "password": "wrong"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert b'name="password"' in response.content


def test_login_brings_back_the_preferred_language(staff):
    staff.preferred_language = "ar"
    staff.save(update_fields=["preferred_language"])

    response = Client().post(reverse("login"), {"username": "staff", "password": DEFAULT_PASSWORD})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"


def test_logout_needs_a_post_and_signs_out(client_for, staff):
    client = client_for(staff)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_language_switch_sets_the_cookie_and_remembers_the_choice(client_for, staff):
    response = client_for(staff).post(
        reverse("language_set"), {"language": "fr", "next": reverse("home")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    staff.refresh_from_db()
    assert staff.preferred_language == "fr"


def test_language_switch_ignores_unknown_languages(client_for, staff):
    client_for(staff).post(reverse("language_set"), {"language": "xx", "next": "/"})

    staff.refresh_from_db()
    assert staff.preferred_language == ""


def test_language_switch_works_before_login(db):
    response = Client().post(reverse("language_set"), {"language": "ar", "next": "/login/"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")])
def test_page_language_and_direction_follow_the_language_cookie(db, language, direction):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("login")).content.decode()

    assert f'<html lang="{language}" dir="{direction}">' in html


def test_accept_language_header_selects_arabic(db):
    html = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert '<html lang="ar" dir="rtl">' in html


def test_every_page_offers_the_three_languages_in_their_own_names(client_for, analyst):
    html = client_for(analyst).get(reverse("home")).content.decode()

    for name in ("العربية", "Français", "English"):
        assert name in html
    assert f'action="{reverse("language_set")}"' in html


def test_header_shows_the_user_and_role(client_for, analyst):
    html = client_for(analyst).get(reverse("home")).content.decode()

    assert "IsDB analyst" in html
    assert f'action="{reverse("logout")}"' in html


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_administrator_can_use_the_admin_in_each_language(client_for, administrator, language):
    client = client_for(administrator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    index = client.get("/admin/")
    changelist = client.get("/admin/institutions/institution/")

    assert index.status_code == 200
    assert changelist.status_code == 200
    assert f'lang="{language}"' in changelist.content.decode()


def test_analyst_can_read_institutions_in_the_admin(client_for, analyst, institution):
    client = client_for(analyst)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/institutions/institution/").status_code == 200
    assert (
        client.get(f"/admin/institutions/institution/{institution.pk}/change/").status_code == 200
    )


@pytest.mark.parametrize("role", ["staff", "manager", "auditor"])
def test_institution_users_and_auditors_cannot_open_the_admin(client_for, request, role):
    response = client_for(request.getfixturevalue(role)).get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
