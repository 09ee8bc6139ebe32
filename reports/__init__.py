"""Report requests and PDF rendering (reports/pdf.py is the one place PDFs are made)."""
