"""Documents of every supported type, generated in code so no binary sits in the repo."""

import io
import json
import zipfile

from docx import Document
from fpdf import FPDF

MARKDOWN = """# Sunrise Dental Clinic

## Opening hours
We are open Monday to Friday from 8am to 6pm, and on Saturday from 9am to noon.

## Parking
Free parking is available behind the building; enter from Elm Street.

## Cancellations
Please cancel at least 24 hours in advance, otherwise a $40 fee applies.
"""

CSV = """Service,Price,Duration
Teeth cleaning,$120,45 minutes
Whitening,$350,90 minutes
Filling,$180,60 minutes
Root canal,$900,120 minutes
"""

JSON_DOC = json.dumps(
    {
        "title": "Insurance FAQ",
        "faqs": [
            {"question": "Do you accept Delta Dental?", "answer": "Yes, we are in network."},
            {"question": "Do you bill Medicare?", "answer": "No, Medicare is not accepted."},
        ],
    }
)

HTML = b"""<!DOCTYPE html><html><head><title>Our Team</title></head><body>
<nav><a href="/">Home</a> | <a href="/team">Team</a> | <a href="/contact">Contact</a></nav>
<article><h1>Meet our team</h1>
<p>Dr. Alice Moreno has been our lead dentist since 2012. She specialises in gentle care for
anxious patients and children, and speaks English and Spanish fluently.</p>
<p>Dr. Ben Okafor joined in 2019 and performs all root canal treatments and implants. He trained
at the University of Edinburgh dental school and lectures on endodontics.</p>
<h2>Hygienists</h2>
<p>Our two hygienists, Carla and Dev, run the cleaning appointments every weekday morning and
also teach brushing techniques to our youngest patients.</p>
</article>
<footer>Copyright 2025 Sunrise Dental. All rights reserved.</footer>
</body></html>"""

PLAIN = """Sunrise Dental was founded in 2004 by Dr. Maria Lopez.

The practice moved to its current address at 12 Elm Street in 2016."""


def pdf_bytes(paragraphs: list[tuple[str, str]]) -> bytes:
    pdf = FPDF()
    pdf.set_title("Patient Policy")
    pdf.add_page()
    for heading, body in paragraphs:
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 8, heading)
        pdf.ln(2)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, body)
        pdf.ln(6)
    return bytes(pdf.output())


POLICY = [
    (
        "Missed appointments",
        "Patients who miss two appointments without notice will be asked "
        "to pay a deposit before booking again.",
    ),
    ("Payment", "Payment is due at the time of service. We accept cards, cash and bank transfer."),
]


def docx_bytes() -> bytes:
    doc = Document()
    doc.add_heading("Emergency care", level=1)
    doc.add_paragraph("For a dental emergency outside opening hours call 555-0100.")
    doc.add_heading("Children", level=2)
    doc.add_paragraph("Children under five are seen free of charge for check-ups.")
    table = doc.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Day"
    table.rows[0].cells[1].text = "On call"
    table.rows[1].cells[0].text = "Sunday"
    table.rows[1].cells[1].text = "Dr. Moreno"
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(unpacked_bytes: int) -> bytes:
    """A DOCX-looking archive whose one member unpacks to `unpacked_bytes` of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * unpacked_bytes)
    return buffer.getvalue()
