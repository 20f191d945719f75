"""Pure rules of the intake: body splitting, event checks, masking of what is published, and
the rate limiter. No broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.intake import KNOWN_TERRITORY, incident
from vigie.contract import privacy
from vigie.contract.privacy import mask_personal_data
from vigie_intake.rate_limit import RateLimiter, retry_after_header
from vigie_intake.validation import (
    Accepted,
    MalformedBody,
    Rejected,
    TooManyEvents,
    UnsupportedMediaType,
    check_event,
    media_kind,
    split_batch,
)

KNOWN = frozenset({KNOWN_TERRITORY})


def check(event: dict[str, object], *, landlord_id: str | None = None) -> Accepted | Rejected:
    """Check one event against the known test territory."""
    return check_event(
        orjson.dumps(event), index=0, known_territories=KNOWN, landlord_id=landlord_id
    )


def test_valid_event_is_keyed_by_territory() -> None:
    result = check(incident())
    assert isinstance(result, Accepted)
    assert result.key == KNOWN_TERRITORY.encode()
    assert orjson.loads(result.value)["territory_id"] == KNOWN_TERRITORY


def test_every_bad_field_is_named() -> None:
    event = incident(
        revision=0,
        severity=5,
        category="NOPE",
        target="x",
        complaint="y",
        cost_eur=-1,
        territory_id="QN00000X",
        occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        extra="?",
    )
    result = check(event)
    assert isinstance(result, Rejected)
    assert result.reason == "invalid"
    assert result.event_id == event["event_id"]
    assert {e.field for e in result.errors} == {
        "revision", "severity", "category", "target", "complaint", "cost_eur", "territory_id",
        "occurred_at", "extra",
    }  # fmt: skip


def test_timestamps_need_an_offset_and_a_plausible_date() -> None:
    for occurred_at in ("2026-01-01T10:00:00", (datetime.now(UTC) - timedelta(days=6 * 365))):
        result = check(incident(occurred_at=str(occurred_at)))
        assert isinstance(result, Rejected)
        assert [e.field for e in result.errors] == ["occurred_at"]


def test_unknown_territory_alone_has_its_own_reason() -> None:
    result = check(incident(territory_id="QN00000X"))
    assert isinstance(result, Rejected)
    assert result.reason == "unknown_territory"


def test_landlord_key_and_other_landlord() -> None:
    assert isinstance(check(incident(), landlord_id="HLM-93"), Accepted)
    wrong = check(incident(landlord_id="HLM-75"), landlord_id="HLM-93")
    assert isinstance(wrong, Rejected)
    assert wrong.reason == "wrong_landlord"
    assert wrong.landlord_id == "HLM-75"
    # An admin (no landlord of its own) writes for any landlord.
    assert isinstance(check(incident(landlord_id="HLM-75")), Accepted)


def test_bare_withdrawal_is_keyed_by_landlord() -> None:
    withdrawal = {
        "event_id": "8f14e45f-ceea-467f-a8f0-4b0b5e8d6b3a",
        "type": "incident.withdrawn",
        "incident_id": "INC-1",
        "revision": 3,
        "landlord_id": "HLM-93",
    }
    result = check(withdrawal)
    assert isinstance(result, Accepted)
    assert result.key == b"HLM-93"


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "01 48 12 34 56",
    ],
)
def test_phone_numbers_are_masked_before_publishing(phone: str) -> None:
    result = check(incident(description=f"gardien joignable au {phone}, merci"))
    assert isinstance(result, Accepted)
    published = orjson.loads(result.value)["description"]
    assert published.startswith("gardien joignable au ")
    assert published.endswith(", merci")
    digits = "".join(ch for ch in published if ch.isdigit())
    assert digits == ""


def test_email_is_masked_and_ordinary_numbers_are_kept() -> None:
    text = "tag au 3e étage, bât. 12, 2 portes; contact: jean.dupont+hlm@bailleur-93.fr"
    result = check(incident(description=text))
    assert isinstance(result, Accepted)
    published = orjson.loads(result.value)["description"]
    assert "jean.dupont" not in published
    assert "bailleur-93.fr" not in published
    assert published.startswith("tag au 3e étage, bât. 12, 2 portes; contact: ")


@given(st.text(max_size=300))
def test_any_short_description_is_accepted_and_left_with_nothing_to_mask(text: str) -> None:
    result = check(incident(description=text))
    assert isinstance(result, Accepted)
    published = orjson.loads(result.value)["description"]
    assert mask_personal_data(published) == published


@given(st.binary(max_size=200))
def test_check_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    result = check_event(raw, index=3, known_territories=KNOWN, landlord_id=None)
    assert isinstance(result, Rejected)
    assert result.index == 3
    assert result.errors


def _mask_by_every_pattern(text: str) -> str:
    """Masking without the short-cuts of `mask_personal_data`: the reference it must equal."""
    text = privacy._EMAIL.sub(privacy.EMAIL_MASK, text)
    text = privacy._PHONE_FR.sub(privacy.PHONE_MASK, text)
    return privacy._PHONE_INTL.sub(privacy.PHONE_MASK, text)


@given(st.text(alphabet="0123456789 +.-()@ab_E\u00e9\u0663", max_size=40))
def test_masking_short_cuts_change_nothing(text: str) -> None:
    assert mask_personal_data(text) == _mask_by_every_pattern(text)


def test_media_kinds() -> None:
    assert media_kind("application/json") == "json"
    assert media_kind("application/x-ndjson") == "ndjson"
    assert media_kind("text/csv; charset=utf-8") == "csv"
    with pytest.raises(UnsupportedMediaType):
        media_kind("application/xml")
    with pytest.raises(UnsupportedMediaType):
        media_kind(None)


def test_split_json_and_ndjson() -> None:
    events = [incident(), incident()]
    assert [orjson.loads(x) for x in split_batch(orjson.dumps(events), "json", max_events=2)] == (
        events
    )
    ndjson = b"\n".join(orjson.dumps(e) for e in events) + b"\n\n"
    assert len(split_batch(ndjson, "ndjson", max_events=2)) == 2
    with pytest.raises(TooManyEvents):
        split_batch(ndjson, "ndjson", max_events=1)
    with pytest.raises(MalformedBody):
        split_batch(b'{"a": 1}', "json", max_events=10)
    with pytest.raises(MalformedBody):
        split_batch(b"[1,", "json", max_events=10)


def test_split_csv_coerces_numbers_and_skips_blank_lines() -> None:
    body = "\ufeffrevision;severity;cost_eur;description\n2;3;1 200,5;\n;;;\n1;x;;ok\n".encode()
    lines = [orjson.loads(x) for x in split_batch(body, "csv", max_events=10)]
    assert lines == [
        {"revision": 2, "severity": 3, "cost_eur": "1 200,5"},
        {"revision": 1, "severity": "x", "description": "ok"},
    ]
    with pytest.raises(MalformedBody):
        split_batch(b"\xff\xfe", "csv", max_events=10)
    with pytest.raises(MalformedBody):
        split_batch(b"", "csv", max_events=10)


def test_rate_limiter_bucket() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", now=0.0)
    assert wait == pytest.approx(0.5)
    assert retry_after_header(wait) == "1"
    assert limiter.take("other", now=0.0) == 0.0
    assert limiter.take("k", now=0.5) == 0.0  # one token back after 1/rate seconds
    assert limiter.take("k", now=0.5) > 0
    assert limiter.take("k", now=100.0) == 0.0  # refilled, never above the burst
    assert [limiter.take("k", now=100.0) for _ in range(3)][-1] > 0
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=0, burst=1)
