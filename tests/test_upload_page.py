"""The upload page (M1, X4; issue 19 §3): with JavaScript it sends each file by the resumable
protocol (its script and the vendored tus-js-client come from our own static files, told the
endpoint, the part size and the size limit by the form); without JavaScript the same form
posts the files to the page, which imports them as one batch and lists each file's outcome,
or says in Chinese why nothing was imported. The browser side is tests/browser/
test_resumable_upload.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from avrecords.recordings.models import IngestBatch, Recording
from avrecords.recordings.views_upload import BROWSER_PART_BYTES
from tests import media as m
from tests.conftest import client_for

TUS_VERSION = "4.3.1"


@pytest.fixture(autouse=True)
def upload_tmp(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")


def _form(page: str) -> str:
    return re.search(r'<form id="upload-form"[^>]*>', page)[0]


def _posting_client(user) -> tuple[Client, str]:
    """A browser without JavaScript: the session, the CSRF cookie and the form's token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/upload/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    return client, token


def test_the_form_posts_its_files_to_the_page_without_javascript(org):
    form = _form(client_for(org.officer).get("/upload/").content.decode())
    assert 'method="post"' in form and 'action="/upload/"' in form
    assert 'enctype="multipart/form-data"' in form


def test_the_form_tells_the_script_where_and_how_to_upload(org, settings):
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 2 * 1024**3
    page = client_for(org.officer).get("/upload/").content.decode()
    form = _form(page)
    assert 'data-endpoint="/api/v1/uploads/"' in form
    assert f'data-part-bytes="{BROWSER_PART_BYTES}"' in form
    assert f'data-max-bytes="{2 * 1024**3}"' in form
    assert "data-too-large=" in form and "文件超过上传大小上限（2048 MB）" in form
    assert "单个文件不超过 2.0 GB" in page


def test_its_scripts_are_our_own_static_files_and_none_is_inline(org):
    page = client_for(org.officer).get("/upload/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert all('src="/static/' in tag for tag in scripts), scripts
    for path in (
        "recordings/vendor/tus-js-client/tus.min.js",
        "recordings/resumable_upload.js",
        "recordings/upload.css",
    ):
        assert f"/static/{path}" in page
        assert finders.find(path), path


def test_the_vendored_tus_client_names_its_version_and_ships_its_licence():
    script = Path(finders.find("recordings/vendor/tus-js-client/tus.min.js")).read_text()
    assert script.startswith(f"/*! tus-js-client {TUS_VERSION} ")
    assert "sourceMappingURL" not in script  # no map to fetch, nothing from elsewhere
    licence = Path(finders.find("recordings/vendor/tus-js-client/LICENSE")).read_text()
    assert "MIT License" in licence


def test_without_javascript_the_files_are_imported_and_each_outcome_listed(org, library):
    client, token = _posting_client(org.officer)
    files = [
        SimpleUploadedFile(m.H264, (library / m.H264).read_bytes()),
        SimpleUploadedFile(m.UNSUPPORTED, (library / m.UNSUPPORTED).read_bytes()),
    ]
    response = client.post("/upload/", {"files": files, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    page = response.content.decode()
    recording = Recording.objects.get(original_name=m.H264)
    assert recording.uploaded_by == org.officer
    assert f'<a href="/recordings/{recording.pk}/">{m.H264}</a></td><td>已导入</td>' in page
    assert f"<td>{m.UNSUPPORTED}</td><td>已跳过</td><td>不支持的文件类型（docx）</td>" in page
    assert IngestBatch.objects.get().source_path == "网页/接口上传"


def test_without_javascript_an_upload_with_no_file_is_refused_in_chinese(org):
    client, token = _posting_client(org.officer)
    response = client.post("/upload/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert "上传失败：没有收到文件" in response.content.decode()
    assert not IngestBatch.objects.exists()


def test_without_javascript_a_file_over_the_limit_is_refused_and_nothing_kept(
    org, library, settings, tmp_path
):
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 1024
    client, token = _posting_client(org.officer)
    upload = SimpleUploadedFile(m.H264, (library / m.H264).read_bytes())
    response = client.post("/upload/", {"files": upload, "csrfmiddlewaretoken": token})
    assert response.status_code == 413
    assert "文件超过上传大小上限" in response.content.decode()
    assert not Recording.objects.exists()
    kept = tmp_path / "upload-tmp"
    assert not kept.exists() or list(kept.iterdir()) == []


def test_without_the_pages_token_nothing_is_imported(org, library):
    client, _ = _posting_client(org.officer)
    upload = SimpleUploadedFile(m.H264, (library / m.H264).read_bytes())
    response = client.post("/upload/", {"files": upload})
    assert response.status_code == 403
    assert not Recording.objects.exists()


def test_a_person_who_may_not_upload_is_refused_before_anything_is_imported(org, library):
    client, token = _posting_client(org.officer)
    client.force_login(org.leader)  # the same browser, now the leader's session
    client.get("/")
    token = client.cookies["csrftoken"].value
    upload = SimpleUploadedFile(m.H264, (library / m.H264).read_bytes())
    response = client.post("/upload/", {"files": upload, "csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert not Recording.objects.exists()
