"""The admin's lists that grow with the Trust (sessions, checklists, ratings, feedback...)."""

from __future__ import annotations

from django.contrib.admin import helpers
from django.utils.html import format_html
from django.utils.translation import gettext


class LongListAdminMixin:
    """For a ModelAdmin whose changelist pages through thousands of rows.

    - 50 rows a page, and no second count of every row beside the filtered one, so that a page
      costs the same however many rows there are.
    - Each row's selection checkbox is written in one step. Django renders it through the form
      widget templates (three of them a row), which took an eighth of the session list's time at
      Trust scale. The markup is Django's own, to the character (core/tests/test_admin_lists.py
      compares the two), so the admin's script and styles treat it the same.
    """

    list_per_page = 50
    show_full_result_count = False

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
