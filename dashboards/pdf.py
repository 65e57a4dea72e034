"""Pages as A4 PDF files (WeasyPrint), laid out by the page's own print stylesheet.

WeasyPrint reads the page's stylesheets and images through `StaticFilesFetcher`: files under
STATIC_URL come from disk (the collected files, or the apps and packages through the finders) and
nothing else is fetched, so that making a PDF never reaches the network (the app runs on a
closed network) nor the app's own web server.
"""

from __future__ import annotations

import logging
import mimetypes
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from weasyprint import HTML, Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

# WeasyPrint logs a warning for each CSS property it does not know (Bootstrap has many, such as
# transitions); they say nothing about the PDF. Errors are still logged.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


class StaticFilesFetcher(URLFetcher):
    """Fetches `<base_url>/<STATIC_URL>...` and `data:` URLs, refuses every other URL."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.static_prefix = urljoin(base_url, settings.STATIC_URL)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(self.static_prefix):
            raise ValueError(f"Not a static file, not fetched: {url}")
        name = unquote(urlsplit(url[len(self.static_prefix) :]).path)
        path = _static_path(name)
        if path is None:
            raise ValueError(f"No such static file: {name}")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, open(path, "rb"), {"Content-Type": content_type})  # WeasyPrint closes it


def _static_path(name: str) -> str | None:
    """The file on disk for a static file's name: the collected copy if there is one, else the
    app's or package's own (the finders, as in development and when WhiteNoise uses them)."""
    try:
        if settings.STATIC_ROOT and staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
        return finders.find(name)
    except SuspiciousFileOperation:
        return None


def pdf_document(html: str, *, base_url: str) -> Document:
    """An HTML page laid out in pages (print media; A4 from its stylesheet's @page), its links
    relative to `base_url`: `.write_pdf()` makes the file, and tests read its pages' boxes."""
    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesFetcher(base_url)).render()


def pdf_response(pdf: bytes, *, filename: str) -> HttpResponse:
    """A PDF download: `attachment`, so that browsers save it under `filename`."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
