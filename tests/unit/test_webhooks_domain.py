"""Outbound webhooks' rules: documents, member filters, receivers' URLs and addresses,
retries (the signature is the kernel's: kernel/signing.py)."""
from __future__ import annotations

import pytest
from graphql import build_schema, parse, print_ast

from core.errors import BadUserInput
from subgraphs.integrations import domain

SCHEMA = build_schema("""
type Query { tiers: [String!]! }
type Member { id: ID! givenName: String }
type TierChange { member: Member! to: String! }
type WalletEvent { member: Member! points: Int! }
type Subscription {
  tierChanged(memberId: ID!): TierChange!
  walletUpdated(memberId: ID!): WalletEvent!
  somethingElse(memberId: ID!): String!
}
""")


def test_a_document_names_its_field_and_member_filter() -> None:
    every = domain.parse_document('subscription { tierChanged(memberId: "*") { member { givenName } to } }', SCHEMA)
    assert (every.field, every.member_filter) == ("tierChanged", "*")
    assert every.wants("mbr_a") and every.wants("mbr_b")
    one = domain.parse_document('subscription Hook { walletUpdated(memberId: "mbr_a") { ...P } } '
                                "fragment P on WalletEvent { points }", SCHEMA)
    assert one.wants("mbr_a") and not one.wants("mbr_b")


def test_the_document_runs_for_the_events_member_and_keeps_the_rest() -> None:
    text = 'subscription Hook { walletUpdated(memberId: "*") { ...P member { id } } } fragment P on WalletEvent { points }'
    ran = domain.parse_document(text, SCHEMA).for_member("mbr_julia")
    assert print_ast(parse(ran)) == print_ast(parse(text.replace('"*"', '"mbr_julia"')))


@pytest.mark.parametrize(("text", "says"), [
    ("subscription { tierChanged(memberId: \"*\") { nope } }", "Cannot query field 'nope'"),
    ("subscription { tierChanged(memberId: \"*\") { to } walletUpdated(memberId: \"*\") { points } }",
     "only one top level field"),
    ("subscription { ... on Subscription { tierChanged(memberId: \"*\") { to } } }", "exactly one root field"),
    ("subscription { tierChanged(memberId: \"*\") @include(if: true) { to } }", "must not use `@skip` or `@include`"),
    ("subscription { somethingElse(memberId: \"*\") }", "cannot follow somethingElse"),
    ("subscription($m: ID!) { tierChanged(memberId: $m) { to } }", "takes no variables"),
    ("subscription { tierChanged(memberId: 12) { to } }", "as a string"),
    ("subscription { tierChanged(memberId: \"  \") { to } }", "or a member id"),
    ("query { tiers }", "needs a subscription"),
    ("subscription A { tierChanged(memberId: \"*\") { to } } subscription B { tierChanged(memberId: \"*\") { to } }",
     "exactly one operation"),
    ("subscription {", "does not parse"),
    ("subscription { tierChanged(memberId: \"*\") { to } }" + " " * domain.MAX_DOCUMENT_CHARS, "at most"),
    ("subscription { tierChanged(memberId: \"*\") { " + "to " * domain.MAX_DOCUMENT_TOKENS + "} }", "does not parse"),
])
def test_documents_a_webhook_cannot_follow_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(BadUserInput, match=says) as refused:
        domain.parse_document(text, SCHEMA)
    assert refused.value.details["field"] == "subscription"


def test_a_refused_document_says_where_and_the_limits_are_exact() -> None:
    with pytest.raises(BadUserInput) as refused:
        domain.parse_document('subscription {\n  tierChanged(memberId: "*") { nope } }', SCHEMA)
    assert (refused.value.details["line"], refused.value.details["column"]) == (2, 32)
    assert refused.value.message.startswith("the subscription is not valid against the supergraph: ")
    with pytest.raises(BadUserInput) as refused:
        domain.parse_document("subscription {\n  tierChanged(", SCHEMA)
    assert refused.value.message.startswith("the subscription does not parse: ")
    assert (refused.value.details["line"], refused.value.details["column"]) == (2, 15)
    head = 'subscription { tierChanged(memberId: "*") { to } }'
    assert domain.parse_document(head + " " * (domain.MAX_DOCUMENT_CHARS - len(head)), SCHEMA).field == "tierChanged"
    member = "m" * domain.MAX_MEMBER_ID_CHARS
    assert domain.parse_document(f'subscription {{ tierChanged(memberId: "{member}") {{ to }} }}',
                                 SCHEMA).member_filter == member
    with pytest.raises(BadUserInput, match="characters"):
        domain.parse_document(f'subscription {{ tierChanged(memberId: "{member}m") {{ to }} }}', SCHEMA)


@pytest.mark.parametrize(("text", "says"), [
    ("subscription A { tierChanged(memberId: \"*\") { to } } subscription B { tierChanged(memberId: \"*\") { to } }",
     "the subscription document holds exactly one operation"),
    ("subscription($m: ID!) { tierChanged(memberId: $m) { to } }",
     "a webhook's subscription takes no variables: write the member filter in the document, "),
    ("subscription { ... on Subscription { tierChanged(memberId: \"*\") { to } } }",
     "the subscription selects exactly one root field (no fragments at the root)"),
    ("subscription { somethingElse(memberId: \"*\") }", None),
])
def test_a_refusal_reads_in_full(text: str, says: str | None) -> None:
    with pytest.raises(BadUserInput) as refused:
        domain.parse_document(text, SCHEMA)
    if says is None:  # the fields a webhook can follow, listed in order
        assert ", ".join(sorted(domain.SUBSCRIPTION_SOURCES)) in refused.value.message
    else:
        assert refused.value.message.startswith(says)


def test_events_feed_the_fields_that_answer_them() -> None:
    assert domain.fields_fed_by("ledger", "TierChanged") == ["walletUpdated", "tierChanged"]
    assert domain.fields_fed_by("ledger", "PointsEarned") == ["walletUpdated"]
    assert domain.fields_fed_by("rewards", "OfferIssued") == ["offerIssued"]
    assert domain.fields_fed_by("rewards", "PurchaseCompleted") == []


@pytest.mark.parametrize(("url", "host", "port"), [
    ("http://127.0.0.1:8080/hook", "127.0.0.1", 8080), ("https://hooks.example.com/a?b=c", "hooks.example.com", 443),
    ("HTTPS://X.io", "x.io", 443), ("http://hooks.example.com/", "hooks.example.com", 80),
    (" https://example.com:8443/h ", "example.com", 8443),
])
def test_receiver_urls(url: str, host: str, port: int) -> None:
    assert domain.check_url(url) == domain.ReceiverUrl(url.strip(), host, port)


def test_a_receiver_url_of_exactly_the_limit_is_taken_one_more_is_refused() -> None:
    base = "https://example.com/"
    longest = base + "a" * (domain.MAX_URL_CHARS - len(base))
    assert domain.check_url(longest).url == longest
    with pytest.raises(BadUserInput, match=f"the URL has at most {domain.MAX_URL_CHARS} characters"):
        domain.check_url(longest + "a")


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://example.com/", "the URL must start with http:// or https://"),
    ("example.com/hook", "the URL must start with http:// or https://"),
    ("https:///path", "the URL names no host"),
    ("https://u:p@example.com/", "the URL must not carry credentials; the secret signs each delivery"),
    ("https://u@example.com/", "the URL must not carry credentials; the secret signs each delivery"),
    ("https://:p@example.com/", "the URL must not carry credentials; the secret signs each delivery"),
    ("https://example.com/#x", "the URL must not have a #fragment"),
    ("https://example.com:99999/", "the URL is not valid: "),
    ("https://example.com/" + "a" * domain.MAX_URL_CHARS, f"the URL has at most {domain.MAX_URL_CHARS} characters"),
])
def test_bad_receiver_urls(url: str, says: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        domain.check_url(url)
    assert refused.value.message.startswith(says)
    assert refused.value.details.get("field") == "url"


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1::", True), ("127.0.0.1", False), ("10.1.2.3", False),
    ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("::1", False), ("fe80::1%eth0", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
    ("224.0.0.1", False),
])
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert domain.is_public_address(address) is public


def test_secrets_are_long_enough_to_sign_with() -> None:
    assert domain.check_secret("s" * 16) == "s" * 16
    assert domain.check_secret("s" * domain.MAX_SECRET_CHARS) == "s" * domain.MAX_SECRET_CHARS
    for bad in ("s" * 15, "s" * (domain.MAX_SECRET_CHARS + 1)):
        with pytest.raises(BadUserInput) as refused:
            domain.check_secret(bad)
        assert refused.value.message == f"the secret has 16 to {domain.MAX_SECRET_CHARS} characters"
        assert refused.value.details["field"] == "secret"


def test_retries_double_up_to_the_cap_and_end() -> None:
    assert [domain.retry_delay(n, 10, 3600) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert domain.retry_delay(9, 10, 3600) == 2560 and domain.retry_delay(10, 10, 3600) == 3600
    assert domain.retry_delay(10_000, 10, 3600) == 3600  # no overflow however many
    assert not domain.exhausted(29, 30) and domain.exhausted(30, 30)
