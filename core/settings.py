"""Configuration: environment variables with the LOYALTY_ prefix (pydantic-settings).

One table of every setting lives in README.md; keep it in step with this file.
The defaults are the embedded mode: SQLite files under `var/`, an in-process
bus, every service on 127.0.0.1.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic_settings import BaseSettings, SettingsConfigDict

SUBGRAPHS: tuple[str, ...] = ("profile", "ledger", "rewards", "inventory", "integrations")

# Documented, deliberately obvious dev defaults. `LOYALTY_ENV=prod` refuses to start with them.
DEV_JWT_SECRET = "loyalty-dev-secret-change-me-in-production"
DEV_SERVICE_JWT_SECRET = "loyalty-dev-service-secret-change-me-in-production"
QUIET_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d\s*-\s*([01]\d|2[0-3]):[0-5]\d")
MIN_SECRET_LENGTH = 32  # HS256 keys shorter than its 256-bit output are guessable offline


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path("var")
    # `{subgraph}` and `{data_dir}` are filled in per subgraph; each subgraph owns its database.
    database_url: str = "sqlite+aiosqlite:///{data_dir}/{subgraph}.db"
    database_urls: dict[str, str] = {}
    bus_url: str = "memory://"
    bus_stream: str = "LOYALTY"
    bus_namespace: str = "loyalty"  # subject prefix on NATS; give each deployment sharing a server its own
    jwt_secret: str = DEV_JWT_SECRET
    jwt_algorithm: str = "HS256"
    jwt_public_key: str | None = None  # PEM, for RS256 tokens from an identity provider
    jwt_private_key: str | None = None  # PEM; only to issue RS256 tokens yourself (tests, `loyalty token`)
    jwt_issuer: str = "loyalty"  # `iss` that member and staff tokens must carry (your IdP's issuer)
    jwt_audience: str = "loyalty"  # `aud` they must carry (this API at your IdP)
    service_jwt_secret: str = DEV_SERVICE_JWT_SECRET  # HS256 key of subgraph-to-subgraph tokens only
    host: str = "127.0.0.1"
    gateway_port: int = 4000
    subgraph_ports: dict[str, int] = {"profile": 4001, "ledger": 4002, "rewards": 4003, "inventory": 4004,
                                      "integrations": 4005}
    subgraph_urls: dict[str, str] = {}
    wallet_port: int = 3000
    gateway_url: str | None = None
    separate_processes: bool = False
    subgraph_timeout_seconds: float = 10.0
    subgraph_timeouts: dict[str, float] = {}  # per subgraph, overriding the default above
    # Gateway guards: operations beyond these are refused before planning.
    gateway_max_depth: int = 15
    gateway_max_aliases: int = 30
    gateway_max_cost: int = 50_000
    gateway_max_body_bytes: int = 1_000_000
    gateway_introspection: bool | None = None  # default: on in dev, off in prod
    seed_members: int = 1000
    # Profile's `lapse-scores` job: the churn model `loyalty train` wrote (default: the project's models/churn.json).
    churn_model: Path | None = None
    # The engine: coupons one basket may redeem (an exclusive coupon stands alone).
    coupons_per_basket: int = 3
    # Inventory: open reservations per member; product interest's window, repeat interval, "bought lately".
    inventory_max_open_reservations: int = 3
    interest_window_days: int = 7
    interest_repeat_minutes: int = 30
    interest_bought_days: int = 30
    # The golden record: which record survives a merge, and how many members can merge into one.
    profile_oldest_survives: bool = True
    profile_max_merges: int = 100
    sqlite_busy_seconds: float = 2.0  # embedded mode: wait this long for another process's write lock, then refuse
    default_phone_region: str = "US"
    log_level: str = "info"
    # Checkout: what a till or a web shop may send (prices are trusted, within these bounds).
    # Above a limit, a checkout needs a supervisor's (or admin's) token; README "Limits".
    checkout_max_line_amount: Decimal = Decimal(5000)
    checkout_max_basket_amount: Decimal = Decimal(20000)
    checkout_max_line_points: int = 5000
    checkout_max_basket_points: int = 20000
    checkout_max_price_factor: Decimal = Decimal(3)  # times the catalogue price, for skus in the catalogue
    checkout_max_age_days: int = 400  # occurredAt may lie this far back (offline tills, history imports)
    checkout_max_clock_skew_seconds: int = 300  # ... and this far ahead (till clocks drift)
    # The checkout saga's retries of ledger postings: backoff doubling from the first delay, then parked.
    posting_retry_seconds: float = 5.0
    posting_max_attempts: int = 8
    # Guards (gateway and subgraphs)
    gateway_max_tokens: int = 10_000  # lexical tokens of a document (and, apart, comments)
    gateway_validation_budget: int = 20_000  # work of graphql-core's field-merging check
    gateway_document_cache_bytes: int = 64_000_000  # parsed documents, approximate
    gateway_plan_cache_bytes: int = 32_000_000  # query plans, approximate
    # A subgraph's own limits; unset, each is derived from the gateway's so that a subgraph
    # never refuses what the gateway sends for an operation it accepted (subgraphs/kernel/limits.py).
    subgraph_max_depth: int | None = None
    subgraph_max_aliases: int | None = None
    subgraph_max_cost: int | None = None
    subgraph_max_tokens: int | None = None
    subgraph_max_body_bytes: int | None = None
    subgraph_document_cache_bytes: int = 32_000_000  # parsed documents a subgraph keeps, approximate
    # Live subscriptions
    live_recent_event_ids: int = 10_000  # event ids each live hub remembers to drop a repeated publish
    # Operations one websocket may hold at once, and one principal (token subject) across all its
    # websockets and event streams; enforced by the gateway and again by every subgraph.
    live_max_operations_per_connection: int = 50
    live_max_operations_per_principal: int = 100
    # Outbound webhooks (subgraphs/integrations, README "Webhooks"): a failed delivery is tried again
    # after webhook_retry_seconds, doubling up to webhook_retry_max_seconds, webhook_max_attempts times
    # in all (the defaults keep trying for about a day), then counted in Webhook.failures.
    webhook_retry_seconds: float = 10.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_max_attempts: int = 30
    webhook_timeout_seconds: float = 10.0  # one POST to a receiver, and one replay through the gateway
    webhook_concurrency: int = 16  # deliveries in flight at once (one per member and webhook at most)
    webhook_allow_private_urls: bool | None = None  # loopback and private receivers: default on in dev, off in prod
    # Privacy (README "Privacy"): how long published events and the staff access log are kept.
    outbox_retention_hours: float = 24.0  # published outbox rows (event bodies carry personal data) are then deleted
    bus_max_age_hours: float = 168.0  # NATS JetStream keeps events this long (a subgraph down longer misses them)
    access_log_retention_days: int = 730  # entries of the staff access log are kept this long
    # Messages to members (rewards: README "Messages"): email over SMTP, SMS and push as signed webhooks
    # to a provider. A channel without its setting is off (nothing is queued for it).
    program_name: str = "Loyalty"  # how messages sign
    smtp_host: str | None = None  # unset: no email; `loyalty up` points it at its dev mailbox in dev
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS (a real relay on port 587)
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Loyalty <loyalty@example.com>"
    sms_webhook_url: str | None = None  # the SMS provider's endpoint (JSON, signed: X-Loyalty-Signature)
    sms_webhook_secret: str | None = None
    push_webhook_url: str | None = None  # the push provider's endpoint (by member id), signed alike
    push_webhook_secret: str | None = None
    message_time_zone: str = "UTC"  # the program's time zone, for members whose home store has none below
    message_store_time_zones: dict[str, str] = {}  # store id -> IANA zone, e.g. {"st_portland": "America/Los_Angeles"}
    message_quiet_hours: str = "21:00-08:00"  # local time; marketing inside them waits until they end ("" = none)
    message_caps: dict[str, int] = {"EMAIL": 3, "SMS": 1, "PUSH": 3}  # marketing messages per member, channel, window
    message_cap_window_hours: float = 24.0
    message_retry_seconds: float = 30.0  # first wait after a transient failure; doubles up to an hour
    message_max_attempts: int = 6  # then the message fails with its last reason
    # The dev mailbox (`loyalty up`, dev only): an SMTP sink and a page listing what it received.
    dev_mail_port: int = 8025
    dev_mail_smtp_port: int = 1025
    # One-time sign-in codes by email (profile's requestSignInCode / signInWithCode).
    sign_in_code_minutes: int = 10
    sign_in_code_attempts: int = 5  # wrong codes before the code is burnt (a new one must be asked for)
    sign_in_code_requests_per_hour: int = 5  # codes one email address may ask for in an hour

    def database_url_for(self, subgraph: str) -> str:
        template = self.database_urls.get(subgraph, self.database_url)
        return template.format(subgraph=subgraph, data_dir=self.data_dir)

    def subgraph_url(self, subgraph: str) -> str:
        if subgraph in self.subgraph_urls:
            return self.subgraph_urls[subgraph]
        return f"http://{self.host}:{self.subgraph_ports[subgraph]}/graphql"

    def gateway_http_url(self) -> str:
        return self.gateway_url or f"http://{self.host}:{self.gateway_port}/graphql"

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def webhooks_may_reach_private_addresses(self) -> bool:
        return self.is_dev if self.webhook_allow_private_urls is None else self.webhook_allow_private_urls

    @property
    def introspection(self) -> bool:
        return self.is_dev if self.gateway_introspection is None else self.gateway_introspection

    def check(self) -> None:
        """Refuse settings that are unsafe or cannot work together."""
        if self.jwt_algorithm not in ("HS256", "RS256"):
            raise ValueError("LOYALTY_JWT_ALGORITHM is HS256 or RS256")
        if self.jwt_algorithm == "RS256" and not self.jwt_public_key:
            raise ValueError("LOYALTY_JWT_ALGORITHM=RS256 needs LOYALTY_JWT_PUBLIC_KEY (PEM)")
        if self.env == "prod":
            secrets = [("LOYALTY_SERVICE_JWT_SECRET", self.service_jwt_secret, DEV_SERVICE_JWT_SECRET)]
            if self.jwt_algorithm == "HS256":
                secrets.append(("LOYALTY_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET))
            for name, value, dev_default in secrets:
                if value == dev_default:
                    raise ValueError(f"{name} must be set in the prod profile (the dev default is public)")
                if len(value) < MIN_SECRET_LENGTH:
                    raise ValueError(f"{name} must have at least {MIN_SECRET_LENGTH} characters in the prod profile")
            if self.service_jwt_secret == self.jwt_secret:
                raise ValueError("LOYALTY_SERVICE_JWT_SECRET must differ from LOYALTY_JWT_SECRET")
        if not 0 < self.checkout_max_age_days <= 3650 or not 0 <= self.checkout_max_clock_skew_seconds <= 86400:
            raise ValueError("LOYALTY_CHECKOUT_MAX_AGE_DAYS is 1 to 3650 and LOYALTY_CHECKOUT_MAX_CLOCK_SKEW_SECONDS "
                             "0 to 86400 (the ledger refuses earnings further from now)")
        if self.outbox_retention_hours < 0 or self.access_log_retention_days < 1:
            raise ValueError("LOYALTY_OUTBOX_RETENTION_HOURS is 0 or more, LOYALTY_ACCESS_LOG_RETENTION_DAYS 1 or more")
        if not (0 < self.webhook_retry_seconds <= self.webhook_retry_max_seconds and 1 <= self.webhook_max_attempts
                <= 1000 and 0 < self.webhook_timeout_seconds and 1 <= self.webhook_concurrency <= 1000):
            raise ValueError("LOYALTY_WEBHOOK_RETRY_SECONDS is above 0 and at most LOYALTY_WEBHOOK_RETRY_MAX_SECONDS; "
                             "LOYALTY_WEBHOOK_MAX_ATTEMPTS and LOYALTY_WEBHOOK_CONCURRENCY are 1 to 1000")
        if self.bus_max_age_hours < 1:
            raise ValueError("LOYALTY_BUS_MAX_AGE_HOURS is at least 1 (longer than the stream's 10-minute "
                             "publish dedup window)")
        self._check_messages()
        if self.separate_processes and self.bus_url.startswith("memory"):
            raise ValueError("LOYALTY_SEPARATE_PROCESSES needs a shared bus (LOYALTY_BUS_URL=nats://...)")


    def _check_messages(self) -> None:
        for zone in (self.message_time_zone, *self.message_store_time_zones.values()):
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"{zone!r} is not an IANA time zone (LOYALTY_MESSAGE_TIME_ZONE, "
                                 "LOYALTY_MESSAGE_STORE_TIME_ZONES: e.g. America/Los_Angeles)") from error
        if self.message_quiet_hours.strip() and not QUIET_HOURS.fullmatch(self.message_quiet_hours.strip()):
            raise ValueError("LOYALTY_MESSAGE_QUIET_HOURS is HH:MM-HH:MM (e.g. 21:00-08:00) or empty")
        if set(self.message_caps) - {"EMAIL", "SMS", "PUSH"} or any(n < 0 for n in self.message_caps.values()):
            raise ValueError("LOYALTY_MESSAGE_CAPS maps EMAIL, SMS, PUSH to 0 or more")
        if self.message_max_attempts < 1 or self.message_retry_seconds <= 0 or self.message_cap_window_hours <= 0:
            raise ValueError("LOYALTY_MESSAGE_MAX_ATTEMPTS is 1 or more, the retry and cap window positive")
        for name, url, secret in (("SMS", self.sms_webhook_url, self.sms_webhook_secret),
                                  ("PUSH", self.push_webhook_url, self.push_webhook_secret)):
            if url and (not secret or (self.env == "prod" and len(secret) < MIN_SECRET_LENGTH)):
                raise ValueError(f"LOYALTY_{name}_WEBHOOK_URL needs LOYALTY_{name}_WEBHOOK_SECRET (the receiver "
                                 f"checks the signature; prod: {MIN_SECRET_LENGTH}+ characters)")
        if not (0 < self.sign_in_code_minutes <= 60 and 0 < self.sign_in_code_attempts <= 10
                and 0 < self.sign_in_code_requests_per_hour <= 60):
            raise ValueError("sign-in codes: LOYALTY_SIGN_IN_CODE_MINUTES 1 to 60, _ATTEMPTS 1 to 10, "
                             "_REQUESTS_PER_HOUR 1 to 60")


@lru_cache
def get_settings() -> Settings:
    return Settings()
