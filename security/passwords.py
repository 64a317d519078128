"""Password hashing (argon2id through the passlib API of ``libpass``) and the password policy.

Pure functions and one small class: no web, no database. The backend builds one
``PasswordHasher`` per process from its settings; tests build a cheap one.
"""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass

from passlib.context import CryptContext

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes anything, but a megabyte "password" is a denial of service

# Frequent passwords (and the frequent long ones people pick to pass a length rule). The
# check also strips trailing digits/symbols, so "Password2024!!" counts as "password".
COMMON_PASSWORDS = frozenset(
    """
    123456 123456789 12345678 1234567890 123456789012 1234567890123 111111111111
    000000000000 123123123123 password password1 password12 password123 password1234
    passw0rd p@ssw0rd motdepasse motdepasse1 motdepasse123 azerty azertyuiop azerty123
    azertyuiop123 qwerty qwertyuiop qwerty123 qwerty123456 qwertyuiop123 iloveyou
    iloveyou123 letmein letmein123 welcome welcome123 bienvenue bienvenue123 admin
    administrator admin123 admin1234 changeme changemenow secret secret123 soleil
    soleil123 football baseball dragon monkey sunshine princess starwars master
    trustno1 loveme whatever superman batman shadow michael jennifer abc123 abcdef
    abcdefghijkl octroi octroi123 banque banque123 credit credit123 correcthorsebatterystaple
    """.split()
)


class PasswordPolicyError(ValueError):
    """The password breaks the policy; the message says which rules, ``reasons`` names them
    (``password_too_short``, ``password_too_long``, ``password_too_common``,
    ``password_contains_username``)."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


def broken_password_rules(password: str, username: str | None = None) -> list[tuple[str, str]]:
    """Every rule ``password`` breaks, as (machine-readable reason, plain words); empty when
    it is acceptable."""
    broken: list[tuple[str, str]] = []
    if len(password) < MIN_LENGTH:
        broken.append(("password_too_short", f"must be at least {MIN_LENGTH} characters long"))
    if len(password) > MAX_LENGTH:
        broken.append(("password_too_long", f"must be at most {MAX_LENGTH} characters long"))
    lowered = password.lower()
    core = lowered.rstrip(string.digits + string.punctuation + " ")
    if lowered in COMMON_PASSWORDS or core in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        broken.append(("password_too_common", "is too common or too repetitive"))
    if username and username.strip() and username.strip().lower() in lowered:
        broken.append(("password_contains_username", "must not contain the username"))
    return broken


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Every rule ``password`` breaks, in plain words (empty when it is acceptable)."""
    return [words for _, words in broken_password_rules(password, username)]


def check_password_policy(password: str, username: str | None = None) -> None:
    broken = broken_password_rules(password, username)
    if broken:
        raise PasswordPolicyError("password " + "; ".join(words for _, words in broken),
                                  tuple(reason for reason, _ in broken))


def generate_password(nbytes: int = 18) -> str:
    """A random one-time password (24 URL-safe characters by default)."""
    while True:
        candidate = secrets.token_urlsafe(nbytes)
        if not password_problems(candidate):
            return candidate


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters. The defaults follow the argon2-cffi / RFC 9106 low-memory profile."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    def at_least(self, floor: Argon2Params) -> bool:
        return (
            self.time_cost >= floor.time_cost
            and self.memory_kib >= floor.memory_kib
            and self.parallelism >= floor.parallelism
        )


# OWASP's minimum for argon2id (19 MiB, 2 iterations): production refuses anything weaker.
PRODUCTION_FLOOR = Argon2Params(time_cost=2, memory_kib=19456, parallelism=1)


class PasswordHasher:
    """Hash and verify with argon2id; tells the caller when a stored hash needs upgrading."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        self.params = params or Argon2Params()
        self._context = CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__time_cost=self.params.time_cost,
            argon2__memory_cost=self.params.memory_kib,
            argon2__parallelism=self.params.parallelism,
        )
        # Verified for unknown users so they cost the same time as real ones.
        self._dummy_hash = self._context.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._context.hash(password)

    def verify(self, password: str, stored_hash: str) -> tuple[bool, str | None]:
        """``(matches, new_hash)``; ``new_hash`` is set when the parameters changed."""
        try:
            return self._context.verify_and_update(password, stored_hash)
        except (ValueError, TypeError):
            # A corrupt or foreign hash never matches; still spend the time.
            self.burn(password)
            return False, None

    def burn(self, password: str) -> None:
        """Spend one verification's worth of time (unknown user, locked account)."""
        self._context.verify(password, self._dummy_hash)

    def needs_update(self, stored_hash: str) -> bool:
        return self._context.needs_update(stored_hash)


def constant_time_equals(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))
