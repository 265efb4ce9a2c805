"""Issue 18 §4: the first system administrator — `avrecords createadmin` on the server, or the
page `/setup/first-admin/` with the one-time code `avrecords init` prints — and the sign-in
page pointing at it while the installation has nobody."""

from __future__ import annotations

import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from avrecords import cli
from avrecords.agency import first_admin
from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, User
from tests.conftest import client_for

PASSWORD = "Fz-jianguan-2026"
PAGE = "/setup/first-admin/"


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.AVRECORDS_HOME = tmp_path
    return tmp_path


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


def _form(code: str, **changes) -> dict:
    return {
        "code": code,
        "username": "linhai",
        "full_name": "林海",
        "password": PASSWORD,
        "password_again": PASSWORD,
    } | changes


# --- the command ---------------------------------------------------------------------------


def test_the_command_creates_the_first_system_administrator_and_audits_it(db, password_file):
    call_command(
        "createadmin", username="linhai", full_name="林海", password_file=str(password_file)
    )
    admin = User.objects.get(username="linhai")
    assert admin.role == Role.SYSADMIN and admin.is_staff and not admin.is_superuser
    assert admin.check_password(PASSWORD) and admin.full_name == "林海"
    [entry] = AuditEntry.objects.filter(action="agency.first_admin")
    assert entry.actor == admin and entry.detail["via"] == "command"
    assert "林海" in entry.summary and PASSWORD not in str(entry.detail)


def test_the_command_deletes_the_code_the_page_would_have_taken(
    db, password_file, django_capture_on_commit_callbacks
):
    first_admin.issue_code()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "createadmin", username="linhai", full_name="林海", password_file=str(password_file)
        )
    assert not first_admin.code_path().exists()


def test_the_command_reads_the_password_from_standard_input(db, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("createadmin", username="linhai", full_name="林海", password_file="-")
    assert User.objects.get(username="linhai").check_password(PASSWORD)


def test_the_command_refuses_when_a_system_administrator_exists(
    org, password_file, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "make_private", lambda: None)
    status = cli.main(
        [
            "avrecords",
            "createadmin",
            "--username",
            "linhai",
            "--full-name",
            "林海",
            "--password-file",
            str(password_file),
        ]
    )
    err = capsys.readouterr().err
    assert status != 0
    assert err.count("\n") == 1 and "已有系统管理员（系统管理员，用户名 xitong），不再创建" in err
    assert not User.objects.filter(username="linhai").exists()
    assert not AuditEntry.objects.filter(action="agency.first_admin").exists()


def test_the_command_refuses_a_weak_password_in_chinese(db, tmp_path):
    weak = tmp_path / "weak.txt"
    weak.write_text("12345678\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("createadmin", username="linhai", full_name="林海", password_file=str(weak))
    assert "未创建：密码：" in str(refused.value) and "密码太短" in str(refused.value)
    assert not User.objects.exists()


def test_the_command_refuses_a_missing_name(db, password_file):
    with pytest.raises(CommandError, match="姓名：请填写姓名"):
        call_command("createadmin", username="linhai", password_file=str(password_file))


# --- the one-time code -----------------------------------------------------------------------


def test_init_writes_a_code_only_the_service_account_reads_and_keeps_it_until_used(db, home):
    code = first_admin.issue_code()
    path = home / "first-admin-code"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(code.replace("-", "")) == 16
    assert first_admin.issue_code() == code  # init run again prints the same code


def test_init_prints_the_next_step_with_the_code(db, capsys):
    cli._next_step()
    out = capsys.readouterr().out
    assert "尚未设置系统管理员" in out and "avrecords createadmin" in out
    assert first_admin.code_path().read_text().strip() in out


def test_avrecords_init_on_an_empty_installation_ends_with_the_next_step(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "make_private", lambda: None)
    assert cli.main(["avrecords", "init"]) == 0
    out = capsys.readouterr().out
    assert "已就绪" in out and "下一步：运行 avrecords createadmin" in out
    assert first_admin.code_path().read_text().strip() in out


def test_no_code_is_made_once_someone_exists(org, home):
    (home / "first-admin-code").write_text("AAAA-BBBB-CCCC-DDDD\n")
    assert first_admin.issue_code() is None
    assert not (home / "first-admin-code").exists()


# --- the page ------------------------------------------------------------------------------


def test_the_sign_in_page_says_no_administrator_is_set_up_yet(db):
    page = client_for(None).get("/login/").content.decode()
    assert "尚未设置系统管理员" in page and f'href="{PAGE}"' in page


def test_the_sign_in_page_says_nothing_of_it_once_someone_exists(org):
    assert "尚未设置系统管理员" not in client_for(None).get("/login/").content.decode()


def test_the_page_refuses_without_the_code(db):
    first_admin.issue_code()
    response = client_for(None).post(PAGE, _form(""))
    assert response.status_code == 400
    assert "请输入服务器上 avrecords init 给出的设置码" in response.content.decode()
    assert not User.objects.exists()


def test_the_page_refuses_a_wrong_code(db):
    first_admin.issue_code()
    response = client_for(None).post(PAGE, _form("AAAA-BBBB-CCCC-DDDD"))
    assert response.status_code == 403
    assert "设置码不正确" in response.content.decode()
    assert not User.objects.exists()


def test_the_page_refuses_any_code_before_init_made_one(db):
    response = client_for(None).get(PAGE)
    assert "请先在服务器上运行" in response.content.decode()
    assert client_for(None).post(PAGE, _form("AAAA-BBBB-CCCC-DDDD")).status_code == 403


def test_the_page_shows_password_rules_under_the_field(db):
    code = first_admin.issue_code()
    response = client_for(None).post(PAGE, _form(code, password="123", password_again="123"))
    assert response.status_code == 422
    assert "密码太短" in response.content.decode()
    assert not User.objects.exists() and first_admin.code_path().exists()


def test_the_right_code_creates_the_administrator_deletes_the_code_and_closes_the_page(
    db, django_capture_on_commit_callbacks
):
    code = first_admin.issue_code()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(None).post(PAGE, _form(code.lower().replace("-", " ")))
    assert response.status_code == 302 and response["Location"] == "/login/"
    admin = User.objects.get(username="linhai")
    assert admin.role == Role.SYSADMIN and admin.is_staff
    [entry] = AuditEntry.objects.filter(action="agency.first_admin")
    assert entry.actor == admin and entry.detail["via"] == "page"
    assert not first_admin.code_path().exists()

    assert client_for(admin).get(PAGE).status_code == 404
    assert client_for(admin).post(PAGE, _form(code)).status_code == 404
    anonymous = client_for(None).get(PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert User.objects.count() == 1
