"""The tesseract engine: Debian's `tesseract` binary with its chi_sim model, TSV output.

Why the binary and not a Python binding: the engine is the Debian package
either way (pytesseract itself only runs this binary through a temporary
file and parses the same TSV), and nianbao needs just one call shape: a PNG
on stdin, word boxes on stdout. Calling it directly adds no package, keeps
the timeout and the thread limit under our control, and the few lines of
TSV parsing below are all the binding would have given.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess

from . import OcrLine, OcrUnavailable

_LANG_TEXT = "chi_sim"
_LANG_DIGITS = "eng"
_DIGITS = "0123456789.-"
# Generous: a dense page takes a few seconds; a stuck process must not hang a batch.
_TIMEOUT = 180
_INSTALL_HINT = "请安装 tesseract-ocr 和 tesseract-ocr-chi-sim（Debian/Ubuntu：apt-get install tesseract-ocr tesseract-ocr-chi-sim）"


class TesseractEngine:
    name = "tesseract"

    def __init__(self, binary: str):
        self.binary = binary
        # One thread per call: batches already run one process per core.
        self._env = dict(os.environ, OMP_THREAD_LIMIT="1")

    @classmethod
    def find(cls) -> "TesseractEngine":
        binary = shutil.which("tesseract")
        if binary is None:
            raise OcrUnavailable(f"本机未安装 OCR 引擎 tesseract，{_INSTALL_HINT}")
        try:
            out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            raise OcrUnavailable(f"OCR 引擎 tesseract 无法运行，{_INSTALL_HINT}") from None
        langs = {line.strip() for line in out.splitlines()}
        if _LANG_TEXT not in langs:
            raise OcrUnavailable(f"OCR 引擎 tesseract 缺少简体中文语言包 chi_sim，{_INSTALL_HINT}")
        return cls(binary)

    def read_lines(self, image, mode: str = "text", dpi: int | None = None) -> list[OcrLine]:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        if mode == "digits":
            args = ["-l", _LANG_DIGITS, "--psm", "6", "-c", f"tessedit_char_whitelist={_DIGITS}"]
        elif mode == "page":      # page segmentation: a uniform-block read misjudges a large title
            args = ["-l", _LANG_TEXT, "--psm", "4"]
        else:
            args = ["-l", _LANG_TEXT, "--psm", "6"]
        if dpi:
            args += ["--dpi", str(int(dpi))]
        cmd = [self.binary, "stdin", "stdout", *args, "tsv"]
        try:
            proc = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, timeout=_TIMEOUT, env=self._env)
        except subprocess.TimeoutExpired:
            raise OcrUnavailable(f"OCR 引擎 tesseract 在 {_TIMEOUT} 秒内未能完成一页的识别") from None
        except OSError as exc:
            raise OcrUnavailable(f"OCR 引擎 tesseract 无法运行（{exc.strerror or exc}）") from None
        if proc.returncode != 0:
            raise OcrUnavailable("OCR 引擎 tesseract 运行出错，未能识别页面图像")
        return parse_tsv(proc.stdout.decode("utf-8", "replace"), joiner="" if mode == "digits" else " ")


def parse_tsv(tsv: str, joiner: str = " ") -> list[OcrLine]:
    """Words of tesseract's TSV grouped into lines (block, paragraph, line), in output order."""
    lines: dict[tuple[str, str, str], list[tuple[str, int, int, int, int, float]]] = {}
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11].strip()
        if not text:
            continue
        try:
            left, top, width, height = (int(v) for v in parts[6:10])
            conf = float(parts[10])
        except ValueError:
            continue
        lines.setdefault((parts[2], parts[3], parts[4]), []).append((text, left, top, left + width, top + height, conf))
    out = []
    for words in lines.values():
        out.append(OcrLine(
            joiner.join(w[0] for w in words),
            (min(w[1] for w in words), min(w[2] for w in words), max(w[3] for w in words), max(w[4] for w in words)),
            sum(w[5] for w in words) / len(words),
        ))
    return out
