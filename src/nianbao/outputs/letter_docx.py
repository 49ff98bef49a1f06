"""A letter in Word, laid out as GB/T 9704-2012 信函格式 (section 10.1).

Page: A4; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so 35 mm below, 26 mm right).
First page (a first-page header and footer, so later pages stay plain):
  * 发文机关标志 centred in red 小标宋, its top 30 mm from the top edge of the paper;
  * 4 mm under it a red double line, thick over thin, 170 mm long, centred;
  * 20 mm above the bottom edge a red double line, thin over thick, 170 mm, centred;
  * no page number.
Body: 发文字号 flush right under the top line; the title two lines further down in
小标宋 二号; the text in 仿宋 三号 on a fixed 28 pt line pitch.
Later pages: the page number as "— 2 —" in 宋体 四号, 7 mm under the text block,
odd pages at the right and even pages at the left, one character in from the edge.
"""
from __future__ import annotations

import copy
import threading
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋"
FONT_HEADING = "黑体"              # 一级标题 (一、…) in the follow-up letter
FONT_PAGE_NUMBER = "宋体"
FONT_LATIN = "Times New Roman"
RED = "C00000"
BODY_PT = 16           # 三号
TITLE_PT = 22          # 二号
SENDER_PT = 26         # 一号: the 发文机关标志
PAGE_NUMBER_PT = 14    # 四号
LINE_PT = 28           # fixed line pitch: 22 lines on a GB/T 9704 page
RULE_OVERHANG_MM = 7   # the red lines are 170 mm, the text block 156 mm: 7 mm out on each side

MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
SENDER_TOP_MM = 30     # 发文机关标志: top edge 30 mm from the top of the paper
BOTTOM_RULE_MM = 20    # the second red double line: 20 mm from the bottom of the paper


def _set_fonts(element: Any, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Set a run's or style's fonts, east-Asian included (w:rFonts/@w:eastAsia), dropping theme fonts."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Characters shared by both scripts (“ ” ‘ ’ — …) take the east-Asian font, as Chinese typesetting expects.
    fonts.set(qn("w:hint"), "eastAsia")


_PPR_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                   "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                   "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                   "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                   "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _double_rule(paragraph: Any, style: str, space_pt: int) -> None:
    """A red double line under the paragraph: `thickThinSmallGap` draws the thick line nearer the
    text (so, as a bottom border, thick over thin), `thinThickSmallGap` thin over thick."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    # sz in eighths of a point: 2.25 pt for the pair (about 1.3 pt thick + gap + 0.5 pt thin).
    for key, value in (("w:val", style), ("w:sz", "18"), ("w:space", str(space_pt)), ("w:color", RED)):
        bottom.set(qn(key), value)
    border.append(bottom)
    # CT_PPr is an ordered sequence: pBdr goes before shading, spacing, indentation, justification…
    ppr.insert_element_before(border, *_PPR_AFTER_PBDR)


def _field_run(paragraph: Any, instruction: str, shown: str) -> Any:
    """A run holding a field (e.g. PAGE), with `shown` as its last computed value."""
    run = paragraph.add_run()
    begin, instr, sep, end = (OxmlElement("w:fldChar"), OxmlElement("w:instrText"),
                              OxmlElement("w:fldChar"), OxmlElement("w:fldChar"))
    begin.set(qn("w:fldCharType"), "begin")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    sep.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    value = OxmlElement("w:t")
    value.text = shown
    for element in (begin, instr, sep, value, end):
        run._r.append(element)
    return run


def _page_number(footer: Any, align: Any, odd: bool) -> None:
    """— N — in 宋体 四号, one character in from the outside edge, 7 mm under the text block."""
    para = footer.paragraphs[0]
    para.alignment = align
    fmt = para.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(PAGE_NUMBER_PT)
    # The footer's bottom is BOTTOM_RULE_MM above the paper's edge; lift the number so its top
    # is 7 mm under the text block (35 mm - 7 mm = 28 mm above the edge).
    fmt.space_after = Emu(Mm(MARGINS_MM["bottom"] - 7 - BOTTOM_RULE_MM) - Pt(PAGE_NUMBER_PT))
    if odd:
        fmt.right_indent = Pt(PAGE_NUMBER_PT)
    else:
        fmt.left_indent = Pt(PAGE_NUMBER_PT)
    for piece in ("— ", None, " —"):
        run = para.add_run(piece) if piece is not None else _field_run(para, "PAGE", "2")
        run.font.size = Pt(PAGE_NUMBER_PT)
        _set_fonts(run._r, FONT_PAGE_NUMBER)


def _letterhead(section: Any, sender: str) -> None:
    """The first page's 发文机关标志, its red double line and the bottom red double line."""
    head = section.first_page_header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = head.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(SENDER_PT + 8)
    fmt.left_indent = fmt.right_indent = -Mm(RULE_OVERHANG_MM)
    run = head.add_run(sender)
    run.font.size = Pt(SENDER_PT)
    run.font.color.rgb = RGBColor.from_string(RED)
    _set_fonts(run._r, FONT_TITLE)
    _double_rule(head, "thickThinSmallGap", space_pt=round(Mm(4).pt))

    foot = section.first_page_footer.paragraphs[0]
    fmt = foot.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(1)
    fmt.left_indent = fmt.right_indent = -Mm(RULE_OVERHANG_MM)
    _double_rule(foot, "thinThickSmallGap", space_pt=0)


def _page_setup(doc: Any) -> Any:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = Mm(SENDER_TOP_MM)
    section.footer_distance = Mm(BOTTOM_RULE_MM)
    section.different_first_page_header_footer = True
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, odd=True)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, odd=False)
    return section


def _styles(doc: Any) -> None:
    # Document defaults: no theme fonts (the explicit fonts below rule), Chinese as the east-Asian language.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for fonts in defaults.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
            fonts.set(qn("w:ascii"), FONT_LATIN)
            fonts.set(qn("w:hAnsi"), FONT_LATIN)
            fonts.set(qn("w:eastAsia"), FONT_BODY)
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, FONT_BODY)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = False


_BLANK: Any = None
_BLANK_LOCK = threading.Lock()


def _drop_template_extras(doc: Any) -> None:
    """python-docx's default template carries a Word 2010 compatibility copy of its styles (438 KB of
    XML, written, compressed and copied with every letter; Word rebuilds it when it needs it) and a
    thumbnail picture of some other document, which a file browser would show for every letter."""
    for owner, kind in ((doc.part, "/stylesWithEffects"), (doc.part.package, "/thumbnail")):
        for rel in list(owner.rels.values()):
            if rel.reltype.endswith(kind):
                del owner.rels[rel.rId]          # what Part.drop_rel does; the package has no drop_rel


# Parts a letter never changes once the blank is styled and set up (a letter writes only the body,
# the first-page header and footer and the document properties).
_SETTLED = ("/styles", "/theme", "/numbering", "/fontTable", "/webSettings", "/settings")


def _freeze_settled_parts(doc: Any) -> None:
    """Hold those parts as their serialised bytes: a letter then neither copies their XML trees
    (styles.xml alone is 350 KB) nor serialises them again when it is saved. The bytes are what
    saving the live part would write. (Swaps the target of the document's relationships in place,
    keeping their ids and order; should python-docx rename those attributes, the live parts are
    simply written as before.)"""
    from docx.opc.part import Part

    rels = doc.part.rels
    for rId, rel in rels.items():
        part = rel.target_part if not rel.is_external else None
        if part is None or not rel.reltype.endswith(_SETTLED) or part.rels:
            continue
        frozen = Part(part.partname, part.content_type, part.blob, part.package)
        if hasattr(rel, "_target") and rId in getattr(rels, "_target_parts_by_rId", {}):
            rel._target = frozen
            rels._target_parts_by_rId[rId] = frozen


def blank_document() -> Any:
    """A styled, page-set-up document without a letter in it: built once per process, and every letter
    starts from a copy (python-docx parses its whole default template for each new document: a third of
    the time a Word letter took). The copy's parts are byte for byte those of a fresh build."""
    global _BLANK
    with _BLANK_LOCK:            # web requests build letters from several threads
        if _BLANK is None:
            doc = Document()
            _drop_template_extras(doc)
            _styles(doc)
            _page_setup(doc)
            _freeze_settled_parts(doc)
            _BLANK = doc
        return copy.deepcopy(_BLANK)


def build_letter_docx(ctx: dict[str, Any]) -> Any:
    """A python-docx Document with the letter's blocks laid out in 信函格式."""
    doc = blank_document()
    section = doc.sections[0]
    indent = ctx["signature_indent"]

    def para(text: str, *, font: str = FONT_BODY, size: int = BODY_PT, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
             first_line: float = 0, right: float = 0, left: float = 0, line: int = LINE_PT,
             keep: bool = False, before: float = 0) -> Any:
        p = doc.add_paragraph()
        p.alignment = align
        fmt = p.paragraph_format
        if keep:
            fmt.keep_with_next = True
        if first_line:
            fmt.first_line_indent = Pt(BODY_PT * first_line)
        if right:
            fmt.right_indent = Pt(BODY_PT * right)
        if left:
            fmt.left_indent = Pt(BODY_PT * left)
        if before:
            fmt.space_before = Pt(before)
        if line != LINE_PT:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(line)
        if text:
            run = p.add_run(text)
            run.font.size = Pt(size)
            _set_fonts(run._r, font)
        return p

    for block in ctx["blocks"]:
        kind, text = block["kind"], block["text"]
        if kind == "sender":
            _letterhead(section, text)
        elif kind == "reference":
            # 7/8 of a 三号 character under the red line, flush with the text block's right edge.
            para(text, align=WD_ALIGN_PARAGRAPH.RIGHT, before=BODY_PT * 7 / 8)
        elif kind == "title":
            para("")
            para("")                 # 标题与其上最后一个要素相距二行
            para(text, font=FONT_TITLE, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
            para("")
        elif kind == "addressee":
            para(text)
        elif kind == "heading":
            para(text, font=FONT_HEADING, first_line=2, keep=True)
        elif kind in ("opening", "item", "other", "closing"):
            para(text, first_line=2)
        elif kind == "ending":
            # The signature never stands alone on a page: the last line of text goes with it.
            para(text, first_line=2, keep=True)
        elif kind == "signature":
            para("", keep=True)
            para("", keep=True)
            para(text, align=WD_ALIGN_PARAGRAPH.RIGHT, right=indent["sender"], keep=True)
        elif kind == "date":
            para(text, align=WD_ALIGN_PARAGRAPH.RIGHT, right=indent["date"], keep=bool(ctx["contact"]))
        elif kind == "contact":
            para(text, left=2)
        else:  # pragma: no cover - letter_blocks defines the kinds
            para(text, first_line=2)

    props = doc.core_properties
    # Word's document properties hold at most 255 characters; a long agency name is cut there.
    props.title = str(ctx["title"])[:255]
    props.author = str(ctx["sender"])[:255]
    props.subject = str(ctx["report_name"])[:255]
    props.comments = "由 nianbao 根据年度报告审核结果生成"
    return doc
