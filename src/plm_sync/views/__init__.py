"""Run reports for people: HTML pages (Jinja2, autoescaped) and Excel workbooks (openpyxl)."""
