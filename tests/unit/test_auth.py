"""Tokens: RS256 from an identity provider, service tokens with a key of their own,
`iss` and `aud` checked, cashiers bound to a store, and the prod profile's refusal
of weak or public secrets."""
import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.auth import SERVICE_KEY_ID, Principal, Role, VerifiedTokens, issue_token, verify_token
from core.errors import Unauthenticated
from core.settings import DEV_JWT_SECRET, DEV_SERVICE_JWT_SECRET, Settings

STRONG = "x" * 32
OTHER_STRONG = "y" * 32


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


PRIVATE, PUBLIC = _pem_pair()
RS256 = Settings(jwt_algorithm="RS256", jwt_public_key=PUBLIC, jwt_private_key=PRIVATE)
HS256 = Settings()


def _claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"sub": "mbr_1", "role": "member", "exp": now + timedelta(minutes=5), "iss": "loyalty", "aud": "loyalty",
            **overrides}


# --- RS256 --------------------------------------------------------------------------------


def test_rs256_tokens_from_the_identity_provider_are_verified_with_its_public_key():
    token = jwt.encode(_claims(role="cashier", store="st_1"), PRIVATE, algorithm="RS256")
    assert verify_token(RS256, token) == Principal("mbr_1", Role.CASHIER, "st_1", token)
    assert verify_token(RS256, issue_token(RS256, "mbr_2", Role.MEMBER)).subject == "mbr_2"


def _hs256_by_hand(claims: dict[str, object], secret: bytes) -> str:
    """An HS256 token with any bytes as the key (pyjwt refuses a PEM key as an HMAC secret)."""
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_rs256_mode_refuses_hs256_tokens_even_signed_with_the_public_key():
    claims = {**_claims(role="admin"), "exp": int(datetime.now(UTC).timestamp()) + 300}
    for key in (DEV_JWT_SECRET.encode(), PUBLIC.encode()):  # the second: the algorithm-confusion forgery
        forged = _hs256_by_hand(claims, key)
        assert verify_token(HS256, _hs256_by_hand(claims, HS256.jwt_secret.encode())).role is Role.ADMIN
        with pytest.raises(Unauthenticated, match="not valid"):
            verify_token(RS256, forged)


def test_rs256_mode_cannot_issue_without_a_private_key():
    settings = Settings(jwt_algorithm="RS256", jwt_public_key=PUBLIC)
    with pytest.raises(ValueError, match="identity provider"):
        issue_token(settings, "mbr_1", Role.MEMBER)


# --- service tokens -----------------------------------------------------------------------


@pytest.mark.parametrize("settings", [HS256, RS256], ids=["HS256", "RS256"])
def test_service_tokens_use_the_service_key_in_either_mode(settings):
    token = issue_token(settings, "service:rewards", Role.SERVICE)
    assert jwt.get_unverified_header(token)["kid"] == SERVICE_KEY_ID
    assert verify_token(settings, token).role is Role.SERVICE
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(settings.model_copy(update={"service_jwt_secret": OTHER_STRONG}), token)


def test_a_service_role_signed_with_the_user_key_is_refused():
    forged = jwt.encode(_claims(role="service"), HS256.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="service key"):
        verify_token(HS256, forged)


def test_a_member_token_signed_with_the_service_key_is_refused():
    forged = jwt.encode(_claims(iss="loyalty-services", aud="loyalty-services"), HS256.service_jwt_secret,
                        algorithm="HS256", headers={"kid": SERVICE_KEY_ID})
    with pytest.raises(Unauthenticated, match="service key"):
        verify_token(HS256, forged)


# --- iss, aud, store ----------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "dropped"), [
    ({"iss": "https://evil.example"}, None),
    ({"aud": "another-api"}, None),
    ({}, "aud"),
    ({}, "iss"),
])
def test_issuer_and_audience_are_checked(changes, dropped):
    # The claims are made when the test runs: made at collection, they expire in a long session.
    claims = {k: v for k, v in _claims(**changes).items() if k != dropped}
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(HS256, jwt.encode(claims, HS256.jwt_secret, algorithm="HS256"))


def test_configured_issuer_and_audience_are_the_ones_accepted():
    settings = Settings(jwt_issuer="https://idp.example", jwt_audience="loyalty-api")
    token = jwt.encode(_claims(iss="https://idp.example", aud="loyalty-api"), settings.jwt_secret, algorithm="HS256")
    assert verify_token(settings, token).subject == "mbr_1"
    with pytest.raises(Unauthenticated):
        verify_token(HS256, token)


def test_a_cashier_token_names_its_store():
    storeless = jwt.encode(_claims(role="cashier"), HS256.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="names their store"):
        verify_token(HS256, storeless)
    with pytest.raises(ValueError, match="names their store"):
        issue_token(HS256, "staff_1", Role.CASHIER)
    assert verify_token(HS256, issue_token(HS256, "staff_1", Role.CASHIER, store="st_1")).store == "st_1"


# --- the prod profile ---------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "message"), [
    ({}, "LOYALTY_SERVICE_JWT_SECRET must be set"),
    ({"service_jwt_secret": STRONG}, "LOYALTY_JWT_SECRET must be set"),
    ({"service_jwt_secret": STRONG, "jwt_secret": "secret"}, "LOYALTY_JWT_SECRET must have at least 32"),
    ({"service_jwt_secret": "s" * 31, "jwt_secret": STRONG}, "LOYALTY_SERVICE_JWT_SECRET must have at least 32"),
    ({"service_jwt_secret": STRONG, "jwt_secret": STRONG}, "must differ"),
    ({"jwt_algorithm": "RS256", "jwt_public_key": PUBLIC}, "LOYALTY_SERVICE_JWT_SECRET must be set"),
    ({"jwt_algorithm": "RS256", "jwt_public_key": PUBLIC, "service_jwt_secret": DEV_SERVICE_JWT_SECRET},
     "LOYALTY_SERVICE_JWT_SECRET must be set"),
    ({"jwt_algorithm": "RS256", "service_jwt_secret": STRONG}, "needs LOYALTY_JWT_PUBLIC_KEY"),
    ({"jwt_algorithm": "none", "service_jwt_secret": STRONG, "jwt_secret": OTHER_STRONG}, "HS256 or RS256"),
])
def test_prod_refuses_weak_public_or_missing_keys(overrides, message):
    with pytest.raises(ValueError, match=message):
        Settings(env="prod", **overrides).check()


def test_prod_starts_with_strong_distinct_secrets_or_an_identity_provider():
    Settings(env="prod", jwt_secret=STRONG, service_jwt_secret=OTHER_STRONG).check()
    # RS256: the HS256 secret is never used to verify, so its dev default does no harm
    Settings(env="prod", jwt_algorithm="RS256", jwt_public_key=PUBLIC, service_jwt_secret=STRONG).check()
    Settings().check()  # dev: the documented defaults


# --- verified tokens are remembered (core.auth.VerifiedTokens) -----------------------------------


def test_a_remembered_token_still_expires_at_its_exp():
    token = jwt.encode(_claims(exp=int(time.time()) + 2), DEV_JWT_SECRET, algorithm="HS256")
    assert verify_token(HS256, token).subject == "mbr_1"  # verified, and now remembered
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    while time.time() < expires_at + 0.05:
        time.sleep(0.1)
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(HS256, token)


def test_a_token_remembered_under_one_configuration_is_checked_again_under_another():
    token = jwt.encode(_claims(), DEV_JWT_SECRET, algorithm="HS256")
    assert verify_token(HS256, token).subject == "mbr_1"
    for other in (Settings(jwt_issuer="https://idp.example.com"), Settings(jwt_audience="another-api"),
                  Settings(jwt_secret=STRONG), RS256):
        with pytest.raises(Unauthenticated):
            verify_token(other, token)
    assert verify_token(HS256, token).subject == "mbr_1"


def test_remembered_tokens_are_bounded_least_recently_used_first():
    remembered = VerifiedTokens(max_entries=2)
    principals = {name: Principal(name, Role.MEMBER, expires_at=int(time.time()) + 60) for name in "abc"}
    remembered.put("a", (), principals["a"])
    remembered.put("b", (), principals["b"])
    assert remembered.get("a", ()) == principals["a"]  # a is now the most recently used
    remembered.put("c", (), principals["c"])
    assert remembered.get("b", ()) is None
    assert remembered.get("a", ()) == principals["a"] and remembered.get("c", ()) == principals["c"]
    assert remembered.get("a", ("other settings",)) is None
