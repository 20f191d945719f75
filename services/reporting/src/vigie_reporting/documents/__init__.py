"""Printable documents (the CLSPD situation report, the annual observatory): HTML and SVG built
from the same figures as the API, turned into PDF by WeasyPrint."""
