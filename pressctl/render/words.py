"""The words of a release around its text, per language: fixed labels, dates, times and zones, the embargo
and subject lines, the dateline, the default greeting. Pure: the words and formats are the locale table's
(``pressctl.languages``); this module puts a release's values into them."""

from __future__ import annotations

import datetime as dt

from pressctl.languages.locale import Labels
from pressctl.languages.routing import locale_for
from pressctl.release.dateline import has_date
from pressctl.release.load import Release
from pressctl.times import format_offset

__all__ = [
    "dateline_dash",
    "dateline_text",
    "default_greeting",
    "embargo_line",
    "format_date",
    "labels_for",
    "subject_line",
]


def default_greeting(language: str) -> str:
    """The greeting opening the email in ``language`` when pressctl.toml's ``[email.greeting]`` has none: it
    goes through the same merge-field tokens as the release."""
    return locale_for(language).greeting


def labels_for(language: str) -> Labels:
    """The fixed words of the templates in ``language`` (the locale table's; English for a language it lacks)."""
    return locale_for(language).labels


def format_date(day: dt.date, language: str) -> str:
    """``12 March 2030`` or ``2030年3月12日``: the locale's date format."""
    style = locale_for(language).dates
    month_name = style.months[day.month - 1] if style.months else ""
    return style.date.format(day=day.day, month=day.month, month_name=month_name, year=day.year)


def _format_moment(moment: dt.datetime, zone_name: str, language: str) -> str:
    """A moment in its zone as the locale writes it: ``10:00 HKT, 12 March 2030``, ``2030年3月12日上午10時（香港時間）``."""
    style = locale_for(language).dates
    h, m = moment.hour, moment.minute
    period = next((word for below, word in style.periods if h < below), "")
    clock = style.time.format(
        hour=h, hour12=h % 12 or 12, minute=m, period=period, minutes=style.minutes.format(minute=m) if m else ""
    )
    zone = style.zones.get(zone_name, "")
    if not zone and style.zone_abbreviations:
        abbrev = moment.tzname() or ""
        # zoneinfo gives "+08"-style names for zones without a real abbreviation; show an offset instead.
        zone = "" if not abbrev or abbrev[0] in "+-" or abbrev[0].isdigit() else abbrev
    return style.moment.format(time=clock, zone=zone or format_offset(moment), date=format_date(moment.date(), language))


def embargo_line(release: Release, *, embargoed: bool) -> str:
    """The release banner, the same in PDF, HTML and text: the embargo in the release's zone, or immediate."""
    labels = labels_for(release.language)
    local = release.embargo_local()
    if not embargoed or local is None:
        return labels.immediate
    return labels.embargoed.format(when=_format_moment(local, release.timezone, release.language))


def subject_line(release: Release, subject: str, *, embargoed: bool) -> str:
    """The email subject, prefixed with the embargo while it holds."""
    local = release.embargo_local()
    if not embargoed or local is None:
        return subject
    when = _format_moment(local, release.timezone, release.language)
    return labels_for(release.language).subject_embargoed.format(when=when, subject=subject)


def dateline_text(release: Release) -> str:
    """``(Hong Kong, 12 March 2030)`` or ``（香港，2030年3月12日）``, put before the first paragraph.

    A ``dateline`` field that holds a date already ("Hong Kong, 12 March 2030") is used as it is.
    """
    style = locale_for(release.language).dates
    if release.dateline and has_date(release.dateline):
        return style.dateline_as_written.format(dateline=release.dateline)
    day = format_date(release.date, release.language)
    if release.dateline:
        return style.dateline.format(place=release.dateline, date=day)
    return style.dateline_date_only.format(date=day)


def dateline_dash(release: Release) -> str:
    """What joins the dateline to the first sentence: an en dash between spaces, or a bare Chinese dash."""
    return locale_for(release.language).dates.dateline_dash
