"""Every page, as each persona gets it, is valid HTML by the Nu HTML checker (tests/html_checker.py).

The browser tests check the pages of their journeys as the live server sends them (conftest.py
BrowserPage); this walks the permission matrix's pages with the Django test client instead, so
that pages no journey visits are checked too: each persona's GET of each page that answers HTML
(the 403 and 404 pages included), the manager's empty POST to each form (the form with its errors),
and the 500 page. One batch, posted to the one checker the session starts.
"""

from __future__ import annotations

import functools

import pytest
from django.template.loader import render_to_string

from conftest import require_service
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 - personas make six users
from qms_site.tests.test_permission_matrix import MATRIX, ORDER
from tests.html_checker import checker_missing, describe
from tests.world import make_world, url_for


def _pages(client, personas, login) -> dict[str, str]:
    """label ("GET /path/ as coach") -> HTML, one label per distinct document."""
    world = make_world(personas)
    client.raise_request_exception = False  # a 500 is the permission matrix's failure; here, its page
    pages: dict[str, str] = {}
    refusals = set()  # (persona, status): one 403 and one 404 page each; the others differ by URL only
    for name, cells in sorted(MATRIX.items()):
        url = url_for(name, world)
        for persona, get_status, post_status in zip(ORDER, cells["get"], cells["post"], strict=True):
            requests = []
            if get_status == 200:
                requests.append("get")
            elif get_status in (403, 404) and (persona, get_status) not in refusals:
                refusals.add((persona, get_status))
                requests.append("get")
            if persona == "manager" and post_status == 200:
                requests.append("post")  # an empty form: the page with its errors
            for method in requests:
                response = getattr(login(persona, personas), method)(url, {})
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue  # CSV, iCalendar, PDF
                html = response.content.decode()
                if html not in pages.values():
                    pages[f"{method.upper()} {url} as {persona} ({response.status_code})"] = html
    pages["500 page"] = render_to_string("500.html")
    return pages


def test_every_page_is_valid_html(client, personas, login, html_checker):
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    pages = _pages(client, personas, login)
    assert len(pages) > 100  # the walk found the pages (each persona's view of each one)
    checks = {label: html_checker.submit(html) for label, html in pages.items()}  # checked two at a time
    invalid = {label: errors for label, check in checks.items() if (errors := check.result())}
    assert not invalid, "Invalid HTML (Nu HTML checker):\n" + "\n".join(
        f"{label}:\n{describe(errors)}" for label, errors in invalid.items()
    )


def test_the_checker_finds_errors(html_checker):
    """The check can fail: an invalid time value and a stray end tag are errors; a warning is not."""
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    html = '<!doctype html><html lang="en"><title>t</title><p><time datetime="2026-13-01">x</time></span></p>'
    messages = [e["message"] for e in html_checker.errors(html)]
    assert len(messages) == 2
    assert "Month cannot be greater than 12" in messages[0]
    assert messages[1] == "Stray end tag “span”."
    warning_only = '<!doctype html><html lang="en"><title>t</title><section><p>No heading</p></section>'
    assert html_checker.errors(warning_only) == []


INVALID_PAGE = """<!doctype html><html lang="en"><title>Not valid</title>
<main><h1>Not valid</h1><p>A stray end tag.</span></p><a href="/also-not-valid/">Next</a></main>"""
ALSO_INVALID = """<!doctype html><html lang="en"><title>Not valid</title>
<main><h1>Not valid</h1><p><time datetime="1 December 2026">1 December</time></p></main>"""


def _serve(body: str, route) -> None:
    route.fulfill(body=body, content_type="text/html; charset=utf-8")


@pytest.mark.browser
def test_browser_tests_check_every_page_they_are_sent(browser_page, html_checker):
    """What the browser fixture checks can fail: a page it goes to, and one a click leads to."""
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    page = browser_page.page
    for path, body in {"/not-valid/": INVALID_PAGE, "/also-not-valid/": ALSO_INVALID}.items():
        page.route(browser_page.base_url + path, functools.partial(_serve, body))
    with pytest.raises(pytest.fail.Exception, match=r"/not-valid/:\n  line 2: Stray end tag “span”"):
        browser_page.goto("/not-valid/")
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/also-not-valid/")
    with pytest.raises(pytest.fail.Exception, match="Bad value “1 December 2026” for attribute “datetime”"):
        browser_page.check_accessibility()
