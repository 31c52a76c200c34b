"""Which mirrored clients a campaign's segment holds and when its trigger fires (pure, no I/O).

Days are the portal's: "today" and a registration day are taken in the portal's time zone (its UTC
offset from ``server.time``). A date trigger fires each year on the field's month and day,
``days_before`` earlier; a 29 February fires on 28 February in common years. The occurrence (the
date in the award's unique key) is the celebrated date itself, so a rerun on the same day, or on
a later day within ``days_before``, finds the award already made.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

from registry.bonuses.audience import ClientRecord
from registry.bonuses.groups import in_any
from registry.program.campaigns import Campaign, Segment, Trigger
from registry.program.groups import Group


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def yearly(source: date, year: int) -> date:
    """The field's month and day in ``year`` (29 February -> 28 February in a common year)."""
    if source.month == 2 and source.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return source.replace(year=year)


def field_date(record: ClientRecord, name: str, zone: tzinfo) -> date | None:
    """The client's date a trigger reads: BIRTHDATE, created (in the portal's zone) or a date UF."""
    if name == "BIRTHDATE":
        return record.birthdate
    if name == "created":
        return local_day(record.created_time, zone) if record.created_time else None
    raw = (record.uf or {}).get(name)
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def occurrence(trigger: Trigger, record: ClientRecord, day: date, zone: tzinfo) -> date | None:
    """The occurrence the trigger fires for on ``day``, or None. A yearly date fires from its first
    anniversary on (never on the date itself: a client created today has no anniversary)."""
    if trigger.kind == "once":
        return trigger.on if trigger.on == day else None
    source = field_date(record, trigger.field, zone)
    if source is None:
        return None
    target = day + timedelta(days=trigger.days_before)
    if target.year <= source.year:
        return None
    return target if yearly(source, target.year) == target else None


def _filter_matches(segment: Segment, record: ClientRecord) -> bool:
    known = {
        "TYPE_ID": record.type_id,
        "SOURCE_ID": record.source_id,
        "ASSIGNED_BY_ID": record.assigned_by_id,
    }
    for name, options in segment.filter.items():
        have = known[name] if name in known else (record.uf or {}).get(name)
        values = have if isinstance(have, list) else [have]
        if not any(v is not None and str(v) in options for v in values):
            return False
    return True


def in_segment(
    segment: Segment, record: ClientRecord, day: date, zone: tzinfo, groups: Sequence[Group]
) -> bool:
    """Type, days since registration (min/max, in portal days), field filter and groups."""
    if record.client_type not in segment.types:
        return False
    if segment.registered_days_min is not None or segment.registered_days_max is not None:
        if record.created_time is None:
            return False
        days = (day - local_day(record.created_time, zone)).days
        if segment.registered_days_min is not None and days < segment.registered_days_min:
            return False
        if segment.registered_days_max is not None and days > segment.registered_days_max:
            return False
    if segment.groups and not in_any([g for g in groups if g.code in segment.groups], record):
        return False
    return _filter_matches(segment, record)


def fires(
    campaign: Campaign, record: ClientRecord, day: date, zone: tzinfo, groups: Sequence[Group]
) -> date | None:
    """The occurrence ``campaign`` awards ``record`` for on ``day`` (trigger first: it is cheaper)."""
    when = occurrence(campaign.trigger, record, day, zone)
    if when is None or not in_segment(campaign.segment, record, day, zone, groups):
        return None
    return when
