import json
import re
from importlib import resources

import pytest

from app.errors import ConfigurationError
from app.reconciliation.listings import (
    import_listing_config,
    load_listing_config,
    sync_listings,
)
from app.stays.client import StaysClient
from models import Listing

SAO_PAULO = "4283fefc63f0cd0e873a0000"
RECIFE = "07ef7b77e90d3593ad699fc1"
LISBON = "5d84016e51c6b36d6f3c9f0a"
UNCONFIGURED = "aaaaaaaaaaaaaaaaaaaaaaaa"
BASE_URL = "http://127.0.0.1:8081/external/v1"
DEFAULT_TIMEZONE = "America/Sao_Paulo"

VALID_CONFIG = f"""{{
  "{SAO_PAULO}": {{"timezone": "America/Sao_Paulo", "lock_id": "lock-sp01"}},
  "{RECIFE}": {{"timezone": "America/Recife", "lock_id": "lock-rd02"}},
  "{LISBON}": {{"timezone": "Europe/Lisbon"}}
}}
"""


def write(tmp_path, text: str):
    path = tmp_path / "listing-config.json"
    path.write_text(text, encoding="utf-8")
    return path


def rejection(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_listing_config(path)
    return str(caught.value)


def listings_mock(requests_mock, listings: list[dict]) -> StaysClient:
    requests_mock.get(BASE_URL + "/content/listings", json=listings)
    requests_mock.get(
        re.compile(re.escape(BASE_URL) + "/settings/listing/[0-9a-f]{24}/booking"),
        json={"checkInTime": "15:00", "checkOutTime": "11:00"},
    )
    return StaysClient(BASE_URL, "sandbox", "sandbox")


def test_valid_config_is_loaded(tmp_path):
    config = load_listing_config(write(tmp_path, VALID_CONFIG))

    assert config[SAO_PAULO] == {"timezone": "America/Sao_Paulo", "lock_id": "lock-sp01"}
    assert config[RECIFE]["timezone"] == "America/Recife"
    assert config[LISBON] == {"timezone": "Europe/Lisbon"}


def test_sample_config_is_valid():
    path = resources.files("app.stays").joinpath("sample/listing-config.json")
    with resources.as_file(path) as sample:
        config = load_listing_config(sample)

    assert len(config) >= 10


def test_missing_timezone_is_rejected(tmp_path):
    text = f'{{\n  "{RECIFE}": {{"lock_id": "lock-x"}}\n}}'

    message = rejection(tmp_path, text)

    assert "line 2" in message
    assert "timezone is missing" in message
    assert RECIFE in message


@pytest.mark.parametrize("zone", ["America/Atlantis", "america/sao_paulo", "America", "", 3])
def test_unknown_timezone_is_rejected(tmp_path, zone):
    text = (
        "{\n"
        f'  "{SAO_PAULO}": {{"timezone": "UTC"}},\n'
        f'  "{RECIFE}": {{"timezone": {json.dumps(zone)}}}\n'
        "}"
    )
    message = rejection(tmp_path, text)

    assert str(tmp_path / "listing-config.json") in message
    assert "line 3" in message
    assert repr(zone) in message
    assert RECIFE in message


def test_duplicate_listing_is_rejected(tmp_path):
    text = (
        "{\n"
        f'  "{SAO_PAULO}": {{"timezone": "UTC", "lock_id": "lock-1"}},\n'
        f'  "{RECIFE}": {{"timezone": "UTC", "lock_id": "lock-2"}},\n'
        f'  "{SAO_PAULO}": {{"timezone": "Europe/Lisbon", "lock_id": "lock-3"}}\n'
        "}\n"
    )
    message = rejection(tmp_path, text)

    assert str(tmp_path / "listing-config.json") in message
    assert "line 4" in message
    assert SAO_PAULO in message
    assert "twice" in message


def test_duplicate_entry_key_is_rejected(tmp_path):
    text = (
        "{\n"
        f'  "{SAO_PAULO}": {{"timezone": "UTC"}},\n'
        f'  "{RECIFE}": {{"timezone": "UTC",\n'
        '    "timezone": "Europe/Lisbon"}\n'
        "}\n"
    )
    message = rejection(tmp_path, text)

    assert "line 3" in message
    assert RECIFE in message
    assert "'timezone' appears twice" in message


def test_duplicate_lock_is_rejected(tmp_path):
    text = (
        "{\n"
        f'  "{SAO_PAULO}": {{"timezone": "UTC", "lock_id": "lock-1"}},\n'
        f'  "{LISBON}": {{"timezone": "UTC"}},\n'
        f'  "{RECIFE}": {{"timezone": "UTC", "lock_id": "lock-1"}}\n'
        "}\n"
    )
    message = rejection(tmp_path, text)

    assert str(tmp_path / "listing-config.json") in message
    assert "line 4" in message
    assert "'lock-1'" in message
    assert RECIFE in message
    assert SAO_PAULO in message


@pytest.mark.parametrize("lock", ["", 7, ["lock-1"]])
def test_invalid_lock_is_rejected(tmp_path, lock):
    text = f'{{\n"{SAO_PAULO}": {{"timezone": "UTC", "lock_id": {json.dumps(lock)}}}\n}}'
    message = rejection(tmp_path, text)

    assert "line 2" in message
    assert f"lock_id {lock!r}" in message


@pytest.mark.parametrize(
    "listing_id",
    [
        "listing-1",
        "4283FEFC63F0CD0E873A0000",
        "4283fefc63f0cd0e873a000",
        "4283fefc63f0cd0e873a0000\n",
    ],
)
def test_bad_listing_id_is_rejected(tmp_path, listing_id):
    text = (
        "{\n"
        f'  "{SAO_PAULO}": {{"timezone": "UTC"}},\n'
        f'  {json.dumps(listing_id)}: {{"timezone": "UTC"}}\n'
        "}"
    )
    message = rejection(tmp_path, text)

    assert str(tmp_path / "listing-config.json") in message
    assert "line 3" in message
    assert repr(listing_id) in message


def test_entry_not_object_is_rejected(tmp_path):
    message = rejection(tmp_path, f'{{\n"{SAO_PAULO}": "America/Sao_Paulo"\n}}')

    assert "line 2" in message
    assert SAO_PAULO in message


def test_invalid_json_is_rejected(tmp_path):
    text = f'{{\n  "{SAO_PAULO}": {{"timezone": "UTC"}}\n  "{RECIFE}": {{"timezone": "UTC"}}\n}}'
    message = rejection(tmp_path, text)

    assert str(tmp_path / "listing-config.json") in message
    assert "line 3" in message
    assert "invalid JSON" in message
    assert RECIFE in message


def test_truncated_json_is_rejected(tmp_path):
    message = rejection(tmp_path, f'{{\n  "{SAO_PAULO}": {{"timezone": "UTC"}},\n')

    assert "invalid JSON" in message
    assert "line 3" in message


def test_top_level_array_is_rejected(tmp_path):
    message = rejection(tmp_path, "[]")

    assert "expected an object keyed by listing _id" in message


def test_unreadable_file_is_rejected(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        load_listing_config(tmp_path / "missing.json")

    assert "missing.json" in str(caught.value)
    assert "No such file" in str(caught.value)


def test_non_utf8_file_is_rejected(tmp_path):
    path = tmp_path / "listing-config.json"
    path.write_bytes(f'{{"{SAO_PAULO}": {{"timezone": "S\xe3o"}}}}'.encode("latin-1"))
    with pytest.raises(ConfigurationError) as caught:
        load_listing_config(path)

    assert "UTF-8" in str(caught.value)
    assert str(path) in str(caught.value)


def test_import_stores_timezone_and_lock(db, tmp_path):
    count = import_listing_config(write(tmp_path, VALID_CONFIG))

    stored = {listing.stays_listing_id: listing for listing in Listing.select()}
    assert count == 3
    assert set(stored) == {SAO_PAULO, RECIFE, LISBON}
    assert stored[SAO_PAULO].timezone == "America/Sao_Paulo"
    assert stored[SAO_PAULO].lock_id == "lock-sp01"
    assert stored[RECIFE].timezone == "America/Recife"
    assert stored[RECIFE].lock_id == "lock-rd02"
    assert stored[LISBON].timezone == "Europe/Lisbon"
    assert stored[LISBON].lock_id is None
    assert all(listing.configured for listing in stored.values())


def test_import_moves_lock_between_listings(db, tmp_path):
    import_listing_config(write(tmp_path, VALID_CONFIG))
    # Lisbon comes first, so its row takes the lock while Sao Paulo's row still has it.
    moved = (
        "{\n"
        f'  "{LISBON}": {{"timezone": "Europe/Lisbon", "lock_id": "lock-sp01"}},\n'
        f'  "{SAO_PAULO}": {{"timezone": "America/Sao_Paulo"}}\n'
        "}\n"
    )

    import_listing_config(write(tmp_path, moved))

    assert Listing.get_by_id(SAO_PAULO).lock_id is None
    assert Listing.get_by_id(LISBON).lock_id == "lock-sp01"
    # The file is the whole configuration: a listing it no longer names loses its lock.
    assert Listing.get_by_id(RECIFE).lock_id is None
    assert Listing.get_by_id(RECIFE).configured is False


def test_import_takes_lock_from_omitted_listing(db, tmp_path):
    import_listing_config(write(tmp_path, VALID_CONFIG))
    moved = f'{{"{LISBON}": {{"timezone": "Europe/Lisbon", "lock_id": "lock-rd02"}}}}'

    import_listing_config(write(tmp_path, moved))

    assert Listing.get_by_id(RECIFE).lock_id is None
    assert Listing.get_by_id(LISBON).lock_id == "lock-rd02"
    assert Listing.get_by_id(SAO_PAULO).lock_id is None
    assert Listing.get_by_id(SAO_PAULO).timezone == "America/Sao_Paulo"


def test_rejected_import_writes_nothing(db, tmp_path):
    text = f'{{"{SAO_PAULO}": {{"timezone": "UTC"}}, "{RECIFE}": {{"timezone": "Nowhere"}}}}'

    with pytest.raises(ConfigurationError):
        import_listing_config(write(tmp_path, text))

    assert Listing.select().count() == 0


def test_sync_gives_unconfigured_listing_defaults(db, tmp_path, requests_mock):
    import_listing_config(write(tmp_path, VALID_CONFIG))
    client = listings_mock(
        requests_mock,
        [
            {"_id": SAO_PAULO, "id": "SP01", "internalName": "Paulista 1"},
            {"_id": UNCONFIGURED, "id": "NEW1", "internalName": "New flat"},
        ],
    )

    count = sync_listings(client, DEFAULT_TIMEZONE)

    unconfigured = Listing.get_by_id(UNCONFIGURED)
    configured = Listing.get_by_id(SAO_PAULO)
    assert count == 2
    assert unconfigured.timezone == DEFAULT_TIMEZONE
    assert unconfigured.lock_id is None
    assert unconfigured.configured is False
    assert unconfigured.short_id == "NEW1"
    assert unconfigured.name == "New flat"
    assert configured.timezone == "America/Sao_Paulo"
    assert configured.lock_id == "lock-sp01"
    assert configured.name == "Paulista 1"
    assert unconfigured.check_in_time == "15:00"
    assert unconfigured.check_out_time == "11:00"


def test_sync_keeps_imported_timezone(db, tmp_path, requests_mock):
    client = listings_mock(requests_mock, [{"_id": LISBON, "id": "L07", "internalName": "Alfama"}])
    sync_listings(client, DEFAULT_TIMEZONE)
    import_listing_config(write(tmp_path, VALID_CONFIG))

    sync_listings(client, DEFAULT_TIMEZONE)

    assert Listing.get_by_id(LISBON).timezone == "Europe/Lisbon"
    assert Listing.get_by_id(LISBON).name == "Alfama"


def test_sync_skips_invalid_listing_ids(db, requests_mock):
    client = listings_mock(
        requests_mock, [{"_id": "bad"}, "text", {"id": "NOID"}, {"_id": UNCONFIGURED}]
    )

    count = sync_listings(client, "Europe/Lisbon")

    assert count == 4
    assert [listing.stays_listing_id for listing in Listing.select()] == [UNCONFIGURED]
    assert Listing.get_by_id(UNCONFIGURED).timezone == "Europe/Lisbon"


def test_sync_with_sandbox(db, sandbox):
    path = resources.files("app.stays").joinpath("sample/listing-config.json")
    with resources.as_file(path) as sample:
        import_listing_config(sample)
        config = load_listing_config(sample)
    client = StaysClient(sandbox.base_url, "sandbox", "sandbox")

    count = sync_listings(client, "America/Manaus")

    stored = list(Listing.select())
    assert count == len(stored)
    for listing in stored:
        expected = config.get(listing.stays_listing_id)
        if expected is None:
            assert listing.timezone == "America/Manaus"
            assert listing.lock_id is None
        else:
            assert listing.timezone == expected["timezone"]
            assert listing.lock_id == expected.get("lock_id")
