"""Printed documents carry only the embedded CJK font, whatever fonts the server has (X4).

A monospace hash, a bold word or a <pre> block once fell back to the host's fonts (DejaVu Sans
Mono; with Debian's fonts-noto-cjk installed, its CFF collection, whose subsetting took
minutes per document): the PDF then depended on the machine that printed it.
"""

from __future__ import annotations

from avrecords.lib.pdf import render_pdf
from tests.test_equipment_registry import pdf_text_and_fonts

PAGE = """{% extends "web/print_base.html" %}{% block content %}
<h1>清除记录</h1>
<p>原始文件 <code>b7244e22c2e061f6 档案</code>，经办人 <b>许静</b>。</p>
<pre>张伟 3501001 王芳</pre>
<p><tt>SHA-256</tt> <kbd>核对</kbd> <strong>完毕</strong></p>
{% endblock %}"""


def test_every_element_prints_in_the_embedded_font(settings, tmp_path):
    (tmp_path / "fonts_page.html").write_text(PAGE, encoding="utf-8")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0].get("DIRS", [])]}
    ]
    text, fonts = pdf_text_and_fonts(render_pdf("fonts_page.html"))
    assert "许静" in text and "b7244e22c2e061f6" in text and "王芳" in text
    families = {name.split(b"+", 1)[-1] for name in fonts}
    assert families and all(name.startswith(b"NotoSansCJK") for name in families), families
