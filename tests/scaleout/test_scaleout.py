"""The end-to-end, bad-input, golden-record and inventory suites again, in the scale-out configuration:
one process per subgraph, each on its own PostgreSQL database, events over
NATS JetStream (both running on 127.0.0.1 on these machines and in CI)."""
from __future__ import annotations

import pytest

from tests.integration.test_bad_input import *  # noqa: F403 - the same tests, collected here again
from tests.integration.test_end_to_end import *  # noqa: F403
from tests.integration.test_golden_record import *  # noqa: F403
from tests.integration.test_inventory_gateway import *  # noqa: F403

pytestmark = pytest.mark.scaleout
