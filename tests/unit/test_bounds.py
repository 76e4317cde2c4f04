"""The storage bounds every edge checks (kernel/bounds.py): inclusive at the limit,
refused one past it, with the field named."""
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from core.errors import BadUserInput
from subgraphs.kernel.bounds import (
    MAX_ID_LENGTH,
    MAX_INT,
    MAX_SKU_LENGTH,
    check_aware,
    check_id,
    check_int,
    check_length,
    check_sku,
)


def _refused(call, *args):
    with pytest.raises(BadUserInput) as caught:
        call(*args)
    return caught.value.message, caught.value.details


def test_check_length_is_inclusive_and_names_the_field():
    assert check_length("x" * 10, 10, "name") == "x" * 10
    assert _refused(check_length, "x" * 11, 10, "name") == ("name has at most 10 characters", {"field": "name"})
    assert _refused(check_length, "x" * 11, 10, "name", "a name") == ("a name has at most 10 characters",
                                                                      {"field": "name"})


def test_ids_are_trimmed_and_bounded():
    assert MAX_ID_LENGTH == 40
    assert check_id("  st_1 ", "storeId") == "st_1"
    assert check_id("s" * 40, "storeId") == "s" * 40
    assert _refused(check_id, "s" * 41, "storeId") == ("storeId has at most 40 characters", {"field": "storeId"})
    assert _refused(check_id, "   ", "storeId") == ("storeId is empty", {"field": "storeId"})


def test_skus_are_trimmed_and_bounded():
    assert MAX_SKU_LENGTH == 64
    assert check_sku(" A ") == "A"
    assert check_sku("A" * 64) == "A" * 64
    assert _refused(check_sku, "A" * 65) == ("a SKU has at most 64 characters", {"field": "sku"})
    assert _refused(check_sku, " ", "lines") == ("a SKU cannot be empty", {"field": "lines"})


def test_ints_fit_a_graphql_int_and_a_postgresql_integer():
    assert MAX_INT == 2_147_483_647
    assert check_int(0, "points") == 0
    assert check_int(MAX_INT, "points") == MAX_INT
    assert _refused(check_int, MAX_INT + 1, "points") == (f"points must be between 0 and {MAX_INT}",
                                                          {"field": "points"})
    assert _refused(check_int, -1, "points") == (f"points must be between 0 and {MAX_INT}", {"field": "points"})
    assert check_int(1, "quantity", minimum=1) == 1
    assert _refused(check_int, 0, "quantity", 1) == (f"quantity must be between 1 and {MAX_INT}",
                                                     {"field": "quantity"})
    assert _refused(check_int, 11, "n", 0, 10) == ("n must be between 0 and 10", {"field": "n"})


class _NoOffset(tzinfo):  # a zone that knows no offset: as good as none
    def utcoffset(self, _dt):  # noqa: ANN001, ANN202
        return None


def test_times_carry_their_zone():
    aware = datetime(2026, 11, 30, 10, tzinfo=timezone(timedelta(hours=-8)))
    assert check_aware(aware, "occurredAt") is aware
    assert check_aware(datetime(2026, 11, 30, tzinfo=UTC), "at").tzinfo is UTC
    message = "occurredAt needs a time zone, e.g. 2026-11-30T10:00:00Z"
    assert _refused(check_aware, datetime(2026, 11, 30, 10), "occurredAt") == (message, {"field": "occurredAt"})
    assert _refused(check_aware, datetime(2026, 11, 30, 10, tzinfo=_NoOffset()), "occurredAt")[0] == message
