"""Printable documents: a Django template rendered to an A4 PDF by WeasyPrint.

Chinese text needs a CJK font inside the PDF, or a reader without one shows empty boxes;
the font comes with the `cvttf-notosanscjk-regular` wheel (Noto Sans CJK, a Pan-CJK font:
with lang="zh-Hans" on the page HarfBuzz picks the simplified glyph forms). WeasyPrint embeds
only the glyphs used, so a page of text stays small. Templates extend "web/print_base.html",
which sets the page size, margins and the "第 X 页 共 Y 页" footer.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path

from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"
FONT_FAMILY = "NotoSansCJK"  # the PDF names the embedded font after it


class PdfUnavailable(RuntimeError):
    """The PDF cannot be made on this server (font or library missing); message in Chinese."""


@functools.cache
def font_path() -> Path:
    """The installed CJK font file; PdfUnavailable (and an error in the log) if missing."""
    try:
        candidates = sorted(
            Path(str(entry))
            for entry in resources.files(FONT_PACKAGE).iterdir()
            if entry.name.lower().endswith((".otf", ".ttf", ".ttc"))
        )
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        candidates = []
    if not candidates:
        logger.error(
            "PDF font missing: package %s has no font file; reinstall cvttf-notosanscjk-regular",
            FONT_PACKAGE,
        )
        raise PdfUnavailable("服务器缺少中文字体，无法生成 PDF，请联系系统管理员")
    return candidates[0]


def font_css() -> str:
    """Every element, monospace and bold included, in the embedded font: a fallback to the
    host's fonts would make the PDF depend on what the server has installed, and subsetting a
    host's CFF collection (fonts-noto-cjk) costs seconds to minutes per document."""
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 100 900; '
        f'src: url("{font_path().as_uri()}"); }}\n'
        f'html, html * {{ font-family: "{FONT_FAMILY}" !important; }}'
    )


def render_pdf(template_name: str, context: dict | None = None, *, request=None) -> bytes:
    """The template rendered to PDF bytes (A4, CJK font embedded, page numbers)."""
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher
    except ImportError as exc:  # WeasyPrint or its system libraries (Pango) missing
        logger.error("PDF rendering unavailable: cannot import WeasyPrint: %s", exc)
        raise PdfUnavailable("服务器未安装 PDF 组件，无法生成 PDF，请联系系统管理员") from exc
    font_uri = font_path().as_uri()

    class FontOnlyFetcher(URLFetcher):
        """Documents hold user-entered text: nothing but our font (and inline data) is fetched,
        so no template can make the server read a file or call a URL."""

        def fetch(self, url, headers=None):
            if url != font_uri and not url.startswith("data:"):
                raise ValueError(f"PDF resource not allowed: {url[:100]}")
            return super().fetch(url, headers)

    html = render_to_string(template_name, context or {}, request=request)
    fonts = FontConfiguration()
    fetcher = FontOnlyFetcher()
    stylesheet = CSS(string=font_css(), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, base_url=str(font_path().parent), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
