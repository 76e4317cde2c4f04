"""Integrations: outbound webhooks defined as GraphQL subscriptions against the supergraph.

Events are consumed from the bus (durable consumers) into a delivery queue in this part's
own database; a job replays each through the gateway's subscription pipeline and POSTs the
signed result to the receiver, with retries. The gateway stays stateless; this part talks
to it over the network like any client and shares only the kernel with the subgraphs.
"""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from . import domain, handlers, privacy
from .adapters.tables import metadata
from .schema import schema


def _event_consumers() -> tuple[Consumer, ...]:
    """One durable consumer per subject that feeds a subscription field a webhook can follow."""
    subjects = sorted({subject_for(source.subgraph, event_type)
                       for source in domain.SUBSCRIPTION_SOURCES.values()
                       for event_type in (source.types or ("*",))})
    wildcards = {s for s in subjects if s.endswith(".*")}
    subjects = [s for s in subjects if s in wildcards or s.rsplit(".", 1)[0] + ".*" not in wildcards]
    return tuple(Consumer(f"webhooks-{subject.split('.', 1)[1].replace('.', '-').replace('*', 'all')}", subject,
                          handlers.on_event) for subject in subjects)


SPEC = SubgraphSpec(
    name="integrations",
    metadata=metadata,
    schema=schema,
    consumers=(*_event_consumers(), privacy.CONSUMER),
    jobs=(
        Job("webhooks-deliver", 0.0, handlers.deliver_continuously),
        Job("webhooks-prune", 3600.0, handlers.prune_deliveries),
    ),
)
