"""SMS through a 4G modem on a serial port: AT commands in PDU mode, text in UCS2.

PDU mode (3GPP TS 23.040 SMS-SUBMIT, TS 27.005 ``AT+CMGS``) because text mode cannot carry
Chinese on most modems. One part holds 70 UTF-16 code units; a longer text is sent as
concatenated parts of 67 (a 6-octet user data header: IEI 00, reference, count, number),
never splitting a surrogate pair, at most ``MAX_PARTS`` parts (the rest is cut).

A part is ``AT+CMGS=<octets>``, the modem's ``>`` prompt, the PDU in hex and Ctrl-Z, then
``+CMGS: <mr>`` and ``OK``; ``ERROR`` / ``+CMS ERROR: n``, silence past the timeout or a
port that cannot be opened become :class:`DeliveryFailed`.
"""

from __future__ import annotations

import itertools
import time

import serial

from controller.config.notify import ChannelConfig
from controller.notify.errors import DeliveryFailed

__all__ = ["MAX_PARTS", "SmsSender", "address_field", "submit_pdus"]

SINGLE_UNITS = 70  # UTF-16 code units in one UCS2 message
PART_UNITS = 67  # ... in one part of a concatenated message (6-octet header)
MAX_PARTS = 3
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


class SmsSender:
    """Sends each message to every number of the channel, part by part."""

    def __init__(self, cfg: ChannelConfig) -> None:
        self.cfg = cfg

    def send(self, subject: str, body: str) -> None:
        text = f"{subject}\n{body}"
        try:
            with serial.Serial(
                self.cfg.serial_port, self.cfg.baudrate, timeout=0.2, write_timeout=2
            ) as port:
                self._command(port, b"AT\r", b"OK")
                self._command(port, b"AT+CMGF=0\r", b"OK")
                for number in self.cfg.phones:
                    for pdu in submit_pdus(number, text):
                        octets = len(pdu) // 2 - 1  # the SMSC field is not counted
                        self._command(port, f"AT+CMGS={octets}\r".encode(), b">")
                        self._command(port, pdu.encode() + CTRL_Z, b"+CMGS:")
        except serial.SerialException as exc:
            raise DeliveryFailed(f"modem on {self.cfg.serial_port}: {exc}") from exc

    def _command(self, port: serial.Serial, line: bytes, want: bytes) -> None:
        port.write(line)
        answer = b""
        deadline = time.monotonic() + self.cfg.timeout_s
        while time.monotonic() < deadline:
            answer += port.read(256)
            if want in answer and (want == b">" or answer.rstrip().endswith(b"OK")):
                return
            if b"ERROR" in answer:
                what = answer.strip().decode("ascii", "replace").splitlines()[-1]
                sent = line.split(b"\r")[0][:20].decode("ascii", "replace")
                raise DeliveryFailed(f"modem on {self.cfg.serial_port} answered {what} to {sent}")
        raise DeliveryFailed(
            f"modem on {self.cfg.serial_port}: no {want.decode()} within {self.cfg.timeout_s} s"
        )
