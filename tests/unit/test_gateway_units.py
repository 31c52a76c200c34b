"""Pure parts of the gateway: PHP query encoding and the leaky-bucket estimate."""

from decimal import Decimal
from urllib.parse import parse_qsl

from b24app.gateway.pacing import LeakyBucket
from b24app.gateway.phpquery import build_query


def test_nested_params_encode_php_style() -> None:
    query = build_query(
        {
            "entityTypeId": 1036,
            "fields": {
                "title": "Бонус & co",
                "ok": True,
                "none": None,
                "amount": Decimal("1.50"),
                "ids": [1, 2],
            },
        }
    )
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    assert pairs["entityTypeId"] == "1036"
    assert pairs["fields[title]"] == "Бонус & co"
    assert pairs["fields[ok]"] == "Y"
    assert pairs["fields[none]"] == ""
    assert pairs["fields[amount]"] == "1.50"
    assert pairs["fields[ids][1]"] == "2"


def test_bucket_lets_a_burst_through_then_paces_at_the_drain_rate() -> None:
    bucket = LeakyBucket(rate=2.0, burst=50, headroom=2, at=0.0)
    for _ in range(48):
        assert bucket.delay(0.0) == 0
        bucket.record(0.0)
    assert bucket.delay(0.0) == 0.5  # one more needs one drained slot: 1 / 2 per second
    bucket.record(0.5)
    assert bucket.delay(0.5) == 0.5


def test_saturation_after_a_503_waits_for_the_headroom() -> None:
    bucket = LeakyBucket(rate=2.0, burst=50, headroom=2, at=0.0)
    bucket.saturate(0.0)
    assert bucket.delay(0.0) == 1.5


def test_room_and_the_wait_for_a_few_requests() -> None:
    bucket = LeakyBucket(rate=2.0, burst=10, headroom=2, at=0.0)
    assert bucket.room(0.0) == 8
    for _ in range(8):
        bucket.record(0.0)
    assert bucket.room(0.0) == 0 and bucket.delay(0.0) == 0.5
    assert bucket.delay_for(0.0, 4) == 2.0  # four more fit after two seconds
    assert bucket.delay_for(0.0, 100) == 4.0  # never more than the bucket can hold
    assert bucket.room(1.0) == 2
