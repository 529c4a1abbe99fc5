"""A simulated 4G module's AT port on one end of a socat pty pair.

It answers the way common modules (Quectel EC20/EC25, SIMCom SIM7600) do on their AT port:

* echo on until ``ATE0``; ``AT+CMEE=0|1|2`` picks ``ERROR``, ``+CME ERROR: <n>`` or
  ``+CME ERROR: <text>`` for failures (``+CMS ERROR`` likewise for SMS commands);
* ``AT+CPIN?`` → ``+CPIN: READY`` (``+CME ERROR: 10`` without a SIM, ``+CPIN: SIM PIN``
  when locked); ``AT+CSQ`` → ``+CSQ: <rssi>,99`` (``99,99`` without signal); ``AT+CREG?``
  → ``+CREG: 0,<stat>`` (1 home, 2 searching, 0 without a SIM);
* ``AT+CMGF=0`` / ``1``; ``AT+CMGS=<octets>`` in PDU mode → ``> ``, then the PDU in hex
  up to Ctrl-Z (Esc cancels) → ``+CMGS: <mr>`` and ``OK``. A PDU whose length is not the
  one declared, or that is not an SMS-SUBMIT, is ``+CMS ERROR: 304``; without a SIM
  ``+CMS ERROR: 310``, without network ``+CMS ERROR: 331``; ``cms_error`` forces one;
* unknown commands → ``ERROR``; :meth:`SimModem.urc` writes an unsolicited line (a module
  says ``RDY``, ``+CPIN: READY``, ``SMS DONE`` at boot, ``+CMTI`` on a received SMS);
* ``silent``: the module hangs and answers nothing.

Every message accepted is decoded (:func:`tests.helpers.notify.decode_submit`) and kept in
:attr:`SimModem.pdus`; :meth:`SimModem.texts` joins concatenated parts per number.
"""

from __future__ import annotations

import threading

import serial

from tests.helpers.notify import decode_submit

__all__ = ["SimModem"]

CME_TEXT = {10: "SIM not inserted", 11: "SIM PIN required", 30: "no network service"}
CMS_TEXT = {
    304: "invalid PDU mode parameter",
    310: "SIM not inserted",
    330: "SMSC address unknown",
    331: "no network service",
    500: "unknown error",
}


class SimModem:
    """The module's side of the serial line; flip ``sim``, ``pin_locked``, ``rssi``,
    ``cms_error`` or ``silent`` at any time to inject a fault."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.sim = True
        self.pin_locked = False
        self.rssi = 21  # 0..31, 99 = no signal
        self.cms_error: int | None = None
        self.silent = False
        self.commands: list[str] = []  # every command line received
        self.pdus: list[tuple[int, str]] = []  # (declared octets, hex PDU) accepted
        self._echo = True
        self._cmee = 0
        self._pdu_mode = False
        self._mr = 0
        self._lock = threading.Lock()
        self._port = serial.Serial(device, 115200, timeout=0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sim-modem", daemon=True)
        self._thread.start()

    # -- the test's view --------------------------------------------------------------
    def texts(self) -> list[tuple[str, str]]:
        """(number, text) of each message received, concatenated parts joined."""
        out: list[tuple[str, str]] = []
        parts: dict[tuple[str, int], dict[int, str]] = {}
        with self._lock:
            pdus = list(self.pdus)
        for _, pdu in pdus:
            number, text, concat = decode_submit(pdu)
            if concat is None:
                out.append((number, text))
                continue
            ref, count, seq = concat
            got = parts.setdefault((number, ref), {})
            got[seq] = text
            if len(got) == count:
                out.append((number, "".join(got[i] for i in sorted(got))))
        return out

    def urc(self, line: str) -> None:
        """Write an unsolicited result code, as a module does on its own."""
        self._write(f"\r\n{line}\r\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._port.close()

    # -- the module -------------------------------------------------------------------
    def _write(self, text: str) -> None:
        self._port.write(text.encode("ascii"))

    def _final(self, ok: bool = True) -> None:
        self._write("\r\nOK\r\n" if ok else "\r\nERROR\r\n")

    def _error(self, kind: str, code: int) -> None:
        if self._cmee == 0:
            self._write("\r\nERROR\r\n")
        elif self._cmee == 1:
            self._write(f"\r\n+{kind} ERROR: {code}\r\n")
        else:
            table = CME_TEXT if kind == "CME" else CMS_TEXT
            self._write(f"\r\n+{kind} ERROR: {table.get(code, code)}\r\n")

    def _serve(self) -> None:
        buf = b""
        declared: int | None = None  # octets announced by AT+CMGS: reading a PDU
        while not self._stop.is_set():
            try:
                buf += self._port.read(512)
            except (serial.SerialException, OSError):
                return
            if self.silent:
                buf = b""
                declared = None
                continue
            if declared is not None:
                if b"\x1b" in buf:  # Esc: the message is cancelled
                    buf = buf.partition(b"\x1b")[2]
                    declared = None
                    self._final()
                    continue
                if b"\x1a" not in buf:
                    continue
                pdu, _, buf = buf.partition(b"\x1a")
                self._submit(declared, pdu.decode("ascii", "replace").strip())
                declared = None
                continue
            if b"\r" not in buf:
                continue
            raw, _, buf = buf.partition(b"\r")
            buf = buf.lstrip(b"\n")
            line = raw.strip().decode("ascii", "replace")
            if self._echo:
                self._port.write(raw + b"\r")
            if not line:
                continue
            with self._lock:
                self.commands.append(line)
            declared = self._command(line.upper())

    def _command(self, cmd: str) -> int | None:
        """Answer one command line; the octets to read when it was ``AT+CMGS``."""
        registered = self.sim and not self.pin_locked and self.rssi != 99
        if cmd == "AT":
            self._final()
        elif cmd in ("ATE0", "ATE1"):
            self._echo = cmd == "ATE1"
            self._final()
        elif cmd.startswith("AT+CMEE=") and cmd[8:] in ("0", "1", "2"):
            self._cmee = int(cmd[8:])
            self._final()
        elif cmd == "AT+CPIN?":
            if not self.sim:
                self._error("CME", 10)
            else:
                self._write(f"\r\n+CPIN: {'SIM PIN' if self.pin_locked else 'READY'}\r\n")
                self._final()
        elif cmd == "AT+CSQ":
            self._write(f"\r\n+CSQ: {self.rssi if self.sim else 99},99\r\n")
            self._final()
        elif cmd == "AT+CREG?":
            stat = 1 if registered else 2 if self.sim else 0
            self._write(f"\r\n+CREG: 0,{stat}\r\n")
            self._final()
        elif cmd in ("AT+CMGF=0", "AT+CMGF=1"):
            self._pdu_mode = cmd.endswith("0")
            self._final()
        elif cmd.startswith("AT+CMGS="):
            arg = cmd[8:]
            if not self.sim:
                self._error("CMS", 310)
            elif not registered:
                self._error("CMS", 331)
            elif not self._pdu_mode or not arg.isdigit() or not 7 <= int(arg) <= 164:
                self._error("CMS", 304)
            else:
                self._write("\r\n> ")
                return int(arg)
        else:
            self._final(ok=False)
        return None

    def _submit(self, declared: int, pdu: str) -> None:
        try:
            octets = bytes.fromhex(pdu)
            decode_submit(pdu)
        except (ValueError, AssertionError, IndexError, UnicodeDecodeError):
            self._error("CMS", 304)
            return
        smsc_len = octets[0] + 1 if octets else 0
        if len(octets) - smsc_len != declared:
            self._error("CMS", 304)
            return
        if self.cms_error is not None:
            self._error("CMS", self.cms_error)
            return
        with self._lock:
            self.pdus.append((declared, pdu))
        self._mr = (self._mr + 1) % 256
        self._write(f"\r\n+CMGS: {self._mr}\r\n")
        self._final()
