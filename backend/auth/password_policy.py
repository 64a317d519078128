"""The password policy applied to the password as a person sees it.

``security.passwords`` holds the rules (12 characters at least, 256 at most, not common, not
the username); it reads the characters as stored. Read that way, "Ab1!" and eight NULs had 12
characters, a zero-width space split the username out of sight ("gina\\u200bcx1...") and
full-width letters ("ｐａｓｓｗｏｒｄ１２３４") were neither common nor the username. Here:

- the minimum counts the characters that show: NFKC form, without control and format
  characters, line or paragraph separators, unassigned or private-use code points, nor
  combining marks left over (an accent that composes with its letter is one character, as
  seen); a run of spaces counts once, spaces at either end not at all;
- the common-password rule reads that same visible form (case-insensitive);
- the username is looked for in the letters and digits of the password (NFKC, casefolded):
  "GINA.CX1", "ｇｉｎａ＿ｃｘ１" and "gina\\u200bcx1" all contain "gina_cx1";
- the maximum still counts what is stored (what argon2 hashes).

The password itself is hashed as typed: nothing here changes what a user must type.
"""

from __future__ import annotations

import re
import unicodedata

from security.passwords import MIN_LENGTH, PasswordPolicyError, broken_password_rules

# Categories that show nothing on their own: controls (NUL, ESC), format characters (zero-width
# space and joiners, bidi overrides, soft hyphen), surrogates, private use, unassigned, line and
# paragraph separators, and combining marks (drawn on the character before them).
_NOT_SEEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me"})
_SPACES = re.compile(r"\s+")
_MIN_WORDS = (f"must be at least {MIN_LENGTH} characters long, counting only characters that show "
              "(not control, format or combining characters; a run of spaces counts once)")
# A username's letters and digits shorter than this ("a.b") would match too many passwords.
_MIN_NAME_SKELETON = 3


def seen(password: str) -> str:
    """``password`` as it shows: NFKC, invisible characters dropped, each run of spaces one
    space, no space at either end."""
    normalised = unicodedata.normalize("NFKC", password)
    shown = "".join(ch for ch in normalised if unicodedata.category(ch) not in _NOT_SEEN)
    return _SPACES.sub(" ", shown).strip()


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def broken_rules(password: str, username: str | None = None) -> list[tuple[str, str]]:
    """Every rule ``password`` breaks as seen, as (machine-readable reason, plain words), in
    ``security.passwords``' order; empty when it is acceptable."""
    shown = seen(password)
    found: dict[str, str] = {}
    for reason, words in broken_password_rules(password, username) + broken_password_rules(shown, username):
        found.setdefault(reason, words)
    if len(shown) < MIN_LENGTH:
        found["password_too_short"] = _MIN_WORDS
    else:
        found.pop("password_too_short", None)
    if username:
        name = _letters_and_digits(username)
        if len(name) >= _MIN_NAME_SKELETON and name in _letters_and_digits(shown):
            found.setdefault("password_contains_username", "must not contain the username")
    order = ("password_too_short", "password_too_long", "password_too_common", "password_contains_username")
    return sorted(found.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def check_password_policy(password: str, username: str | None = None) -> None:
    """``PasswordPolicyError`` naming every broken rule (``reasons``), as ``security.passwords``
    does, for the password as seen."""
    broken = broken_rules(password, username)
    if broken:
        raise PasswordPolicyError("password " + "; ".join(words for _, words in broken),
                                  tuple(reason for reason, _ in broken))
