"""Per-user throttles whose rate is a product setting (read at each request, so tests and deployments
can change it), counted in the shared cache like every DRF throttle. Refusals are 429 ``throttled``
in the one error shape."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class SettingRateThrottle(UserRateThrottle):
    """A ``UserRateThrottle`` whose rate is ``settings.<setting>`` ("120/min", "30/hour")."""

    setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting)


class RuleCountThrottle(SettingRateThrottle):
    """Exact counts per user (OC_RULE_COUNT_RATE): many counts are how an oracle reads values."""

    scope = "rule_count"
    setting = "OC_RULE_COUNT_RATE"


class ProofThrottle(SettingRateThrottle):
    """Proof sends per user (OC_PROOF_RATE): a proof is a real message to a real address."""

    scope = "proof"
    setting = "OC_PROOF_RATE"


def allowed(throttle_class, request) -> bool:
    """Count one request of ``request.user`` against ``throttle_class`` outside DRF (admin pages)."""
    return throttle_class().allow_request(request, None)
