"""The cohort form's script in a real browser: it fills a blank target end date as the server would."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cohort_form_script_fills_a_blank_end_date_from_the_start(browser_page):
    factories.ManagerFactory(username="mina")
    browser_page.login("mina")
    page = browser_page.goto("/programmes/cohorts/new/")
    page.get_by_label("Start date").fill("2027-01-04")
    page.get_by_label("Start date").dispatch_event("change")
    end = page.get_by_label("Target end date")
    page.wait_for_function("document.querySelector('[data-cohort-end]').value !== ''")
    assert end.input_value() == "2027-06-21"
    # A date the manager typed is theirs: the script leaves it alone.
    end.fill("2027-05-01")
    page.get_by_label("Start date").fill("2027-02-01")
    page.get_by_label("Start date").dispatch_event("change")
    assert end.input_value() == "2027-05-01"
