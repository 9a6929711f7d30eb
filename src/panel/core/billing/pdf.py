"""Invoices as PDF: a small writer of text-only PDF 1.4 files, and the invoice layout.

No dependency: the standard Helvetica fonts every PDF reader has, in WinAnsi
(cp1252) encoding, which covers "€", "£" and the "•" of card labels; characters
outside it print as "?". Pages are A4; long invoices continue on further pages.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from panel.core.billing.queries import InvoiceDetail

# Advance widths of Helvetica (1/1000 em) for ASCII 32-126, from the standard font metrics.
_WIDTHS = (
    [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278]
    + [556] * 10
    + [278, 278, 584, 584, 584, 556, 1015]
    + [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833]
    + [722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
    + [278, 278, 278, 469, 556, 333]
    + [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833]
    + [556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500]
    + [334, 260, 334, 584]
)
PAGE_W, PAGE_H, MARGIN = 595, 842, 50


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in points (bold is taken as 5 % wider; close enough for alignment)."""
    units = sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) <= 126 else 556 for c in text)
    return units * size / 1000 * (1.05 if bold else 1.0)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class PdfWriter:
    """Text, rules and filled boxes on A4 pages; `y` runs down from the top margin."""

    def __init__(self) -> None:
        self.pages: list[list[bytes]] = []
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        """Start a page; writing continues at its top margin."""
        self.pages.append([])
        self.y = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        """Go to a new page unless `height` points still fit above the bottom margin."""
        if self.y - height < MARGIN:
            self.new_page()

    def text(self, x: float, y: float, text: str, size: float = 10, bold: bool = False, align: str = "left") -> None:
        """Write one line of text with its baseline at `y`; align "right" ends it at `x`."""
        if align == "right":
            x -= text_width(text, size, bold)
        font = b"/F2" if bold else b"/F1"
        self.pages[-1].append(b"BT %s %.1f Tf %.2f %.2f Td (%s) Tj ET" % (font, size, x, y, _escape(text)))

    def rule(self, x1: float, y: float, x2: float, width: float = 0.5) -> None:
        """A horizontal line."""
        self.pages[-1].append(b"%.2f w %.2f %.2f m %.2f %.2f l S" % (width, x1, y, x2, y))

    def box(self, x: float, y: float, w: float, h: float, rgb: tuple[float, float, float]) -> None:
        """A filled rectangle (lower-left corner at x, y)."""
        r, g, b = rgb
        self.pages[-1].append(b"%.3f %.3f %.3f rg %.2f %.2f %.2f %.2f re f 0 g" % (r, g, b, x, y, w, h))

    def wrap(self, text: str, width: float, size: float = 10) -> list[str]:
        """Break `text` into lines no wider than `width`."""
        lines: list[str] = []
        for para in text.splitlines() or [""]:
            current = ""
            for word in para.split(" "):
                trial = f"{current} {word}".strip()
                if current and text_width(trial, size) > width:
                    lines.append(current)
                    current = word
                else:
                    current = trial
            lines.append(current)
        return lines

    def render(self) -> bytes:
        """The whole file."""
        objects: list[bytes] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"",  # the page tree, filled in below
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        ]
        kids = []
        for ops in self.pages:
            content = zlib.compress(b"\n".join(ops))
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content))
            content_id = len(objects)
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (PAGE_W, PAGE_H, content_id)
            )
            kids.append(b"%d 0 R" % len(objects))
        objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)


def _rgb(hex_color: str) -> tuple[float, float, float]:
    value = hex_color.lstrip("#")
    if len(value) != 6:
        return (0.2, 0.3, 0.6)
    try:
        return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return (0.2, 0.3, 0.6)


def billing_lines(billing: dict[str, str]) -> list[str]:
    """The printed address block of a billing snapshot."""
    city = " ".join(p for p in (billing.get("postcode", ""), billing.get("city", "")) if p)
    parts: Sequence[str] = (
        billing.get("name", ""),
        billing.get("company", ""),
        billing.get("address1", ""),
        billing.get("address2", ""),
        city,
        billing.get("region", ""),
        billing.get("country_name", "") or billing.get("country", ""),
        f"VAT id {billing['vat_id']}" if billing.get("vat_id") else "",
        billing.get("email", ""),
    )
    return [p for p in parts if p]


def invoice_pdf(detail: InvoiceDetail) -> bytes:
    """The invoice (or credit note) as a PDF: branding, billing details, lines, totals, payments."""
    inv, pdf = detail.invoice, PdfWriter()
    right = PAGE_W - MARGIN
    brand = detail.store.get("brand_name") or detail.store.get("name") or "Invoice"
    pdf.box(0, PAGE_H - 12, PAGE_W, 12, _rgb(detail.store.get("accent_color", "")))
    pdf.text(MARGIN, pdf.y - 10, brand, 16, bold=True)
    title = "Credit note" if inv.kind == "credit_note" else "Invoice"
    pdf.text(right, pdf.y - 10, f"{title} {inv.number}", 14, bold=True, align="right")
    pdf.y -= 30
    facts = [f"Status: {inv.status}"]
    if inv.issued_at:
        facts.append(f"Issued: {inv.issued_at:%Y-%m-%d}")
    if inv.due_date and inv.kind == "invoice":
        facts.append(f"Due: {inv.due_date:%Y-%m-%d}")
    if detail.original_number:
        facts.append(f"Refund of invoice {detail.original_number}")
    for i, fact in enumerate(facts):
        pdf.text(right, pdf.y - 12 * i, fact, 9, align="right")
    pdf.text(MARGIN, pdf.y, "Bill to", 9, bold=True)
    for i, address_line in enumerate(billing_lines(detail.billing)):
        pdf.text(MARGIN, pdf.y - 12 * (i + 1), address_line, 10)
    pdf.y -= 12 * (max(len(facts), len(billing_lines(detail.billing)) + 1) + 2)
    cols = (MARGIN, 330, 400, 470, right)
    pdf.text(cols[0], pdf.y, "Description", 9, bold=True)
    pdf.text(cols[1] + 30, pdf.y, "Qty", 9, bold=True, align="right")
    pdf.text(cols[2] + 50, pdf.y, "Unit", 9, bold=True, align="right")
    pdf.text(cols[3] + 40, pdf.y, "Tax", 9, bold=True, align="right")
    pdf.text(cols[4], pdf.y, "Amount", 9, bold=True, align="right")
    pdf.rule(MARGIN, pdf.y - 4, right)
    pdf.y -= 18
    for line in detail.lines:
        wrapped = pdf.wrap(line.description + (f" (discount {line.discount_text})" if line.discount else ""), 270)
        pdf.need(14 * len(wrapped))
        for i, part in enumerate(wrapped):
            pdf.text(cols[0], pdf.y - 12 * i, part)
        pdf.text(cols[1] + 30, pdf.y, str(line.quantity), align="right")
        pdf.text(cols[2] + 50, pdf.y, line.unit_text, align="right")
        pdf.text(cols[3] + 40, pdf.y, line.rate_text or "-", align="right")
        pdf.text(cols[4], pdf.y, line.amount_text, align="right")
        pdf.y -= 12 * len(wrapped) + 4
    pdf.rule(330, pdf.y + 6, right)
    totals = [("Subtotal", detail.subtotal_text)]
    if detail.has_discount:
        totals.append(("Discount", "-" + detail.discount_text))
    totals += [(t.label, t.amount_text) for t in detail.taxes]
    totals += [("Total", inv.total_text)]
    if inv.kind == "invoice":
        totals += [("Paid", inv.paid_text), ("Balance due", inv.balance_text)]
    pdf.need(14 * len(totals) + 10)
    pdf.y -= 8
    for label, value in totals:
        bold = label in ("Total", "Balance due")
        pdf.text(470, pdf.y, label, 10, bold=bold, align="right")
        pdf.text(right, pdf.y, value, 10, bold=bold, align="right")
        pdf.y -= 14
    notes = [detail.reverse_charge] if detail.reverse_charge else []
    notes += [
        f"{p.who_paid}: {p.amount_text} on {p.created_at:%Y-%m-%d}"
        for p in detail.payments
        if p.status not in ("pending", "failed")
    ]
    notes += [detail.notes] if detail.notes else []
    pdf.y -= 10
    for note in notes:
        for part in pdf.wrap(note, right - MARGIN, 9):
            pdf.need(12)
            pdf.text(MARGIN, pdf.y, part, 9)
            pdf.y -= 12
    return pdf.render()
