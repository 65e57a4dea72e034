"""Every template in the project: scripts come from static files only, ready for a Content Security
Policy without 'unsafe-inline'."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def templates() -> dict[str, str]:
    """Each template's path (from the repository root) -> its text."""
    paths = sorted(p for p in ROOT.rglob("*.html") if not {".venv", ".git", "node_modules"} & set(p.parts))
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in paths}


def test_templates_load_scripts_from_files_only():
    found = templates()
    assert "templates/base.html" in found
    inline = {path: [tag for tag in SCRIPT_TAG.findall(html) if " src=" not in tag] for path, html in found.items()}
    assert {path: tags for path, tags in inline.items() if tags} == {}


def test_templates_have_no_event_handler_attributes():
    handlers = {path: EVENT_HANDLER.findall(html) for path, html in templates().items()}
    assert {path: found for path, found in handlers.items() if found} == {}
