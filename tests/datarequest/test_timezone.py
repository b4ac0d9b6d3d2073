"""Due dates and reminder dates are counted in ``ckanext.satudata.timezone``
(default Asia/Jakarta), not in core's ``ckan.display_timezone`` (default UTC)."""
import datetime as dt

import pytest

from ckanext.satudata import dates
from ckanext.satudata.datarequest import due

pytestmark = pytest.mark.usefixtures("ckan_config")

# Friday 14 August 2026; Monday the 17th is Independence Day.
FRIDAY_LATE_UTC = dt.datetime(2026, 8, 14, 23, 30)  # Saturday 06:30 in Jakarta
FRIDAY_UTC = dt.datetime(2026, 8, 14, 16, 0)  # Friday 23:00 in Jakarta, Saturday 01:00 in Jayapura


@pytest.mark.ckan_config("ckan.display_timezone", "UTC")
def test_days_are_counted_in_jakarta_by_default_whatever_the_display_timezone():
    # Saturday 06:30 WIB + 1 working day: Sunday, Monday (holiday) skipped -> Tuesday 06:30 WIB
    assert due.add(FRIDAY_LATE_UTC, due.parse("P1DB")) == dt.datetime(2026, 8, 17, 23, 30)
    assert dates.local_date(FRIDAY_LATE_UTC) == dt.date(2026, 8, 15)


@pytest.mark.ckan_config("ckan.display_timezone", "Asia/Jakarta")
@pytest.mark.ckan_config("ckanext.satudata.timezone", "Asia/Jayapura")
def test_days_follow_the_configured_satudata_timezone():
    # Saturday 01:00 WIT + 1 working day -> Tuesday 01:00 WIT (Monday 16:00 UTC);
    # counted in Jakarta it would be Tuesday 23:00 WIB (Tuesday 16:00 UTC).
    assert due.add(FRIDAY_UTC, due.parse("P1DB")) == dt.datetime(2026, 8, 17, 16, 0)
    assert dates.local_date(FRIDAY_UTC) == dt.date(2026, 8, 15)
