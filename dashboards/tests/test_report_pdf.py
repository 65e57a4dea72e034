"""The cohort report as an A4 PDF download: the file (read back with pypdf), its layout (the
pages' boxes, read from WeasyPrint's own document), its queries and its offline static files."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader
from pytest_django.asserts import assertContains
from weasyprint import HTML

from dashboards import pdf, views

from .helpers import extra_team

pytestmark = pytest.mark.django_db

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
A4_POINTS = (595.28, 841.89)  # 210 mm x 297 mm


def pdf_url(personas) -> str:
    return reverse("dashboards:cohort_report_pdf", args=[personas.enrolment.cohort_id])


@pytest.fixture
def documents(monkeypatch) -> list:
    """The WeasyPrint documents the PDF view lays out, kept so that tests can read their boxes."""
    made = []

    def keep(html, *, base_url):
        document = pdf.pdf_document(html, base_url=base_url)
        made.append(document)
        return document

    monkeypatch.setattr(views, "pdf_document", keep)
    return made


def page_texts(document) -> list[list[tuple[tuple[str, ...], str]]]:
    """Per page, each line of text in the page's content (not its header and footer) in order,
    with the elements it sits in, outermost first: their tags, and `card:<its heading's id>` for a
    measure's card."""
    pages = []
    for page in document.pages:
        texts: list[tuple[tuple[str, ...], str]] = []
        content = [box for box in page._page_box.children if type(box).__name__ != "MarginBox"]
        stack = [(box, (), None) for box in reversed(content)]
        while stack:
            box, tags, element = stack.pop()
            if box.element is not None and box.element is not element:
                element = box.element
                card = "card" in (element.get("class") or "").split()
                tags = (*tags, f"card:{element.get('aria-labelledby')}" if card else box.element_tag)
            if getattr(box, "text", "").strip():
                texts.append((tags, box.text))
            stack.extend((child, tags, element) for child in reversed(getattr(box, "children", [])))
        pages.append(texts)
    return pages


def headings_left_at_a_page_foot(document) -> list[str]:
    """The headings that are the last thing on a page with more pages after it."""
    return [
        " ".join(text for tags, text in texts if HEADINGS & set(tags) and tags == texts[-1][0])
        for texts in page_texts(document)[:-1]
        if texts and HEADINGS & set(texts[-1][0])
    ]


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_report_pdf_is_an_a4_download_of_the_report(login, history, documents):
    response = login("manager", history).get(pdf_url(history))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="autumn-cohort-report.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    assert response.content.startswith(b"%PDF-")

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == len(documents[0].pages)
    assert 2 <= len(reader.pages) <= 4
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    pages = pdf_text(response.content)
    text = "\n".join(pages)
    assert "Autumn cohort: QMS programme report" in pages[0]
    for heading in ("Aim", "Plan", "Do", "Study", "Act", "Checklist summary", "Attendee feedback"):
        assert re.search(rf"^{heading}$", text, re.MULTILINE), heading
    assert "5 of 10 sessions due so far were held" in text
    assert "Driver diagrams / aims" in text
    # The header and footer of every page: the report, the day it was made, the page of pages.
    for number, page_text in enumerate(pages, start=1):
        assert "Autumn cohort: QMS programme report" in page_text
        assert "Made 19 November 2025" in page_text
        assert f"Page {number} of {len(pages)}" in page_text
    # The screen's menus and buttons are not printed.
    assert "Log out" not in text and "Download PDF" not in text and "Print this report" not in text


def test_report_pdf_keeps_headings_with_what_follows_and_cards_whole(login, history, documents):
    for number in range(14):
        extra_team(history.enrolment.cohort, history.coach, name=f"Ward {number:02} team")
    response = login("lead", history).get(pdf_url(history))
    assert response.status_code == 200
    (document,) = documents
    pages = page_texts(document)
    assert 3 <= len(pages) <= 6
    assert headings_left_at_a_page_foot(document) == []

    # The teams' progress table runs over a page: each page it is on repeats its header row.
    team_pages = [texts for texts in pages if any(text.startswith("Ward ") for _, text in texts)]
    assert len(team_pages) >= 2
    for texts in team_pages:
        assert any("thead" in tags and text == "12-week review" for tags, text in texts)

    # Each measure's card whole on one page.
    cards: dict[str, set[int]] = {}
    for number, texts in enumerate(pages):
        for tags, _ in texts:
            for card in (tag for tag in tags if tag.startswith("card:")):
                cards.setdefault(card, set()).add(number)
    assert len(cards) == 6
    assert all(len(numbers) == 1 for numbers in cards.values()), cards


def test_heading_check_finds_a_heading_left_at_a_page_foot():
    """The check above can fail: a heading allowed to end a page (`break-after: auto`) stays at the
    page foot. (WeasyPrint's own stylesheet avoids it; Chromium's does not.)"""
    html = (
        "<style>@page {{ size: A4; margin: 20mm }} .spacer {{ height: 240mm }} .next {{ height: 30mm }} {}</style>"
        "<div class='spacer'></div><h2>Study</h2><div class='next'>The figures</div>"
    )
    assert headings_left_at_a_page_foot(HTML(string=html.format("h2 { break-after: auto }")).render()) == ["Study"]
    kept = HTML(string=html.format("h2 { break-after: avoid }")).render()
    assert headings_left_at_a_page_foot(kept) == []
    assert len(kept.pages) == 2


@pytest.mark.parametrize("extra_teams", [0, 5])
def test_report_pdf_query_count_does_not_grow_with_teams(client, django_assert_num_queries, history, extra_teams):
    for _ in range(extra_teams):
        extra_team(history.enrolment.cohort, history.coach)
    client.force_login(history.manager)
    # The report page's 13 (dashboards/tests/test_views.py); making the PDF reads only files.
    with django_assert_num_queries(13):
        response = client.get(pdf_url(history))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_report_pdf_head_request_and_unknown_cohort(login, history):
    client = login("lead", history)
    assert client.head(pdf_url(history)).status_code == 200
    assert client.get(reverse("dashboards:cohort_report_pdf", args=[999_999])).status_code == 404


def test_report_page_links_its_pdf_and_the_print_stylesheet(login, history):
    response = login("manager", history).get(reverse("dashboards:cohort_report", args=[history.enrolment.cohort_id]))
    assertContains(response, f'<a class="btn btn-primary" href="{pdf_url(history)}" download>Download PDF (A4)</a>')
    assertContains(response, 'href="/static/dashboards/report-print.css" media="print"')
    from django.contrib.staticfiles import finders

    css = open(finders.find("dashboards/report-print.css"), encoding="utf-8").read()
    for rule in ("size: A4;", '"Page " counter(page) " of " counter(pages)', "break-after: avoid;"):
        assert rule in css


# --- Static files without a network ----------------------------------------------------------------


def test_fetcher_reads_static_files_from_disk():
    fetcher = pdf.StaticFilesFetcher("http://qms.example.nhs.uk/")
    response = fetcher.fetch("http://qms.example.nhs.uk/static/dashboards/report-print.css")
    try:
        assert response.content_type == "text/css"
        assert b"size: A4;" in response.read()
    finally:
        response.close()
    image = fetcher.fetch("data:image/svg+xml,%3csvg%3e%3c/svg%3e")
    assert image.read() == b"<svg></svg>"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/static/dashboards/report-print.css",  # another site
        "http://qms.example.nhs.uk/dashboard/",  # a page of the app itself
        "http://qms.example.nhs.uk/static/../qms_site/settings.py",
        "http://qms.example.nhs.uk/static/%2e%2e/%2e%2e/etc/passwd",
        "http://qms.example.nhs.uk/static/no-such-file.css",
        "file:///etc/passwd",
    ],
)
def test_fetcher_refuses_everything_else(url):
    with pytest.raises(ValueError):
        pdf.StaticFilesFetcher("http://qms.example.nhs.uk/").fetch(url)
