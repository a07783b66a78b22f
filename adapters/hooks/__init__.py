"""Inbound webhooks: ``POST /hooks/<id>``, signed, becomes a task (see :mod:`adapters.hooks.adapter`)."""
