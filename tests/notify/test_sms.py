"""SMS through a modem: the PDUs (checked field by field and against a hand-made one) and
the AT dialogue with a simulated module on a pty pair (socat), its faults included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controller.config.notify import ChannelConfig
from controller.notify.errors import DeliveryFailed
from controller.notify.messages import catalog
from controller.notify.sms import MAX_PARTS, PART_UNITS, SmsSender, address_field, submit_pdus
from controller.notify.sms_text import LANGUAGES, units
from tests.helpers.alarm_texts import longest_alarm
from tests.helpers.modem import SimModem
from tests.helpers.notify import decode_submit


def test_a_short_chinese_message_is_the_pdu_made_by_hand() -> None:
    # +86 139 1234 5678: 13 digits, international; "你好" = U+4F60 U+597D
    assert address_field("+8613912345678") == "0D91683119325476F8"
    assert submit_pdus("+8613912345678", "你好") == [
        "001100" + "0D91683119325476F8" + "0008AA044F60597D"
    ]
    assert address_field("10086") == "0581" + "0180F6"


def test_a_long_message_is_concatenated_without_splitting_a_pair() -> None:
    text = "告警" * 40 + "🌊" + "水" * 60  # 141 code units, the wave is a surrogate pair
    pdus = submit_pdus("+8613912345678", text, ref=7)
    decoded = [decode_submit(p) for p in pdus]
    assert [d[2] for d in decoded] == [(7, 3, 1), (7, 3, 2), (7, 3, 3)]
    assert "".join(d[1] for d in decoded) == text
    assert all(d[0] == "+8613912345678" for d in decoded)


def test_more_than_the_most_parts_are_cut() -> None:
    pdus = submit_pdus("13912345678", "长" * 500, ref=1)
    assert len(pdus) == MAX_PARTS
    assert "".join(decode_submit(p)[1] for p in pdus) == "长" * MAX_PARTS * PART_UNITS


@pytest.fixture
def modem(pty_pair: tuple[str, str]) -> Iterator[tuple[SimModem, str]]:
    ours, modems = pty_pair
    sim = SimModem(modems)
    try:
        yield sim, ours
    finally:
        sim.close()


def channel(port: str) -> ChannelConfig:
    return ChannelConfig.model_validate(
        {
            "name": "sms",
            "kind": "sms",
            "serial_port": port,
            "phones": ["+8613912345678", "13800000000"],
            "timeout_s": 2,
        }
    )


def test_the_modem_is_given_each_part_with_its_length(modem: tuple[SimModem, str]) -> None:
    sim, port = modem
    sim.urc("RDY")  # a module's boot lines waiting on the port are no answer
    sim.urc("+CPIN: READY")
    SmsSender(channel(port)).send("【演示】告警：水泵空转（无水流）", "详情：pump on, no flow")
    assert len(sim.pdus) == 2
    for declared, pdu in sim.pdus:
        assert declared == len(pdu) // 2 - 1
    assert sim.texts() == [
        ("+8613912345678", "【演示】告警：水泵空转（无水流）\n详情：pump on, no flow"),
        ("13800000000", "【演示】告警：水泵空转（无水流）\n详情：pump on, no flow"),
    ]
    # the module is checked before anything is sent, in PDU mode
    assert sim.commands[:6] == ["ATE0", "AT+CMEE=1", "AT+CPIN?", "AT+CSQ", "AT+CREG?", "AT+CMGF=0"]


def test_a_long_message_reaches_the_modem_in_parts_joined_again(
    modem: tuple[SimModem, str],
) -> None:
    sim, port = modem
    cfg = channel(port).model_copy(update={"phones": ["+8613912345678"]})
    SmsSender(cfg).send("【张掖示范】紧急：流量过大（疑似爆管）", "水" * 100)
    assert len(sim.pdus) == 2
    assert sim.texts() == [
        ("+8613912345678", "【张掖示范】紧急：流量过大（疑似爆管）\n" + "水" * 100)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_longest_alarm_reaches_the_phone_with_what_to_do(
    modem: tuple[SimModem, str], language: str
) -> None:
    """The longest alarm text of each catalog (its escalation, with the longest message the
    box records) arrives with its to-do line and event number, in parts of at most 140
    octets (67 UCS2 code units and the 6-octet header)."""
    sim, port = modem
    code, subject, body = longest_alarm(language)
    SmsSender(channel(port).model_copy(update={"phones": ["+8613912345678"]})).send(subject, body)
    [(number, text)] = sim.texts()
    assert number == "+8613912345678"
    todo, event = catalog(language).todo_line(code).rstrip("\n"), body.split("\n")[-2]
    assert todo and text.split("\n")[-2:] == [todo, event]
    assert text.split("\n")[0] == subject
    assert 1 < len(sim.pdus) <= MAX_PARTS
    assert all(units(decode_submit(pdu)[1]) <= PART_UNITS for _, pdu in sim.pdus)
    assert all(len(bytes.fromhex(pdu)) - 1 == declared for declared, pdu in sim.pdus)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"sim": False}, r"\+CME ERROR: 10 \(SIM not inserted\) to AT\+CPIN\?"),
        ({"pin_locked": True}, r"SIM not ready \(\+CPIN: SIM PIN\)"),
        ({"rssi": 99}, r"no signal \(\+CSQ: 99,99\)"),
        ({"cms_error": 330}, r"\+CMS ERROR: 330 \(SMSC address unknown\) to the PDU"),
        ({"cms_error": 500}, r"\+CMS ERROR: 500 \(unknown error\)"),
        ({"silent": True}, r"no answer to ATE0 within 0.5 s"),
    ],
)
def test_a_module_that_cannot_send_fails_the_delivery_naming_why(
    modem: tuple[SimModem, str], fault: dict[str, object], expected: str
) -> None:
    sim, port = modem
    for key, value in fault.items():
        setattr(sim, key, value)
    cfg = channel(port).model_copy(update={"timeout_s": 0.5})
    with pytest.raises(DeliveryFailed, match=expected) as err:
        SmsSender(cfg).send("s", "b")
    assert port in str(err.value)
    assert sim.pdus == []
    # the fault goes away: the same sender delivers
    for key in fault:
        setattr(sim, key, {"sim": True, "pin_locked": False, "rssi": 21}.get(key))
    SmsSender(cfg).send("s", "b")
    assert len(sim.texts()) == 2


def test_a_port_that_is_not_there_fails_the_delivery() -> None:
    with pytest.raises(DeliveryFailed, match="/dev/nonexistent-modem"):
        SmsSender(channel("/dev/nonexistent-modem")).send("s", "b")


def test_the_simulated_module_refuses_a_pdu_of_another_length(
    modem: tuple[SimModem, str],
) -> None:
    """The simulator is strict where modules are: a wrong declared length is refused."""
    import serial

    sim, port = modem
    pdu = submit_pdus("10086", "你好")[0]
    with serial.Serial(port, 115200, timeout=0.1) as line:
        sender = SmsSender(channel(port))
        sender.ready(line)
        sender._command(line, f"AT+CMGS={len(pdu) // 2}\r".encode(), prompt=True)
        with pytest.raises(DeliveryFailed, match=r"\+CMS ERROR: 304"):
            sender._command(line, pdu.encode() + b"\x1a")
    assert sim.pdus == []
