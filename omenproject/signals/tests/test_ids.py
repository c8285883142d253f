"""Audit 10: ``signal_id`` is a deterministic hash of the canonical content, the same everywhere."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omenproject.signals import (
    SignalEventSerializer,
    SignalInputSerializer,
    build_event,
    canonical_json,
    input_event_hash_of,
    payload_hash,
    signal_id_of,
)
from omenproject.signals.canonical import canonical_content
from omenproject.signals.tests.builders import EMITTED, TRACE, make_event, make_evidence, make_signal

pytestmark = pytest.mark.audit("10")

# Golden values: computed once from make_signal() with the documented recipe. If these change,
# every id ever issued changes: that is a new recipe and a new major schema version, not a fix.
GOLDEN_SIGNAL_ID = "sig_c2b36b748ee848cd3910e113683402a1"
GOLDEN_INPUT_EVENT_HASH = "c2b36b748ee848cd3910e113683402a1f59457e93e44ef75ebd67298d76c5838"
GOLDEN_PAYLOAD_HASH = "98e649690d57e0aff7acf26c15d1ce8ea0198888bb02a6b8033d712fe4305e93"
# The canonical bytes of make_signal(), written out by hand from the recipe in the docs.
GOLDEN_CANONICAL = (
    b'{"category":"INFRASTRUCTURE","chokepoints":["north-sea"],"confidence":0.85,'
    b'"description":"Dock workers strike; terminals closed for 48 hours.",'
    b'"evidence":[{"observed_at":"2026-12-03T20:00:00Z","source":"reuters","url":"https://example.com/news/1"}],'
    b'"keywords":["port","strike"],"observed_at":"2026-12-04T01:30:00Z","probability":0.7,"regions":["EU","NL"],'
    b'"ruleset_version":"2026.12.1","signal_type":"port_closure","source":"acled","source_event_id":"evt-2026-0001",'
    b'"title":"Port of Rotterdam closed by strike"}'
)


def content_of(data) -> dict:
    serializer = SignalInputSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def id_of(data) -> str:
    return signal_id_of(content_of(data))


def test_the_id_matches_the_golden_value_on_every_machine():
    content = content_of(make_signal())
    assert signal_id_of(content) == GOLDEN_SIGNAL_ID
    assert input_event_hash_of(content) == GOLDEN_INPUT_EVENT_HASH
    assert payload_hash(build_event(content, trace_id=TRACE, emitted_at=EMITTED)) == GOLDEN_PAYLOAD_HASH


def test_the_golden_id_follows_from_the_documented_recipe_alone():
    # Independent of the implementation: sha256 of hand-written canonical bytes.
    digest = hashlib.sha256(GOLDEN_CANONICAL).hexdigest()
    assert digest == GOLDEN_INPUT_EVENT_HASH
    assert "sig_" + digest[:32] == GOLDEN_SIGNAL_ID
    assert canonical_json(canonical_content(content_of(make_signal()))) == GOLDEN_CANONICAL


def test_canonical_json_has_one_spelling():
    value = {"b": [1.0, 0.1 + 0.2, -0.0, 1e-7, 2**60], "a": "e\u0301", "c": None, "d": True}
    assert canonical_json(value) == '{"a":"é","b":[1,0.3,0,0.0000001,1152921504606846976],"c":null,"d":true}'.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "int key"}, {"a": object()}])
def test_canonical_json_refuses_what_json_cannot_say(bad):
    with pytest.raises((ValueError, TypeError)):
        canonical_json(bad)


def test_the_id_is_sig_and_32_hex_and_prefixes_the_input_hash():
    content = content_of(make_signal())
    sid, full = signal_id_of(content), input_event_hash_of(content)
    assert len(full) == 64
    assert sid == "sig_" + full[:32]


def shuffled(value, rnd: random.Random):
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {key: shuffled(item, rnd) for key, item in items}
    if isinstance(value, list):
        return [shuffled(item, rnd) for item in value]
    return value


@given(seed=st.integers())
def test_key_order_does_not_change_the_id(seed):
    payload = make_signal(evidence=[make_evidence(), make_evidence(source="ap")])
    assert id_of(shuffled(payload, random.Random(seed))) == id_of(payload)


@given(seed=st.integers())
def test_the_order_of_set_like_lists_does_not_change_the_id(seed):
    payload = make_signal(regions=["NL", "EU", "DE"], keywords=["a", "b", "c", "a"])
    rnd = random.Random(seed)
    regions, keywords = payload["regions"][:], payload["keywords"][:]
    rnd.shuffle(regions)
    rnd.shuffle(keywords)
    assert id_of(make_signal(regions=regions, keywords=keywords)) == id_of(payload)


@pytest.mark.parametrize("spelling", ["1", "1.0", "1.00", "1e0", "10e-1", "1.000000000000000001"])
def test_float_spellings_of_one_number_give_one_id(spelling):
    text = json.dumps(make_signal(confidence=0.5)).replace("0.5", spelling)
    assert id_of(json.loads(text)) == id_of(make_signal(confidence=1))


def test_binary_float_noise_does_not_change_the_id():
    assert 0.1 + 0.2 != 0.3
    assert id_of(make_signal(probability=0.1 + 0.2)) == id_of(make_signal(probability=0.3))


probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(p=probabilities)
def test_any_float_and_its_15_digit_spelling_give_one_id(p):
    assert id_of(make_signal(probability=p)) == id_of(make_signal(probability=float(f"{p:.15g}")))


offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 1, 1), timezones=st.just(UTC))


@given(instant=instants, first=offsets, second=offsets)
def test_equivalent_offsets_of_one_instant_give_one_id(instant, first, second):
    a = make_signal(observed_at=instant.astimezone(first).isoformat())
    b = make_signal(observed_at=instant.astimezone(second).isoformat())
    assert id_of(a) == id_of(b)


@given(text=st.text(alphabet=st.characters(categories=["L", "M", "N", "Zs"]), min_size=1, max_size=40))
def test_unicode_normal_forms_give_one_id(text):
    nfc, nfd = unicodedata.normalize("NFC", text).strip(), unicodedata.normalize("NFD", text).strip()
    assume(nfc)
    assert id_of(make_signal(title=nfc, keywords=[nfc])) == id_of(make_signal(title=nfd, keywords=[nfd]))


def test_trace_id_and_emission_time_do_not_change_the_id():
    one = make_event()
    two = build_event(content_of(make_signal()), trace_id="f" * 32, emitted_at=EMITTED + timedelta(days=3))
    assert one["signal_id"] == two["signal_id"]
    assert one["input_event_hash"] == two["input_event_hash"]


# Each rule: a field and a strategy for a different valid value. Any content change -> new id.
CHANGES = {
    "source": st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True),
    "source_event_id": st.text(alphabet="abcdef0123456789-", min_size=1, max_size=30),
    "title": st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=40).map(str.strip).filter(bool),
    "description": st.text(alphabet="abc \n", max_size=40).map(str.strip),
    "category": st.sampled_from(["GEOPOLITICAL", "WEATHER", "ECONOMIC", "REGULATORY", "SECURITY", "OTHER"]),
    "signal_type": st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True),
    "probability": st.floats(min_value=0.0, max_value=1.0).map(lambda f: round(f, 9)),
    "confidence": st.floats(min_value=0.0, max_value=1.0).map(lambda f: round(f, 9)),
    "observed_at": instants.map(lambda d: d.isoformat()),
    "regions": st.lists(st.sampled_from(["US", "CN", "DE", "FR"]), max_size=3),
    "keywords": st.lists(st.sampled_from(["oil", "gas", "war"]), max_size=3),
    "chokepoints": st.lists(st.sampled_from(["suez", "hormuz"]), max_size=2),
    "evidence": st.lists(
        st.builds(make_evidence, url=st.sampled_from(["https://a.example/", "http://b.example/x"])), max_size=5
    ),
    "ruleset_version": st.from_regex(r"[0-9]{1,4}\.[0-9]{1,2}", fullmatch=True),
}


@settings(max_examples=300)
@given(data=st.data(), field=st.sampled_from(sorted(CHANGES)))
def test_any_content_change_gives_a_new_id(data, field):
    base = make_signal()
    value = data.draw(CHANGES[field])
    changed = make_signal(**{field: value})
    before, after = content_of(base), content_of(changed)
    assume(json.loads(canonical_json(before)) != json.loads(canonical_json(after)))
    assert signal_id_of(after) != signal_id_of(before)
    assert input_event_hash_of(after) != input_event_hash_of(before)


def test_a_replay_with_another_trace_id_has_the_same_payload_hash():
    record = make_event()
    replay = record | {"trace_id": "1" * 32, "partition": "2026-12-04", "seq": 7}
    assert payload_hash(replay) == payload_hash(record)


def test_the_same_id_emitted_at_another_time_has_another_payload_hash():
    record = make_event()
    other = build_event(content_of(make_signal()), trace_id=TRACE, emitted_at=EMITTED + timedelta(seconds=1))
    assert other["signal_id"] == record["signal_id"]
    assert payload_hash(other) != payload_hash(record)


def test_changed_content_has_another_payload_hash():
    assert payload_hash(make_event(title="Another title")) != payload_hash(make_event())


def test_a_forged_signal_id_is_a_validation_error():
    event = make_event()
    event["signal_id"] = "sig_" + "0" * 32
    serializer = SignalEventSerializer(data=event)
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"signal_id"}


def test_content_edited_under_its_old_ids_is_a_validation_error():
    event = make_event()
    event["signal"]["title"] = "Tampered"
    serializer = SignalEventSerializer(data=event)
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"signal_id", "input_event_hash"}


def test_an_envelope_observed_at_that_disagrees_with_the_signal_is_rejected():
    serializer = SignalEventSerializer(data=make_event() | {"observed_at": "2026-12-04T01:30:01Z"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"observed_at"}


def test_a_built_event_validates_unchanged():
    event = make_event()
    serializer = SignalEventSerializer(data=event)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == event
