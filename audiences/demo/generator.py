"""Deterministic rows of the retail demo model: the same (customers, seed) gives the same rows everywhere.

Faker (seeded) fills small pools of names, cities, brands and words once; every row is then drawn from
those pools with ``random.Random`` streams seeded per table, so each table is reproducible on its own,
generation is fast (no Faker call per row) and memory stays flat (rows are yielded, never listed).
Nothing here reads the clock: dates are drawn relative to ``REFERENCE_DAY``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from faker import Faker

REFERENCE_DAY = dt.date(2026, 1, 1)
COUNTRIES = {  # country -> (Faker locale, phone prefix, language, time zone)
    "US": ("en_US", "1", "en-US", "America/New_York"),
    "GB": ("en_GB", "44", "en-GB", "Europe/London"),
    "FR": ("fr_FR", "33", "fr-FR", "Europe/Paris"),
    "DE": ("de_DE", "49", "de-DE", "Europe/Berlin"),
    "TW": ("zh_TW", "886", "zh-TW", "Asia/Taipei"),
}
COUNTRY_WEIGHTS = [40, 15, 20, 15, 10]
TIERS = ["bronze", "silver", "gold", "platinum"]
TIER_WEIGHTS = [60, 25, 12, 3]
TIER_POINTS = {"bronze": (0, 999), "silver": (1000, 4999), "gold": (5000, 19999), "platinum": (20000, 99999)}
CATEGORIES = ["apparel", "shoes", "beauty", "home", "electronics", "sports", "toys", "grocery"]
SERVICES = ["fitting", "repair", "delivery", "styling"]
BOOKING_STATUSES = ["booked", "done", "cancelled"]
DOMAINS = ["example.com", "example.net", "example.org", "mail.example"]
EPOCH = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2025, 12, 31, tzinfo=dt.UTC) - EPOCH).total_seconds())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "x"


@dataclass
class RetailGenerator:
    customers: int
    seed: int = 42
    suppressed: list[tuple] = field(default_factory=list)

    def rng(self, table: str) -> random.Random:
        return random.Random(f"{self.seed}:{table}")  # str seeds are hashed with SHA-512: stable everywhere

    @cached_property
    def pools(self) -> dict:
        pools: dict = {"first": [], "last": [], "cities": {}}
        for index, (country, (locale, *_rest)) in enumerate(COUNTRIES.items()):
            fake = Faker(locale)
            fake.seed_instance(self.seed * 100 + index)
            pools["cities"][country] = [fake.city() for _ in range(40)]
        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        pools["first"] = [fake.first_name() for _ in range(300)]
        pools["last"] = [fake.last_name() for _ in range(300)]
        pools["brands"] = sorted({fake.company().split(",")[0].split(" ")[0] for _ in range(80)})
        pools["words"] = sorted({fake.word() for _ in range(200)})
        return pools

    # --- sizes ------------------------------------------------------------------------------------
    @property
    def store_count(self) -> int:
        return max(5, min(300, self.customers // 2000))

    @property
    def product_count(self) -> int:
        return max(20, min(5000, self.customers // 50))

    def _moment(self, rng: random.Random) -> dt.datetime:
        return EPOCH + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS))

    # --- tables (rows in the column order of ``schemas.py``) --------------------------------------
    def stores(self) -> Iterator[tuple]:
        rng, countries = self.rng("stores"), list(COUNTRIES)
        for store_id in range(1, self.store_count + 1):
            country = rng.choices(countries, COUNTRY_WEIGHTS)[0]
            city = rng.choice(self.pools["cities"][country])
            opened = REFERENCE_DAY - dt.timedelta(days=rng.randrange(365 * 20))
            yield (store_id, f"{city} #{store_id}", city, country, opened)

    @cached_property
    def prices(self) -> list[Decimal]:
        return [row[5] for row in self.products()]

    def products(self) -> Iterator[tuple]:
        rng, words, brands = self.rng("products"), self.pools["words"], self.pools["brands"]
        for product_id in range(1, self.product_count + 1):
            category = rng.choice(CATEGORIES)
            price = Decimal(rng.randrange(199, 49999)) / 100
            name = f"{rng.choice(words).title()} {rng.choice(words)}"
            yield (product_id, f"SKU-{product_id:06d}", name, category, rng.choice(brands), price)

    def customer_rows(self) -> Iterator[tuple]:
        """Customers; also collects the suppression list (about 1% of emails, 0.5% of phones)."""
        rng, pools, countries = self.rng("customers"), self.pools, list(COUNTRIES)
        self.suppressed = []
        for cid in range(1, self.customers + 1):
            first, last = rng.choice(pools["first"]), rng.choice(pools["last"])
            country = rng.choices(countries, COUNTRY_WEIGHTS)[0]
            _locale, prefix, language, zone = COUNTRIES[country]
            email = f"{_slug(first)}.{_slug(last)}.{cid}@{rng.choice(DOMAINS)}"
            phone = f"+{prefix}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else None
            token = f"{rng.getrandbits(128):032x}" if rng.random() < 0.4 else None
            tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
            born = REFERENCE_DAY - dt.timedelta(days=rng.randrange(18 * 365, 85 * 365))
            created = self._moment(rng)
            row = (
                cid,
                email,
                phone,
                token,
                rng.random() < 0.7,
                phone is not None and rng.random() < 0.5,
                token is not None and rng.random() < 0.8,
                first,
                last,
                country,
                rng.choice(pools["cities"][country]),
                born,
                tier,
                rng.randint(*TIER_POINTS[tier]),
                language,
                zone,
                created,
                created + dt.timedelta(days=rng.randrange(365)),
            )
            draw = rng.random()
            if draw < 0.01:
                self.suppressed.append(("email", email, "unsubscribed", created))
            elif draw < 0.015 and phone:
                self.suppressed.append(("sms", phone, "complaint", created))
            yield row

    def purchases(self) -> Iterator[tuple]:
        rng, prices, stores = self.rng("purchases"), self.prices, self.store_count
        purchase_id = 0
        for cid in range(1, self.customers + 1):
            for _ in range(rng.randint(0, 10)):
                purchase_id += 1
                product = rng.randrange(len(prices))
                quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
                moment = self._moment(rng)
                yield (
                    purchase_id,
                    cid,
                    product + 1,
                    rng.randint(1, stores),
                    quantity,
                    prices[product] * quantity,
                    moment,
                )

    def wishlist_items(self) -> Iterator[tuple]:
        rng, products = self.rng("wishlist"), self.product_count
        for cid in range(1, self.customers + 1):
            for product in sorted(set(rng.sample(range(1, products + 1), rng.choice((0, 0, 1, 2, 3))))):
                yield (cid, product, self._moment(rng))

    def bookings(self) -> Iterator[tuple]:
        """A secondary entity with its own contact address (who booked is not always the customer)."""
        rng, pools = self.rng("bookings"), self.pools
        booking_id = 0
        for cid in range(1, self.customers + 1):
            if rng.random() >= 0.3:
                continue
            for _ in range(rng.randint(1, 2)):
                booking_id += 1
                contact = f"{_slug(rng.choice(pools['first']))}.b{booking_id}@{rng.choice(DOMAINS)}"
                yield (
                    booking_id,
                    cid,
                    contact,
                    rng.random() < 0.6,
                    rng.choice(SERVICES),
                    self._moment(rng),
                    rng.choices(BOOKING_STATUSES, (50, 40, 10))[0],
                )

    def suppressions(self) -> list[tuple]:
        """Available once ``customer_rows`` has been consumed."""
        return self.suppressed

    def counts(self) -> dict[str, int]:
        """Row counts per table, computed by generating everything (what the database must hold)."""
        counts = {
            "customer": sum(1 for _ in self.customer_rows()),
            "store": sum(1 for _ in self.stores()),
            "product": sum(1 for _ in self.products()),
            "purchase": sum(1 for _ in self.purchases()),
            "wishlist_item": sum(1 for _ in self.wishlist_items()),
            "booking": sum(1 for _ in self.bookings()),
        }
        counts["suppression"] = len(self.suppressed)
        return counts
