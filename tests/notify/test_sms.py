"""SMS through a modem: the PDUs (checked field by field and against a hand-made one) and
the AT dialogue with a fake modem on a pty pair (socat)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controller.config.notify import ChannelConfig
from controller.notify.errors import DeliveryFailed
from controller.notify.sms import SmsSender, address_field, submit_pdus
from tests.helpers.notify import FakeModem, decode_submit


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


def test_more_than_three_parts_are_cut() -> None:
    pdus = submit_pdus("13912345678", "长" * 500, ref=1)
    assert len(pdus) == 3
    assert "".join(decode_submit(p)[1] for p in pdus) == "长" * 201


@pytest.fixture
def modem(pty_pair: tuple[str, str]) -> Iterator[tuple[FakeModem, str]]:
    ours, modems = pty_pair
    fake = FakeModem(modems)
    try:
        yield fake, ours
    finally:
        fake.close()


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


def test_the_modem_is_given_each_part_with_its_length(modem: tuple[FakeModem, str]) -> None:
    fake, port = modem
    SmsSender(channel(port)).send("【演示】告警：水泵空转（无水流）", "详情：pump on, no flow")
    assert len(fake.pdus) == 2
    for declared, pdu in fake.pdus:
        assert declared == len(pdu) // 2 - 1
    numbers = [decode_submit(p)[0] for _, p in fake.pdus]
    assert numbers == ["+8613912345678", "13800000000"]
    assert (
        decode_submit(fake.pdus[0][1])[1]
        == "【演示】告警：水泵空转（无水流）\n详情：pump on, no flow"
    )


def test_a_modem_error_or_no_modem_fails_the_delivery(modem: tuple[FakeModem, str]) -> None:
    fake, port = modem
    fake.cms_error = 500
    with pytest.raises(DeliveryFailed, match=r"\+CMS ERROR: 500"):
        SmsSender(channel(port)).send("s", "b")
    with pytest.raises(DeliveryFailed, match="/dev/nonexistent-modem"):
        SmsSender(channel("/dev/nonexistent-modem")).send("s", "b")
