"""Channel models: configurations and rules, deliveries with their ledger and events, demo catchers."""

from channels.models.catcher import CaughtMessage
from channels.models.configuration import (
    CappingPeriod,
    CappingRule,
    Category,
    Channel,
    ChannelConfiguration,
    DeliveryLevel,
    ProofRecipient,
    RateBucket,
    SuppressionEntry,
    SuppressionReason,
)
from channels.models.delivery import (
    Delivery,
    DeliveryStatus,
    EventKind,
    ExclusionReason,
    LedgerEntry,
    LedgerState,
    TrackingEvent,
)

__all__ = [
    "CappingPeriod",
    "CappingRule",
    "Category",
    "CaughtMessage",
    "Channel",
    "ChannelConfiguration",
    "Delivery",
    "DeliveryLevel",
    "DeliveryStatus",
    "EventKind",
    "ExclusionReason",
    "LedgerEntry",
    "LedgerState",
    "ProofRecipient",
    "RateBucket",
    "SuppressionEntry",
    "SuppressionReason",
    "TrackingEvent",
]
