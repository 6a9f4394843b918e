"""Dates as the portal writes them ("4 Dec 2026, 16:26 UTC"), wherever Django formats one itself (the admin's lists).

Django's English formats ("Dec. 4, 2026, 4:26 p.m.") would show the reviewers' screens one way
and the reporters' pages another; every time here is UTC, said so where it has a time of day.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i e"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i e"
