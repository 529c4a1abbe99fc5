"""The site file's ``[notify]`` and ``[mqtt]`` sections: who hears of alarms, and the bus.

Types and ranges only, as the rest of the site file (unknown keys refused); a problem is
reported with its key path by :func:`controller.config.site.load_site`, e.g.
``notify.channels[1]: kind 'dingtalk' needs url (site.toml)``.

Secrets (webhook keys, signing secrets, SMTP and broker passwords) live in the site file,
which the installer makes readable by the service user only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "SEVERITIES",
    "ChannelConfig",
    "MqttConfig",
    "NotifyConfig",
]

# Lowest first; the store's Severity values.
SEVERITIES = ("info", "warning", "alarm", "critical")

ChannelName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
HourMinute = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
HourSpan = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What each kind of channel needs besides its name.
_NEEDS: dict[str, tuple[str, ...]] = {
    "wecom": ("url",),
    "dingtalk": ("url", "secret"),
    "feishu": ("url",),
    "email": ("smtp_host", "sender", "recipients"),
    "sms": ("serial_port", "phones"),
}


class ChannelConfig(_Model):
    """One way of reaching people (``[[notify.channels]]``).

    ``min_severity``: events below it are not sent. ``quiet_hours`` (site-local
    ``HH:MM-HH:MM``): messages below ``critical`` wait until the quiet hours end.
    ``max_per_hour``: more messages than that in an hour are suppressed (critical ones
    never). ``dedup_min``: the same alarm (code and source; for a relay read-back
    fault, its message too: each distinct fault is sent) again within that many minutes
    is suppressed. ``timeout_s``: one delivery attempt's network time limit.
    """

    name: ChannelName
    kind: Literal["wecom", "dingtalk", "feishu", "email", "sms"]
    enabled: bool = True
    min_severity: Literal["info", "warning", "alarm", "critical"] = "alarm"
    quiet_hours: HourSpan | None = None
    max_per_hour: int = Field(20, ge=1, le=3600)
    dedup_min: float = Field(30, ge=0, le=1440)
    escalate: bool = True  # also receives escalations of unacknowledged alarms
    summary: bool = True  # receives the daily summary (when [notify] summary_time is set)
    timeout_s: float = Field(10, gt=0, le=120)
    # webhooks (wecom, dingtalk, feishu)
    url: str = ""
    secret: str = ""  # dingtalk: required (signed requests); feishu: when signing is on
    # email (SMTP submission with STARTTLS)
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    tls_ca_file: str = ""  # authority to check the server against (system's when empty)
    username: str = ""
    password: str = ""
    sender: str = ""
    recipients: list[str] = []
    # sms (a 4G modem on a serial port, AT commands in PDU mode)
    serial_port: str = ""
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    phones: list[Annotated[str, Field(pattern=r"^\+?[0-9]{3,20}$")]] = []

    @model_validator(mode="after")
    def _needs(self) -> ChannelConfig:
        missing = [key for key in _NEEDS[self.kind] if not getattr(self, key)]
        if missing:
            raise ValueError(f"kind {self.kind!r} needs {', '.join(missing)}")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, not {self.url!r}")
        bad = [r for r in self.recipients if "@" not in r]
        if bad:
            raise ValueError(f"recipients: not an address: {', '.join(bad)}")
        if self.username and not self.password:
            raise ValueError("username without password")
        return self


class NotifyConfig(_Model):
    """``[notify]``: the channels and what they share.

    ``language``: ``zh_CN`` or ``en``. ``escalate_after_min``: an alarm still
    unacknowledged that long is sent again, marked as an escalation, to the channels with
    ``escalate``. ``channel_down_min``: a channel failing that long raises the
    ``notify_channel_down`` alarm. ``give_up_h``: a message still not delivered after that
    long is dropped (and audited). ``summary_time`` (site-local ``HH:MM``): each day from
    then, the day before in a few lines (water, runs, alarms, savings to date) to the
    channels with ``summary``.
    """

    language: Literal["zh_CN", "en"] = "zh_CN"
    escalate_after_min: float = Field(30, gt=0, le=10_080)
    channel_down_min: float = Field(30, gt=0, le=10_080)
    give_up_h: float = Field(24, gt=0, le=720)
    retry_max_s: float = Field(600, ge=1, le=3600)
    summary_time: HourMinute | None = None  # site-local; the day before, summed up
    channels: list[ChannelConfig] = []

    @model_validator(mode="after")
    def _unique(self) -> NotifyConfig:
        names = [c.name for c in self.channels]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"channels: name used twice: {', '.join(twice)}")
        return self

    def channel(self, name: str) -> ChannelConfig:
        """The channel called ``name`` (:class:`KeyError` if none)."""
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)


class MqttConfig(_Model):
    """``[mqtt]``: the broker qanat publishes its state to (Home Assistant discovery).

    ``commands``: accept start/stop/pause commands from the bus (off unless set).
    ``tls``: connect with TLS, checking the broker against ``ca_file`` (the system's
    authorities when empty). ``publish_s``: how often the state is published.
    """

    host: str = Field(min_length=1)
    port: int = Field(1883, ge=1, le=65535)
    client_id: str = ""  # default: qanat-<site id>
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""
    topic_prefix: str = Field("qanat", pattern=r"^[A-Za-z0-9_/-]{1,64}$")
    discovery_prefix: str = Field("homeassistant", pattern=r"^[A-Za-z0-9_/-]{1,64}$")
    commands: bool = False
    command_run_min: float = Field(10, gt=0, le=1440)  # what "ON" starts a zone for
    max_command_min: float = Field(120, gt=0, le=1440)
    publish_s: float = Field(10, ge=1, le=3600)
    keepalive_s: int = Field(30, ge=5, le=3600)
    down_alarm_min: float = Field(10, gt=0, le=1440)  # an outage this long: mqtt_down

    @model_validator(mode="after")
    def _credentials(self) -> MqttConfig:
        if self.username and not self.password:
            raise ValueError("username without password")
        if self.ca_file and not self.tls:
            raise ValueError("ca_file is set but tls is false")
        if self.command_run_min > self.max_command_min:
            raise ValueError("command_run_min is longer than max_command_min")
        return self
