"""Cleaning of text typed by people.

Residents write plain text: it is stored as typed (minus control characters) and escaped by the
templates and JSON encoders on output, so markup shows as text and never runs. Staff may write
simple HTML in a campaign's context: it goes through nh3 with a short list of allowed tags.
"""

import re
import unicodedata

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "abbr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


def clean_plain_text(value: str) -> str:
    """Normalise a text typed by a person: NFC, Unix newlines, no control characters."""
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    value = re.sub(r"\n{3,}", "\n\n", value)
    return value.strip()


def clean_html(value: str) -> str:
    """Sanitise staff-written HTML: allowed tags only, safe links, no scripts or styles."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
