"""DingTalk: dingtalk-stream's Stream mode or the HTTP outgoing robot (``adapter``, ``link``), the
Open API and callback signatures (``http``), robot messages and card clicks into Baton's types
(``inbound``), markdown and interactive cards out (``render``).

Nothing is imported here, so the pure translation modules load without dingtalk-stream."""
