import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadUserInput
from core.vocabulary import IdentifierKind
from subgraphs.kernel.identifiers import normalize_email, normalize_identifier, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("julia@example.com", "julia@example.com"),
        ("Julia@Example.COM", "julia@example.com"),
        ("  julia@example.com \n", "julia@example.com"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("junk", ["test@test.com", "TEST@test.com ", "a@a.com", "no@email.com"])
def test_junk_emails_are_refused(junk):
    with pytest.raises(BadUserInput, match="not a usable email") as caught:
        normalize_email(junk)
    assert caught.value.details == {"field": "email"}


@pytest.mark.parametrize("malformed", ["", "julia", "julia@", "@example.com", "julia@example", "ju lia@example.com"])
def test_malformed_emails_are_refused(malformed):
    with pytest.raises(BadUserInput):
        normalize_email(malformed)


def test_email_kind_goes_through_email_normalisation():
    assert normalize_identifier(IdentifierKind.EMAIL, " Julia@Example.com", "US") == "julia@example.com"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(503) 555-0142", "US", "+15035550142"),
        ("503.555.0142", "US", "+15035550142"),
        ("+1 503 555 0142", "US", "+15035550142"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_phone_is_formatted_as_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


def test_phone_kind_uses_the_default_region():
    assert normalize_identifier(IdentifierKind.PHONE, "(503) 555-0142", "US") == "+15035550142"


@pytest.mark.parametrize("bad", ["abc", "12345", "+1 555 555 5555", ""])
def test_invalid_phones_are_refused(bad):
    with pytest.raises(BadUserInput) as caught:
        normalize_phone(bad, "US")
    assert caught.value.details == {"field": "phone"}


@pytest.mark.parametrize(
    "payment_card",
    [
        "4111111111111111",  # Visa test number
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",  # Mastercard
        "378282246310005",  # Amex
    ],
)
def test_luhn_valid_payment_card_is_refused_as_loyalty_card(payment_card):
    with pytest.raises(BadUserInput, match="payment card"):
        normalize_identifier(IdentifierKind.LOYALTY_CARD, payment_card, "US")


def test_a_card_number_with_a_wrong_check_digit_is_refused():
    with pytest.raises(BadUserInput, match="the check digit does not match"):
        normalize_identifier(IdentifierKind.LOYALTY_CARD, "4111 1111 1111 1112", "US")
    with pytest.raises(BadUserInput, match="the check digit does not match"):
        normalize_identifier(IdentifierKind.LOYALTY_CARD, "LC-2024 8891", "US")


def test_loyalty_card_is_cleaned_and_upper_cased():
    assert normalize_identifier(IdentifierKind.LOYALTY_CARD, " lc-2024 8894 ", "US") == "LC20248894"


@pytest.mark.parametrize("shape", ["LC12345", "ABCDE1234567", "LC-ABC-12345678", "12 34 5", "LC" + "1" * 20])
def test_what_is_not_shaped_like_our_cards_is_refused(shape):
    with pytest.raises(BadUserInput, match="not a loyalty card number"):
        normalize_identifier(IdentifierKind.LOYALTY_CARD, shape, "US")


@pytest.mark.parametrize("junk", ["000000", "111111111", "0123456789", "LC000000"])
def test_repeated_and_counting_digits_are_junk(junk):
    with pytest.raises(BadUserInput):
        normalize_identifier(IdentifierKind.LOYALTY_CARD, junk, "US")
    with pytest.raises(BadUserInput, match="not a usable"):
        normalize_identifier(IdentifierKind.POS_CUSTOMER, junk.removeprefix("LC"), "US")


def test_other_kinds_are_only_trimmed():
    assert normalize_identifier(IdentifierKind.POS_CUSTOMER, "  cust-42 a ", "US") == "cust-42 a"


@pytest.mark.parametrize("junk", ["null", "NULL", "0000", "anonymous", "Guest", "n/a", "-", "999", "123456", "   "])
def test_junk_identifier_values_are_refused(junk):
    with pytest.raises(BadUserInput, match="not a usable"):
        normalize_identifier(IdentifierKind.POS_CUSTOMER, junk, "US")


def test_identifier_length_limit():
    assert normalize_identifier(IdentifierKind.CRM_CONTACT, "c" * 128, "US") == "c" * 128
    with pytest.raises(BadUserInput):
        normalize_identifier(IdentifierKind.CRM_CONTACT, "c" * 129, "US")


def test_email_length_limit_is_inclusive():
    local = "a" * (128 - len("@example.com"))
    assert normalize_email(f"{local}@example.com") == f"{local}@example.com"
    with pytest.raises(BadUserInput) as caught:
        normalize_email(f"a{local}@example.com")
    assert (caught.value.message, caught.value.details) == ("an email address has at most 128 characters",
                                                            {"field": "email"})


def test_a_phone_too_long_to_parse_is_refused_before_parsing():
    assert normalize_phone("+1 503 555 0142" + " " * 113, "US") == "+15035550142"  # 128 characters: parsed
    with pytest.raises(BadUserInput) as caught:
        normalize_phone("5" * 129, "US")
    assert (caught.value.message, caught.value.details) == ("'55555555555555555555'... is not a phone number",
                                                            {"field": "phone"})


@pytest.mark.parametrize(("number", "is_card"), [
    ("4222222222222", True),  # 13 digits, Luhn-valid Visa: the shortest card number
    ("4000000000000000006", True),  # 19 digits, Luhn-valid
    ("400000000002", False),  # 12 digits: too short for a card (and a valid loyalty card)
    ("9000000000000001", False),  # Luhn-valid, but no card network starts with 9
    ("10000000000000000008", None),  # 20 digits: too long for a payment card and for our cards
])
def test_payment_card_detection_at_its_edges(number, is_card):
    if is_card:
        with pytest.raises(BadUserInput) as caught:
            normalize_identifier(IdentifierKind.LOYALTY_CARD, number, "US")
        assert caught.value.message == "that looks like a payment card number; use a loyalty card or a token"
        assert caught.value.details == {"field": "value"}
    elif is_card is None:
        with pytest.raises(BadUserInput, match="not a loyalty card number"):
            normalize_identifier(IdentifierKind.LOYALTY_CARD, number, "US")
    else:
        assert normalize_identifier(IdentifierKind.LOYALTY_CARD, number, "US") == number


# --- properties ------------------------------------------------------------------------------------

KINDS = list(IdentifierKind)


@given(kind=st.sampled_from(KINDS), value=st.text(max_size=40))
def test_normalising_twice_changes_nothing(kind, value):
    try:
        once = normalize_identifier(kind, value, "US")
    except BadUserInput:
        return  # refused values have no normal form
    assert normalize_identifier(kind, once, "US") == once


@given(line=st.integers(min_value=0, max_value=9999), exchange=st.integers(min_value=200, max_value=999),
       style=st.sampled_from(["+1 503 {e} {l}", "(503) {e}-{l}", "503.{e}.{l}", "1-503-{e}-{l}", " 503{e}{l} "]))
def test_two_spellings_of_one_phone_are_one_identifier(line, exchange, style):
    spelled = style.format(e=f"{exchange:03d}", l=f"{line:04d}")
    try:
        normalized = normalize_identifier(IdentifierKind.PHONE, spelled, "US")
    except BadUserInput:
        return  # an exchange the numbering plan does not assign
    assert normalized == normalize_identifier(IdentifierKind.PHONE, f"+1503{exchange:03d}{line:04d}", "US")


@given(local=st.from_regex(r"[a-z0-9._]{1,20}", fullmatch=True), spaces=st.text(alphabet=" \t", max_size=3))
def test_emails_differing_in_case_and_spaces_are_one_identifier(local, spaces):
    email = f"{local}@example.org"
    assert normalize_identifier(IdentifierKind.EMAIL, f"{spaces}{email.upper()}{spaces}", "US") == email
