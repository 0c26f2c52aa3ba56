"""The configuration's messages-per-second limit, held across every sender process: a token bucket
stored in one row (``RateBucket``) locked ``FOR UPDATE`` while tokens are taken. Senders take tokens in
small chunks so the row is touched a few times per second, not once per message.

A provider's "slow down" (HTTP 429, SMTP 4xx) halves ``slow_factor`` and drains the bucket by the
back-off time, so every worker slows; each later grant raises the factor again by 5 %.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.models import ChannelConfiguration, RateBucket


def _bucket(configuration: ChannelConfiguration) -> RateBucket:
    try:
        with transaction.atomic():
            RateBucket.objects.get_or_create(
                configuration=configuration, defaults={"tokens": 1.0, "updated_at": timezone.now()}
            )
    except IntegrityError:
        pass  # another sender created it first
    return RateBucket.objects.select_for_update().get(configuration=configuration)


def take(configuration: ChannelConfiguration, want: int) -> tuple[int, float]:
    """Take up to ``want`` tokens: (granted, seconds to wait before asking again when none)."""
    with transaction.atomic():
        bucket = _bucket(configuration)
        now = timezone.now()
        rate = max(configuration.rate_per_second * bucket.slow_factor, 0.1)
        capacity = max(1.0, rate / 5)  # at most 200 ms worth of burst
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(capacity, bucket.tokens + elapsed * rate)
        granted, wait = 0, 0.0
        if tokens >= 1:
            granted = min(want, int(tokens))
            tokens -= granted
            bucket.slow_factor = min(1.0, bucket.slow_factor * 1.05)
        else:
            wait = (1 - tokens) / rate
        bucket.tokens, bucket.updated_at = tokens, now
        bucket.save(update_fields=["tokens", "updated_at", "slow_factor"])
        return granted, wait


def penalize(configuration: ChannelConfiguration, seconds: float) -> None:
    """The provider asked us to slow down: halve the rate and hold every worker for ``seconds``."""
    with transaction.atomic():
        bucket = _bucket(configuration)
        bucket.slow_factor = max(0.05, bucket.slow_factor / 2)
        rate = max(configuration.rate_per_second * bucket.slow_factor, 0.1)
        bucket.tokens = min(bucket.tokens, 0.0) - seconds * rate
        bucket.save(update_fields=["tokens", "slow_factor"])
