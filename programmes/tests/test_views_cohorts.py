"""Cohorts: created from a published programme version; the cohort page lists its teams."""

import datetime as dt

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertRedirects

from programmes.models import Cohort, Session
from tests import factories

pytestmark = pytest.mark.django_db


def cohort_data(**overrides) -> dict:
    data = {
        "name": "Spring 2026",
        "template": factories.default_template().pk,
        "start_date": "2026-03-02",
        "target_end_date": "2026-06-01",
    }
    return {**data, **overrides}


def test_cohort_create_saves_with_the_manager_as_owner(login, personas):
    client = login("manager", personas)
    assert client.get(reverse("programmes:cohort_create")).context["form"].initial["owner"] == personas.manager.pk
    response = client.post(reverse("programmes:cohort_create"), cohort_data(owner=personas.manager.pk), follow=True)
    cohort = Cohort.objects.get(name="Spring 2026")
    assertRedirects(response, reverse("programmes:cohort", args=[cohort.pk]))
    assertContains(response, "Cohort Spring 2026 created. Now enrol its teams.")
    assert (cohort.owner, cohort.template.version, cohort.start_date) == (personas.manager, "0.9", dt.date(2026, 3, 2))


def test_cohort_create_offers_published_versions_only(login, personas):
    draft = factories.ProgrammeTemplateFactory(status="draft", published_on=None, version="1.0-draft")
    client = login("manager", personas)
    form = client.get(reverse("programmes:cohort_create")).context["form"]
    assert draft not in form.fields["template"].queryset
    response = client.post(
        reverse("programmes:cohort_create"), cohort_data(template=draft.pk, owner=personas.manager.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["template"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_cohort_create_owner_must_be_a_manager(login, personas):
    response = login("manager", personas).post(
        reverse("programmes:cohort_create"), cohort_data(owner=personas.coach.pk)
    )
    assert "owner" in response.context["form"].errors


def test_cohort_create_end_before_start_keeps_input(login, personas):
    response = login("manager", personas).post(
        reverse("programmes:cohort_create"),
        cohort_data(owner=personas.manager.pk, target_end_date="2026-03-01", name="Typed name"),
    )
    assert response.context["form"].errors == {
        "target_end_date": ["The target end date must be on or after the start date."]
    }
    assertContains(response, 'value="Typed name"')
    assertContains(response, "<title>Error: Create a cohort – QMS Coach</title>")


def test_cohort_edit_cannot_change_the_version(login, personas):
    cohort = personas.enrolment.cohort
    other = factories.ProgrammeTemplateFactory()
    response = login("manager", personas).post(
        reverse("programmes:cohort_edit", args=[cohort.pk]),
        cohort_data(name="Autumn 2025", template=other.pk, owner=personas.manager.pk, version=1),
    )
    assertRedirects(response, reverse("programmes:cohort", args=[cohort.pk]), fetch_redirect_response=False)
    cohort.refresh_from_db()
    assert (cohort.name, cohort.template.version, cohort.version) == ("Autumn 2025", "0.9", 2)


def test_cohort_edit_stale_form_is_refused_with_what_changed_and_the_first_save_kept(login, personas):
    cohort = personas.enrolment.cohort
    url = reverse("programmes:cohort_edit", args=[cohort.pk])
    client = login("manager", personas)
    assert client.get(url).context["form"]["version"].value() == 1
    first = cohort_data(name="Autumn 2025", owner=personas.manager.pk, version=1)
    assert client.post(url, first).status_code == 302
    second = cohort_data(name="Autumn cohort", owner=personas.manager.pk, target_end_date="2026-07-01", version=1)
    response = client.post(url, second)
    assert response.status_code == 200
    assertContains(response, "<title>Error: Edit Autumn 2025 – QMS Coach</title>")
    assertContains(response, "Someone else saved this cohort while you were editing it")
    html = response.content.decode()
    assertInHTML('<tr><th scope="row">Cohort name</th><td>Autumn 2025</td><td>Autumn cohort</td></tr>', html)
    assertInHTML('<tr><th scope="row">Target end date</th><td>Mon 1 Jun 2026</td><td>Wed 1 Jul 2026</td></tr>', html)
    assertContains(response, 'value="2026-07-01"')
    cohort.refresh_from_db()
    assert (cohort.name, cohort.target_end_date, cohort.version) == ("Autumn 2025", dt.date(2026, 6, 1), 2)


@pytest.mark.parametrize("name", ["cohort_create", "cohort_edit"])
def test_cohort_forms_posted_empty_show_errors_and_change_nothing(login, personas, name):
    cohort = personas.enrolment.cohort
    args = [cohort.pk] if name == "cohort_edit" else []
    response = login("manager", personas).post(reverse(f"programmes:{name}", args=args), {})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    assertContains(response, "<title>Error: ")
    assert list(Cohort.objects.values_list("name", "version")) == [("Autumn cohort", 1)]


def test_cohort_page_lists_teams_with_progress(login, personas):
    Session.objects.filter(enrolment=personas.enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    Session.objects.filter(enrolment=personas.other_enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    factories.CoachingAgreementFactory(enrolment=personas.other_enrolment, at_session_1=True)
    response = login("lead", personas).get(reverse("programmes:cohort", args=[personas.enrolment.cohort_id]))
    enrolment = personas.enrolment
    html = response.content.decode()
    assertInHTML(
        f"""<th scope="row"><a href="/programmes/enrolments/{enrolment.pk}/">Education support team</a>
        <span class="text-body-secondary fw-normal">({enrolment.team.site.code})</span></th>""",
        html,
    )
    assertInHTML('<td class="text-end">1 of 10</td>', html)
    assertInHTML('<td><span class="badge text-bg-warning">Not agreed</span></td>', html)
    assertInHTML("<td>Agreed at session 1</td>", html)
    assertInHTML("<td>Cara Coach</td>", html)
    assert "Enrol a team" not in html  # leads read only


@pytest.mark.parametrize("teams", [2, 8])
def test_cohort_page_query_count_does_not_grow_with_teams(client, django_assert_num_queries, personas, teams):
    cohort = personas.enrolment.cohort
    for n in range(teams - 2):
        enrolment = factories.EnrolmentFactory(cohort=cohort, coach=personas.coach)
        factories.make_sessions(enrolment)
        if n % 2:
            factories.CoachingAgreementFactory(enrolment=enrolment)
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 the cohort with template and owner, 5 enrolments with team,
    # site and coach, 6 their sessions, 7 their coaching agreements (coaching's panel).
    with django_assert_num_queries(7):
        response = client.get(reverse("programmes:cohort", args=[cohort.pk]))
    assert len(response.context["rows"]) == teams


@pytest.mark.parametrize("cohorts", [1, 4])
def test_cohort_list_query_count_does_not_grow_with_cohorts(client, django_assert_num_queries, personas, cohorts):
    for _ in range(cohorts - 1):
        factories.CohortFactory(owner=personas.manager)
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 cohorts with template, owner and team counts.
    with django_assert_num_queries(4):
        response = client.get(reverse("programmes:cohorts"))
    assert len(response.context["cohorts"]) == cohorts
    assertContains(response, '<a class="btn btn-primary" href="/programmes/cohorts/new/">Create a cohort</a>')
