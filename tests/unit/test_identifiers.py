import pytest

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


def test_card_shaped_number_failing_luhn_is_an_ordinary_loyalty_card():
    assert normalize_identifier(IdentifierKind.LOYALTY_CARD, "4111 1111 1111 1112", "US") == "4111111111111112"


def test_loyalty_card_is_cleaned_and_upper_cased():
    assert normalize_identifier(IdentifierKind.LOYALTY_CARD, " lc-2024 8891 ", "US") == "LC20248891"


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
    ("400000000000", False),  # 12 digits: too short for a card
    ("40000000000000000006", False),  # 20 digits: too long for a card
    ("9000000000000001", False),  # Luhn-valid, but no card network starts with 9
])
def test_payment_card_detection_at_its_edges(number, is_card):
    if is_card:
        with pytest.raises(BadUserInput) as caught:
            normalize_identifier(IdentifierKind.LOYALTY_CARD, number, "US")
        assert caught.value.message == "that looks like a payment card number; use a loyalty card or a token"
        assert caught.value.details == {"field": "value"}
    else:
        assert normalize_identifier(IdentifierKind.LOYALTY_CARD, number, "US") == number
