"""LongListAdminMixin: the admin's long lists write each row's checkbox as Django would."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from core.admin_lists import LongListAdminMixin


class _PlainAdmin(admin.ModelAdmin):
    pass


class _LongListAdmin(LongListAdminMixin, admin.ModelAdmin):
    pass


@pytest.mark.parametrize("username", ["mina", "a<b>&\"c'd", "Zoë {x}"])
def test_the_row_checkbox_is_djangos_own_markup(username):
    # A name with markup, quotes and braces: escaped once, as Django's widget escapes it.
    person = User(pk=4217, username=username)
    site = admin.AdminSite(name="lists")
    ours = _LongListAdmin(User, site).action_checkbox(person)
    django = _PlainAdmin(User, site).action_checkbox(person)
    assert ours == django
    assert 'value="4217"' in ours


def test_long_lists_page_by_fifty_without_counting_every_row():
    long_list = _LongListAdmin(User, admin.AdminSite(name="lists"))
    assert long_list.list_per_page == 50
    assert long_list.show_full_result_count is False
