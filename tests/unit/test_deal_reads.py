"""Deal reads held between turns: used only while the deal's newest pending event is the one read for."""

from datetime import UTC, datetime

from registry.program.deal import DealSnapshot
from registry.services.deal_reads import ReadAhead

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _snap(deal_id: int) -> DealSnapshot:
    return DealSnapshot(deal_id=deal_id, exists=True, observed_at=NOW, stage_semantic="S")


def test_a_held_read_serves_while_its_event_is_the_newest_pending_one() -> None:
    reads = ReadAhead()
    reads.hold(1, {10: _snap(10), 11: _snap(11)}, {10: 100, 11: 101})
    assert set(reads.current(1, {10: 100, 11: 101})) == {10, 11}
    # deal 11 had another event after the read: read again; deal 10 is unchanged
    assert set(reads.current(1, {10: 100, 11: 105})) == {10}
    assert reads.held() == 1  # the stale read is dropped, not kept for later


def test_deals_no_longer_pending_drop_their_reads_and_portals_are_apart() -> None:
    reads = ReadAhead()
    reads.hold(1, {10: _snap(10)}, {10: 100})
    reads.hold(2, {10: _snap(10)}, {10: 7})
    assert reads.current(1, {}) == {}  # handled elsewhere (another worker): dropped
    assert set(reads.current(2, {10: 7})) == {10}
    reads.release(2, [10])
    assert reads.held() == 0


def test_old_reads_expire_and_the_least_recent_portal_goes_first() -> None:
    reads = ReadAhead(ttl=0.0, portals=2)
    reads.hold(1, {10: _snap(10)}, {10: 100})
    assert reads.current(1, {10: 100}) == {}  # older than the TTL: read again
    bounded = ReadAhead(portals=2)
    for portal_id in (1, 2, 3):
        bounded.hold(portal_id, {10: _snap(10)}, {10: 100})
    assert bounded.current(1, {10: 100}) == {}
    assert set(bounded.current(3, {10: 100})) == {10}
