"""The privacy suite again in the scale-out configuration: one process per subgraph on
PostgreSQL, events over NATS JetStream. The erasure's search for the member covers every
text, json and bytea column of every table of the four databases."""
from __future__ import annotations

import pytest

from tests.integration.test_privacy import *  # noqa: F403 - the same tests, collected here again

pytestmark = pytest.mark.scaleout
