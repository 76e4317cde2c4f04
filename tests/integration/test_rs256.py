"""The RS256 mode end to end: tokens from an identity provider (signed with its
private key; the platform holds only the public key) through the gateway, and the
subgraph-to-subgraph calls of a checkout on their own service key."""
from __future__ import annotations

from collections.abc import AsyncIterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.auth import Role
from tests.support.stack import Stack, make_settings

from .test_end_to_end import LINES


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode())


PRIVATE, PUBLIC = _pem_pair()


@pytest.fixture(scope="module")
async def rs256(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    settings = make_settings(tmp_path_factory.mktemp("rs256"), jwt_algorithm="RS256", jwt_public_key=PUBLIC,
                             jwt_private_key=PRIVATE, jwt_issuer="https://idp.example", jwt_audience="loyalty-api")
    running = Stack(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_checkout_with_identity_provider_tokens(rs256: Stack) -> None:
    member = await rs256.enroll("Federated")
    result = (await rs256.checkout(member, "rs256-1", LINES)).ok()["checkout"]  # rewards -> ledger: service key
    assert result["pointsEarned"] == 197
    me = await rs256.gql("{ me { id points { available } } }", token=rs256.token(Role.MEMBER, member))
    assert me.ok()["me"] == {"id": member, "points": {"available": 197}}


async def test_hs256_tokens_and_foreign_issuers_are_refused(rs256: Stack) -> None:
    claims = {"sub": "x", "role": "admin", "exp": 4102444800, "iss": "https://idp.example", "aud": "loyalty-api"}
    forged = jwt.encode(claims, rs256.settings.jwt_secret, algorithm="HS256")  # the dev secret is no key here
    assert (await rs256.gql("{ stores { id } }", token=forged)).codes == ["UNAUTHENTICATED"]
    foreign = jwt.encode({**claims, "iss": "https://evil.example"}, PRIVATE, algorithm="RS256")
    assert (await rs256.gql("{ stores { id } }", token=foreign)).codes == ["UNAUTHENTICATED"]
