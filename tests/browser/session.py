"""Signing in through the real login page, in a fresh browser context per user."""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD


def log_in(  # type: ignore[no-untyped-def]
    browser,
    live_server,
    username: str,
    language: str,
    width: int = 1280,
    *,
    password: str = DEFAULT_PASSWORD,
):
    """A page signed in as ``username``, with ``language`` chosen before signing in (the login
    page is in it; signing in then restores the user's preferred language, if they have one)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page
