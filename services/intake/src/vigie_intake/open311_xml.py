"""GeoReport v2's XML format: the same data as the JSON answers, in the standard's element names
(`<services><service>`, `<service_requests><request>`, `<errors><error>`, `<service_definition>`,
`<discovery>`). Pure."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

# A list under one of these names holds elements of the singular name.
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def xml_document(root: str, data: dict[str, Any] | list[Any]) -> bytes:
    """`data` as an XML document whose root element is `root` (a list: one child per item)."""
    element = Element(root)
    _fill(element, root, data)
    document: bytes = tostring(element, encoding="utf-8", xml_declaration=True)
    return document


def _fill(element: Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), key, item)
    elif isinstance(value, list):
        item_name = _ITEMS.get(name, "item")
        for item in value:
            _fill(SubElement(element, item_name), item_name, item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
