"""Feishu / Lark: lark-oapi's long connection or HTTP events (``adapter``, ``events``), the Open API
(``api``), events and card clicks into Baton's types (``inbound``), interactive cards out
(``render``).

Nothing is imported here, so the pure translation modules load without lark-oapi (~2 s, ~120 MB)."""
