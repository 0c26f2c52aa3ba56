"""The channel activity types (``channel.email``, ``channel.sms``, ``channel.push``) for the campaign
engine's registry; ``channels.apps`` imports ``channels.activities.types`` once Django is ready."""
