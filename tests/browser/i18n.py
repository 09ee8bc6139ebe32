"""Finds text a page shows in English when it should be in the user's language.

Every visible text node and every user-facing attribute (placeholder, title, aria-label, alt,
button values) is collected in the browser. In an Arabic page a word written in Latin letters is
suspect: the interface has no reason to show one. What is allowed is data (institution names,
usernames, references the test itself created, passed in ``allowed``), acronyms and codes written
in capitals and digits (PAR30, OSS, MAD, 2026Q3, CSV), and a handful of product names. Anything else
is reported with the element it sits in, so a missing ``{% translate %}`` or catalogue entry is
easy to find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_COLLECT = """
() => {
  const out = [];
  const hidden = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || e.hidden) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(parent.tagName)) continue;
    const text = node.textContent.trim();
    if (!text || hidden(parent)) continue;
    out.push([parent.tagName.toLowerCase() + (parent.className ? '.' + parent.className : ''), text]);
  }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label],[alt],input[type=submit],input[type=button]')) {
    for (const name of ['placeholder', 'title', 'aria-label', 'alt', 'value']) {
      if (name === 'value' && !(el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type))) continue;
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push([el.tagName.toLowerCase() + '@' + name, value.trim()]);
    }
  }
  out.push(['title', document.title]);
  return out;
}
"""

#: Latin words an Arabic interface legitimately shows.
ALWAYS_ALLOWED = {"mfme", "Excel", "xlsx", "csv", "IsDB", "Shariah", "API"}
#: The language switcher names each language in itself.
ALWAYS_ALLOWED |= {"Français", "English"}
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'’-]{2,}")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_./-]*$")


def untranslated_texts(page: object, *, allowed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(element, text) pairs that still contain Latin words that are neither data nor codes."""
    allowed_texts = sorted({str(text) for text in allowed if text}, key=len, reverse=True)
    found: list[tuple[str, str]] = []
    for where, text in page.evaluate(_COLLECT):  # type: ignore[attr-defined]
        rest = text
        for value in allowed_texts:
            rest = rest.replace(value, " ")
        words = [
            word
            for word in _LATIN_WORD.findall(rest)
            if word not in ALWAYS_ALLOWED and not _CODE.match(word)
        ]
        if words:
            found.append((where, text))
    return found
