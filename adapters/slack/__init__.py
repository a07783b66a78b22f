"""Slack: slack-bolt in Socket Mode or over HTTP (``adapter``), events and clicks into Baton's types
(``inbound``), Block Kit out (``render``); ``manifest.json`` creates the Slack app.

Nothing is imported here, so the pure translation modules load without slack-bolt."""
