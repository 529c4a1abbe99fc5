"""qanat on the site's MQTT bus: retained state, Home Assistant discovery, commands.

:class:`~controller.bridge.mqtt.Bridge` reads the daemon through the same service the HTTP
API uses (:class:`controller.daemon.protocol.ControlService`) and, when ``[mqtt] commands``
is on, hands start/stop/pause commands to it, so the same rules, limits and audit apply.
Only this room imports paho-mqtt.
"""
