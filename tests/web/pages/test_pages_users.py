"""The users page: admins add users, change roles, disable, enable and reset passwords, under
the rules of :mod:`controller.access.accounts` (shared with ``qanat user``), every change
audited."""

from __future__ import annotations

import html
from typing import Any

import pytest
from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.store import Store
from tests.helpers.pages import (
    FAST,
    PASSWORD,
    USERS,
    audit_rows,
    csrf_of,
    login,
    page_client,
)
from web.i18n import catalog

NEW = "a brand new password"


def _text(response: Any) -> str:
    return html.unescape(response.text)


def _post(client: TestClient, path: str, **form: str) -> Any:
    return client.post(path, data={**form, "csrf": csrf_of(client)})


def _user_audit(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (a.actor, a.action, a.detail)
        for a in audit_rows(store)
        if a.action.startswith("user.") and a.action != "user.locale"
    ]


def test_the_page_lists_users_with_role_state_and_last_login(
    as_role: Any,
) -> None:
    as_role("technician")  # tian logs in
    page = _text(as_role("admin").get("/users"))
    for name in USERS.values():
        assert f'id="user-{name}"' in page
    row = page[page.index('id="user-tian"') :].split("</tr>")[0]
    assert "技术员" in row and "启用" in row and "05-14 06:30" in row  # last login
    assert 'id="user-ada"><td>ada (本人)' in page


def test_an_admin_adds_a_technician_who_can_log_in(
    as_role: Any,
    app: Any,
    store: Store,
) -> None:
    admin = as_role("admin")
    sent = _post(
        admin,
        "/users",
        username="li",
        display_name="李伟",
        role="technician",
        password=NEW,
        password_again=NEW,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/users"
    assert "用户 li（技术员）已创建。" in _text(admin.get("/users"))
    assert _user_audit(store) == [("ada", "user.add", {"username": "li", "role": "technician"})]
    with page_client(app) as li:
        assert login(li, "li", NEW).status_code == 303
        assert "李伟 · 技术员" in _text(li.get("/"))


@pytest.mark.parametrize(
    ("lang", "form", "message"),
    [
        ("zh-CN", {"password": "short", "password_again": "short"}, "密码至少需要 10 个字符。"),
        ("zh-CN", {"password_again": NEW + "!"}, "两次输入的密码不一致。"),
        ("zh-CN", {"password": " " + NEW, "password_again": " " + NEW}, "密码首尾不能有空格。"),
        ("zh-CN", {"username": "Li Wei"}, "用户名 “Li Wei” 不可用"),
        ("zh-CN", {"username": "tian"}, "用户 tian 已存在。"),
        ("zh-CN", {"role": "root"}, "请选择角色：管理员、技术员或只读。"),
        (
            "en",
            {"password": "short", "password_again": "short"},
            "The password needs at least 10 characters.",
        ),
        ("en", {"password_again": "x" * 12}, "The two passwords differ."),
        ("en", {"username": "9lives"}, "Username “9lives” cannot be used"),
        ("en", {"username": "wei"}, "User wei already exists."),
    ],
)
def test_a_user_that_cannot_be_added_is_refused_in_the_pages_language(
    as_role: Any,
    store: Store,
    lang: str,
    form: dict[str, str],
    message: str,
) -> None:
    admin = as_role("admin")
    if lang == "en":
        admin.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(admin)})
    good = {"username": "li", "role": "technician", "password": NEW, "password_again": NEW}
    sent = _post(admin, "/users", **{**good, **form})
    assert sent.status_code == 422
    assert message in _text(sent)
    assert _user_audit(store) == []
    assert len(Accounts(store, hasher=FAST).users()) == 3


def test_every_account_rule_has_a_message_in_both_languages() -> None:
    codes = ("username", "password_short", "password_spaces", "password_mismatch", "role", "locale")
    for locale in ("zh-CN", "en"):
        assert all(f"users.invalid_{code}" in catalog(locale) for code in codes)


def test_nobody_disables_themselves_and_the_last_admin_stays(
    as_role: Any,
    store: Store,
) -> None:
    admin = as_role("admin")
    sent = _post(admin, "/users/ada/disable")
    assert sent.status_code == 409 and "不能停用自己的账号。" in _text(sent)
    sent = _post(admin, "/users/ada/role", role="technician")
    assert sent.status_code == 409
    last = "ada 是最后一个启用的管理员，不能停用或改为其他角色。请先添加另一个管理员。"
    assert last in _text(sent)
    accounts = Accounts(store, hasher=FAST)
    assert accounts.user("ada").role.value == "admin" and not accounts.user("ada").disabled
    assert _post(admin, "/users/wei/role", role="admin").status_code == 303
    assert _post(admin, "/users/wei/disable").status_code == 303  # another admin: fine
    sent = _post(admin, "/users/ada/role", role="viewer")  # wei is disabled: ada is the last
    assert sent.status_code == 409
    assert _post(admin, "/users/wei/enable").status_code == 303
    assert _post(admin, "/users/ada/role", role="viewer").status_code == 303
    assert admin.get("/users").status_code == 403  # ada demoted herself: no longer an admin
    assert [(actor, action) for actor, action, _ in _user_audit(store)] == [
        ("ada", "user.role"),
        ("ada", "user.disable"),
        ("ada", "user.enable"),
        ("ada", "user.role"),
    ]
    assert _post(admin, "/users/nobody/enable").status_code == 403


def test_disabling_a_user_ends_their_sessions_and_enabling_lets_them_back(
    as_role: Any,
    app: Any,
    store: Store,
) -> None:
    tech = as_role("technician")
    assert tech.get("/").status_code == 200
    admin = as_role("admin")
    assert _post(admin, "/users/tian/disable").status_code == 303
    assert "tian 已停用，其所有登录已退出。" in _text(admin.get("/users"))
    assert tech.get("/").status_code == 303  # to the login page
    assert tech.post("/stop-all", data={"csrf": "0" * 64}).status_code == 401
    with page_client(app) as again:
        assert login(again, "tian").status_code == 401
    assert _post(admin, "/users/tian/enable").status_code == 303
    with page_client(app) as again:
        assert login(again, "tian").status_code == 303
    assert _user_audit(store) == [
        ("ada", "user.disable", {"username": "tian"}),
        ("ada", "user.enable", {"username": "tian"}),
    ]
    assert _post(admin, "/users/nobody/disable").status_code == 404


def test_a_reset_password_ends_the_users_sessions(
    as_role: Any,
    app: Any,
    store: Store,
) -> None:
    tech = as_role("technician")
    admin = as_role("admin")
    sent = _post(admin, "/users/tian/password", password=NEW, password_again="different pw!")
    assert sent.status_code == 422 and "两次输入的密码不一致。" in _text(sent)
    assert tech.get("/").status_code == 200  # nothing changed
    sent = _post(admin, "/users/tian/password", password=NEW, password_again=NEW)
    assert sent.status_code == 303
    assert tech.get("/").status_code == 303
    with page_client(app) as again:
        assert login(again, "tian", PASSWORD).status_code == 401
        assert login(again, "tian", NEW).status_code == 303
    assert _user_audit(store) == [("ada", "user.passwd", {"username": "tian"})]
    assert NEW not in str([a.detail for a in audit_rows(store)])  # never a password in the log
