"""The demo sign-in: the platform issues the member's token (profile, dev profile only),
so the wallet holds no signing secret."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Forbidden
from subgraphs.profile.handlers import members as profile
from tests.support.runtimes import runtime_on
from tests.support.stack import Stack

SIGN_IN = "mutation($email: String!) { devSignIn(email: $email) { token member { id givenName } } }"


async def test_a_demo_member_signs_in_by_email_and_the_token_works(stack: Stack) -> None:
    signed_in = (await stack.gql(SIGN_IN, {"email": " Julia@Example.com "})).ok()["devSignIn"]
    assert signed_in["member"]["givenName"] == "Julia"
    me = (await stack.gql("{ me { id givenName } }", token=signed_in["token"])).ok()["me"]
    assert me == {"id": signed_in["member"]["id"], "givenName": "Julia"}


async def test_an_unknown_email_is_not_found(stack: Stack) -> None:
    response = await stack.gql(SIGN_IN, {"email": "nobody@example.com"})
    assert response.codes == ["NOT_FOUND"]
    assert response.errors[0]["message"] == "no member with the email nobody@example.com"


async def test_the_prod_profile_refuses_the_demo_sign_in(tmp_path: Path) -> None:
    prod = {"env": "prod", "jwt_secret": "j" * 32, "service_jwt_secret": "s" * 32}
    async with runtime_on("profile", "sqlite", tmp_path, **prod) as runtime:
        with pytest.raises(Forbidden, match="off in the prod profile"):
            await profile.dev_sign_in(runtime, "julia@example.com")
