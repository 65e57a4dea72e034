import pytest

from coaching.models import Reminder, ReminderKind, ReminderStatus
from tests import factories
from tests.helpers import assert_violates

pytestmark = pytest.mark.django_db


def test_reminder_once_per_session_recipient_kind_and_due_date():
    reminder = factories.ReminderFactory()
    assert_violates(
        lambda: Reminder.objects.create(
            session=reminder.session,
            recipient=reminder.recipient,
            kind=ReminderKind.OVERDUE,
            due_date=reminder.due_date,
        )
    )
    # Another kind for the same session is a different reminder.
    factories.ReminderFactory(session=reminder.session, kind=ReminderKind.ESCALATION)


def test_sent_reminder_needs_a_sent_time():
    assert_violates(lambda: factories.ReminderFactory(status=ReminderStatus.SENT, sent_at=None))


def test_one_agreement_per_enrolment():
    agreement = factories.CoachingAgreementFactory()
    assert_violates(lambda: factories.CoachingAgreementFactory(enrolment=agreement.enrolment))


def test_calendar_feed_is_for_a_coach_or_a_team_not_both_nor_neither():
    coach_feed = factories.CalendarFeedFactory()
    team = factories.TeamFactory()
    assert_violates(lambda: factories.CalendarFeedFactory(coach=None, team=None))
    assert_violates(lambda: factories.CalendarFeedFactory(coach=factories.CoachFactory(), team=team))
    assert_violates(lambda: factories.CalendarFeedFactory(coach=coach_feed.coach))
    team_feed = factories.CalendarFeedFactory(coach=None, team=team)
    assert len(team_feed.token) >= 40 and team_feed.token != coach_feed.token
