"""SMS through a 4G modem on a serial port: AT commands in PDU mode, text in UCS2.

PDU mode (3GPP TS 23.040 SMS-SUBMIT, TS 27.005 ``AT+CMGS``) because text mode cannot carry
Chinese on most modems. One part holds 70 UTF-16 code units; a longer text is sent as
concatenated parts of 67 (a 6-octet user data header: IEI 00, reference, count, number),
never splitting a surrogate pair, at most ``MAX_PARTS`` parts (the rest is cut). An alarm
longer than that is first shortened in its middle detail, so its to-do line survives
(:mod:`controller.notify.sms_text`). Five parts (335 code units): the longest alarm without
its detail, an English escalation of a long to-do, is 308; the 8-bit part count of the
header allows 255, but each part is one ``AT+CMGS`` and billed, per number.

Each delivery opens the port and goes through what a module needs before it can send:
``ATE0`` (no echo), ``AT+CMEE=1`` (numeric errors), ``AT+CPIN?`` (a SIM, unlocked),
``AT+CSQ`` (a signal), ``AT+CREG?`` (registered, home or roaming), ``AT+CMGF=0`` (PDU
mode); then per part ``AT+CMGS=<octets>``, the modem's ``>`` prompt, the PDU in hex and
Ctrl-Z, answered ``+CMGS: <mr>`` and ``OK``. A module without a SIM, without signal or
not registered, ``ERROR`` / ``+CME ERROR: n`` / ``+CMS ERROR: n`` (with the meaning of the
common codes), silence past ``timeout_s`` or a port that cannot be opened become
:class:`DeliveryFailed` naming the port and the answer; the notifier retries.
"""

from __future__ import annotations

import itertools
import re
import time

import serial

from controller.config.notify import ChannelConfig
from controller.notify.errors import DeliveryFailed
from controller.notify.sms_text import fit_alarm

__all__ = ["MAX_PARTS", "PART_UNITS", "SmsSender", "address_field", "explain", "submit_pdus"]

SINGLE_UNITS = 70  # UTF-16 code units in one UCS2 message
PART_UNITS = 67  # ... in one part of a concatenated message (6-octet header)
MAX_PARTS = 5
# What an alarm is fitted to: a part ending on the first half of a surrogate pair carries one
# unit less (the pair goes whole to the next part), so each boundary may lose one.
FIT_UNITS = MAX_PARTS * PART_UNITS - (MAX_PARTS - 1)
CTRL_Z = b"\x1a"
_refs = itertools.count(1)


def address_field(number: str) -> str:
    """The TP-DA: digit count, type (0x91 international with "+", else 0x81), swapped BCD."""
    digits = number.removeprefix("+")
    if not digits.isdigit():
        raise ValueError(f"not a phone number: {number!r}")
    kind = "91" if number.startswith("+") else "81"
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return f"{len(digits):02X}{kind}{swapped}"


def _units(text: str) -> list[bytes]:
    """``text`` as UTF-16BE code units (2 bytes each)."""
    raw = text.encode("utf-16-be")
    return [raw[i : i + 2] for i in range(0, len(raw), 2)]


def _split(units: list[bytes], size: int) -> list[list[bytes]]:
    parts: list[list[bytes]] = []
    i = 0
    while i < len(units):
        end = min(i + size, len(units))
        if end < len(units) and 0xD8 <= units[end - 1][0] <= 0xDB:  # a high surrogate
            end -= 1  # keep the pair together
        parts.append(units[i:end])
        i = end
    return parts


def submit_pdus(number: str, text: str, *, ref: int | None = None) -> list[str]:
    """The SMS-SUBMIT PDUs (hex, with an empty SMSC field "00") carrying ``text``."""
    units = _units(text)
    if len(units) <= SINGLE_UNITS:
        chunks, udh = [units], False
    else:
        chunks, udh = _split(units, PART_UNITS)[:MAX_PARTS], True
    ref_byte = (ref if ref is not None else next(_refs)) % 256
    da = address_field(number)
    pdus = []
    for seq, chunk in enumerate(chunks, start=1):
        ud = b"".join(chunk)
        if udh:
            ud = bytes([5, 0, 3, ref_byte, len(chunks), seq]) + ud
        first = "51" if udh else "11"  # SMS-SUBMIT, relative validity (+ UDHI)
        pdus.append(f"00{first}00{da}0008AA{len(ud):02X}{ud.hex().upper()}")
    return pdus


# Meanings of the codes modules answer most (3GPP TS 27.005 §3.2.5, TS 27.007 §9.2).
CME_ERRORS = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    30: "no network service",
}
CMS_ERRORS = {
    301: "SMS service reserved",
    302: "operation not allowed",
    304: "invalid PDU mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    500: "unknown error",
}
REGISTRATION = {
    "0": "not registered, not searching",
    "2": "not registered, searching",
    "3": "registration denied",
    "4": "registration unknown",
}
_FINAL = re.compile(rb"^(OK|ERROR|\+CME ERROR: ?(\d+)|\+CMS ERROR: ?(\d+))$")


def explain(final: str) -> str:
    """A final result code with the meaning of its number (``+CMS ERROR: 330 (SMSC
    address unknown)``); other answers as they are."""
    m = re.fullmatch(r"\+(CME|CMS) ERROR: ?(\d+)", final)
    if m is None:
        return final
    table = CME_ERRORS if m.group(1) == "CME" else CMS_ERRORS
    meaning = table.get(int(m.group(2)))
    return f"{final} ({meaning})" if meaning else final


class SmsSender:
    """Sends each message to every number of the channel, part by part."""

    def __init__(self, cfg: ChannelConfig) -> None:
        self.cfg = cfg

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        text = fit_alarm(subject, body, FIT_UNITS)
        try:
            with serial.Serial(
                self.cfg.serial_port, self.cfg.baudrate, timeout=0.1, write_timeout=2
            ) as port:
                port.reset_input_buffer()  # unsolicited lines of the module since last time
                self.ready(port)
                for number in self.cfg.phones:
                    for pdu in submit_pdus(number, text):
                        octets = len(pdu) // 2 - 1  # the SMSC field is not counted
                        self._command(port, f"AT+CMGS={octets}\r".encode(), prompt=True)
                        self._command(port, pdu.encode() + CTRL_Z)
        except serial.SerialException as exc:
            raise DeliveryFailed(f"modem on {self.cfg.serial_port}: {exc}") from exc

    def ready(self, port: serial.Serial) -> None:
        """Check the module can send now: SIM, signal, network; PDU mode set."""
        where = f"modem on {self.cfg.serial_port}"
        self._command(port, b"ATE0\r")
        self._command(port, b"AT+CMEE=1\r")
        pin = _info(self._command(port, b"AT+CPIN?\r"), "+CPIN:")
        if pin != "READY":
            raise DeliveryFailed(f"{where}: SIM not ready (+CPIN: {pin or '?'})")
        csq = _info(self._command(port, b"AT+CSQ\r"), "+CSQ:")
        rssi = csq.split(",")[0].strip()
        if rssi in ("", "99"):
            raise DeliveryFailed(f"{where}: no signal (+CSQ: {csq or '?'})")
        creg = _info(self._command(port, b"AT+CREG?\r"), "+CREG:")
        stat = creg.split(",")[1].strip() if "," in creg else ""
        if stat not in ("1", "5"):
            meaning = REGISTRATION.get(stat, "not registered")
            raise DeliveryFailed(f"{where}: {meaning} (+CREG: {creg or '?'})")
        self._command(port, b"AT+CMGF=0\r")

    def _command(self, port: serial.Serial, line: bytes, *, prompt: bool = False) -> list[str]:
        """Send ``line``; the answer's information lines once ``OK`` (or, with ``prompt``,
        the ``>`` prompt) came. Any error code or silence is :class:`DeliveryFailed`."""
        port.write(line)
        sent = line.split(b"\r")[0].split(CTRL_Z)[0][:20].decode("ascii", "replace")
        if len(sent) == 20:
            sent = "the PDU"
        answer = b""
        deadline = time.monotonic() + self.cfg.timeout_s
        while time.monotonic() < deadline:
            answer += port.read(256)
            if prompt and b">" in answer:
                return []
            lines = [ln.strip() for ln in answer.split(b"\n")]
            for i, ln in enumerate(lines[:-1]):  # complete lines only
                m = _FINAL.match(ln)
                if m is None:
                    continue
                if ln == b"OK":
                    return [x.decode("ascii", "replace") for x in lines[:i] if x]
                what = explain(ln.decode("ascii", "replace"))
                raise DeliveryFailed(f"modem on {self.cfg.serial_port} answered {what} to {sent}")
        raise DeliveryFailed(
            f"modem on {self.cfg.serial_port}: no answer to {sent} within {self.cfg.timeout_s} s"
        )


def _info(lines: list[str], prefix: str) -> str:
    """The value of the information line starting with ``prefix`` ("" if none)."""
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix) :].strip()
    return ""
