"""Delivery: who receives a channel activity's message (one statement), the ledger, the senders."""
