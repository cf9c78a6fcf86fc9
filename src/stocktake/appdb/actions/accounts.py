"""Accounts, sign-in (with its throttling) and sessions."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from unidecode import unidecode
from zxcvbn import zxcvbn

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import _ORIGIN, add_capped, record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import ROLES, AuditEvent, User, WebSession
from stocktake.unseen import seen

_HASHER = PasswordHasher()
PASSWORD_LENGTH = 12
#: An account refuses sign-in from an address for this long after this many failed attempts in a
#: row from it; an address that fails this many times (on any names) is refused for as long.
SIGN_IN_ATTEMPTS, SIGN_IN_LOCK, ADDRESS_ATTEMPTS = 5, timedelta(minutes=15), 20
#: Said when the current password was wrong too often while changing it: signed out, and locked.
LOCKED_WORDS = (
    "current password: not right too many times; you are signed out, and signing in from here is "
    "locked for up to 15 minutes (or until an admin unlocks it)"
)
#: A wrong current password given to change it: counted with failed sign-ins, and recorded with who
#: was signed in (a session used to guess, which an anonymous failure does not show).
PASSWORD_CHECK_FAILED = "password_check_failed"
FAILED = ("sign_in_failed", PASSWORD_CHECK_FAILED)
#: Events after which a user's earlier failures no longer lock them out: an admin's Unlock, and a
#: password replaced for them.
UNLOCKING = ("user_unlocked", "password_reset")
#: The fewest guesses zxcvbn may estimate a new password needs (its score 4, "very unguessable"):
#: argon2 slows an offline attack on a stolen hash to some thousands of guesses a second on one
#: machine, so fewer than this could fall within weeks. zxcvbn's lists (30,000 common passwords,
#: names, surnames, English words) and patterns (keyboard runs, sequences, repeats, dates, digits for
#: letters, words reversed) stand in for the deny-list the NCSC's advice asks for.
LEAST_GUESSES = 10**10
#: zxcvbn is asked of at most this many characters (its limit is 72): more only make a password harder
#: to guess, and symbols standing for letters take it seconds at 72 (a recheck: 1.9 s, 0.8 s at 64).
GUESSED_LENGTH = 64
#: The symbols zxcvbn reads as letters (its l33t table).
LEET_SYMBOLS = frozenset("4@8({[<3&69!|170$5+%2")
#: What a password of digits alone is written with ("2026 2025 2024 2023", "07700 900123").
DIGITS_AND_MARKS = frozenset("0123456789 !?.,-_/:+()#*")
#: Ways a guesser tries between words, or at a password's end (none, a space, "-", "_", ".", "!" …).
SEPARATORS = 10
#: Symbols a keyboard types: what one typed at random adds.
SYMBOLS = 33
#: Words in names that are not the person's own ("Jan van Dijk", "Juan de los Santos", "Yusuf ibn
#: Ali"): a password holding them as words does not hold the name. Parts of fewer than three letters
#: are not compared at all ("do", "an", "so" of a recheck's names were ordinary words).
NAME_PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "del",
        "della",
        "los",
        "las",
        "dos",
        "das",
        "ben",
        "bin",
        "ibn",
        "abu",
        "bint",
    }
)
#: A run of the same two to 36 characters, said once by the check ("abcabc" as "abc"; a single
#: letter doubled is left: "coffee" read as "cofe" had passed as no word).
_REPEATED = re.compile(r"(.{2,36}?)\1+")
#: Words a guesser at a hospital's workspace tries first, beside the person's own names.
LIKELY_WORDS = (
    "stocktake",
    "nhs",
    "trust",
    "hospital",
    "orthopaedics",
    "orthopaedic",
    "orthopedics",
    "trauma",
    "theatre",
    "theatres",
    "ward",
    "clinic",
    "fracture",
    "surgery",
    "surgeon",
    "doctor",
    "nurse",
)
#: A session ends this long after sign-in whatever happens; its last use is written this often.
SESSION_LIFETIME, SESSION_SEEN_EVERY = timedelta(hours=8), timedelta(minutes=1)
#: Usernames: ASCII only (look-alike letters from other scripts read the same in the audit log).
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,80}")
FULL_NAME_LENGTH = 200


def create_user(
    session: Session, *, by: User | None, username: str, full_name: str, password: str, role: str
) -> User:
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    if not USERNAME.fullmatch(username.strip()):  # checked before lower(): the Kelvin sign lowers to k
        raise ActionError(
            f"username: 1 to 80 of the letters A–Z, digits, '.', '-' and '_', not {username.strip()[:100]!r}"
        )
    if len(full_name.strip()) > FULL_NAME_LENGTH:
        raise ActionError(f"full name: at most {FULL_NAME_LENGTH} characters")
    if any(c in full_name for c in "\n\r\t"):  # shown on one line of every page and the audit log
        raise ActionError("full name: one line, without tabs")
    username = username.strip().lower()
    _check_new_password(password, username, full_name=full_name)
    with _transaction(session):
        if session.scalar(select(User).where(User.username == username)):
            raise ActionError(f"username: {username!r} is taken")
        user = User(
            username=username,
            full_name=full_name.strip() or username,
            password_hash=_HASHER.hash(password),
            role=role,
            active=True,
            created_at=base._now(),
        )
        session.add(user)
        session.flush()
        record(
            session,
            user=by,
            action="user_created",
            subject=f"user:{user.id}",
            detail=f"{username}, role {role}",
        )
    return user


def set_role(session: Session, *, by: User, user_id: int, role: str, active: bool) -> None:
    """A user's role and whether they may sign in; disabling ends their sessions, so enabling them
    again later does not bring an old cookie back to life."""
    if role not in ROLES:
        raise ActionError(f"role: expected one of {', '.join(ROLES)}, not {role!r}")
    with _transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise ActionError(f"no user {user_id}")
        if user.id == by.id and (role != "admin" or not active):
            raise ActionError("role: you cannot remove your own admin role")
        user.role, user.active = role, active
        if not active:
            _end_sessions(session, user)
        record(
            session,
            user=by,
            action="user_changed",
            subject=f"user:{user.id}",
            detail=f"{role}, active={active}",
        )


def unlock_user(session: Session, *, by: User, user_id: int) -> None:
    """Let an account be signed in to again from addresses that had too many failed attempts."""
    with _transaction(session):
        if session.get(User, user_id) is None:
            raise ActionError(f"no user {user_id}")
        record(session, user=by, action="user_unlocked", subject=f"user:{user_id}")


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (:func:`attempt_sign_in`)."""
    return attempt_sign_in(session, username=username, password=password)[0]


def attempt_sign_in(session: Session, *, username: str, password: str) -> tuple[User | None, str]:
    """The active user with these credentials, or None, and what the attempt was recorded as
    (``sign_in``, ``sign_in_failed``, ``sign_in_locked`` or ``sign_in_throttled``: the page says a
    throttled address so, for any name alike); either way the attempt is logged with the client's
    address (``acting_from``).

    Refused without looking further: an address with ``ADDRESS_ATTEMPTS`` failures within
    ``SIGN_IN_LOCK`` (whatever the names tried), and an account from an address that failed on it
    ``SIGN_IN_ATTEMPTS`` times in a row, until ``SIGN_IN_LOCK`` has passed or an admin unlocks it.
    The lock is per address so that no one can lock a colleague out by guessing from elsewhere.
    Every path runs one argon2 verification, so the time taken tells no one whether a name exists
    or is locked or disabled.
    """
    client = _ORIGIN.get()[0]
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        verified = _verifies(user.password_hash if user else _unused_hash(), password)
        if _address_failures(session, client, user) >= ADDRESS_ATTEMPTS:
            action = "sign_in_throttled"
        elif user is not None and _failures_in_a_row(session, user, client) >= SIGN_IN_ATTEMPTS:
            action = "sign_in_locked"
        elif verified and user.active:
            action = "sign_in"
        else:
            action = "sign_in_failed"
        ok = action == "sign_in"
        if ok and _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        subject = f"user:{user.id}" if user else ""
        if action == "sign_in_throttled":  # an address firing sign-ins at will: capped as refusals are
            add_capped(session, user=None, action=action, subject=subject)
        else:
            record(session, user=user if ok else None, action=action, subject=subject)
    return (user if ok else None), action


def locked_out(session: Session, user: User) -> list[str]:
    """The addresses this account is locked against now (for the admins' users page)."""
    tried = session.scalars(
        select(AuditEvent.client)
        .where(
            AuditEvent.action.in_(FAILED),
            AuditEvent.subject == f"user:{user.id}",
            AuditEvent.at > base._now() - SIGN_IN_LOCK,
        )
        .distinct()
    )
    return sorted(c for c in tried if _failures_in_a_row(session, user, c) >= SIGN_IN_ATTEMPTS)


def throttled_addresses(session: Session) -> list[tuple[str, datetime]]:
    """The addresses refused sign-in now for ``ADDRESS_ATTEMPTS`` failures within ``SIGN_IN_LOCK``
    (whatever the names tried), each with when that ends, for the admins' users page: everyone
    behind such an address (a proxy, Citrix) is refused, and the page had said "Not locked"."""
    since = base._now() - SIGN_IN_LOCK
    failures = session.execute(
        select(AuditEvent.client, AuditEvent.at)
        .where(AuditEvent.action.in_((*FAILED, "sign_in_locked")), AuditEvent.at > since)
        .order_by(AuditEvent.client, AuditEvent.at)
    ).all()
    by_address: dict[str, list[datetime]] = {}
    for client, at in failures:
        by_address.setdefault(client, []).append(at)
    return sorted(
        (client, times[len(times) - ADDRESS_ATTEMPTS] + SIGN_IN_LOCK)
        for client, times in by_address.items()
        if len(times) >= ADDRESS_ATTEMPTS
    )


def change_password(session: Session, *, user: User, current: str, new: str, again: str) -> None:
    """A signed-in user's own password: they prove the current one first. Every session of theirs
    ends (one signed in with the old password may be someone else's); the caller starts a new one.

    A wrong current password is recorded with who was signed in and counts towards the sign-in lock
    (an outside check guessed 30 times from a signed-in page, round the sign-in's lock, and none was
    logged); five of the user's own in a row end every session of theirs, signing in again then
    locked from that address as a sign-in's failures lock it."""
    client = _ORIGIN.get()[0]
    # only a wrong password counts or locks: a right one is never refused for others' guesses from a
    # shared address (an outside recheck: a colleague's five wrong sign-ins signed the user out)
    if not _verifies(user.password_hash, current):
        with _transaction(session):  # kept, whatever is said (an error raised inside rolls back)
            record(session, user=user, action=PASSWORD_CHECK_FAILED, subject=f"user:{user.id}")
            session.flush()
            # the user's own wrong tries here alone: others' sign-ins from a shared address and one
            # typo had signed them out and said "not right too many times" (an outside recheck)
            locked = _failures_in_a_row(session, user, client, (PASSWORD_CHECK_FAILED,)) >= SIGN_IN_ATTEMPTS
            if locked:
                _end_sessions(session, user)
        raise ActionError(LOCKED_WORDS if locked else "current password: not right")
    _check_new_password(new, user.username, "new password", user.full_name)
    if _verifies(user.password_hash, new):
        raise ActionError("new password: the same as the current one; choose another")
    if new != again:
        raise ActionError("new password again: the two new passwords differ")
    with _transaction(session):
        user.password_hash = _HASHER.hash(new)
        _end_sessions(session, user)
        record(session, user=user, action="password_changed", subject=f"user:{user.id}")


def reset_password(session: Session, *, by: User | None, username: str, password: str) -> None:
    """Someone's forgotten password replaced (from the command line, by whoever runs the server);
    every session of theirs ends."""
    with _transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise ActionError(f"username: no account {username!r}")
        _check_new_password(password, user.username, full_name=user.full_name)
        user.password_hash = _HASHER.hash(password)
        _end_sessions(session, user)
        record(session, user=by, action="password_reset", subject=f"user:{user.id}")


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _unused_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _check_new_password(password: str, username: str, field: str = "password", full_name: str = "") -> None:
    """The one rule for a password about to be set, whoever sets it (the user, an admin, the command
    line): an outside check found the guessable ones refused only on a user's own change, and then
    "123456789012", "Password123!" and "JohnSmith2024" for john.smith taken."""
    if any("\ud800" <= c <= "\udfff" for c in password):  # bytes a terminal sent in another encoding
        raise ActionError(
            f"{field}: holds bytes that are not UTF-8 text (the terminal's encoding): set the terminal "
            "to UTF-8 and give it again"
        )
    if len(seen(password)) < PASSWORD_LENGTH:  # what draws nothing adds nothing seen (a flag's tags)
        raise ActionError(f"{field}: at least {PASSWORD_LENGTH} characters")
    if any(c < " " or c == "\x7f" for c in password) or not password.strip():  # no browser can type them
        raise ActionError(f"{field}: a control character or only spaces, which a sign-in box cannot take")
    if set(_plain(password)) <= DIGITS_AND_MARKS:  # a date, a telephone number, a run, however long
        raise ActionError(f"{field}: too easily guessed (digits or symbols alone); choose words as well")
    if _named(password, username, full_name):
        raise ActionError(f"{field}: too easily guessed (it holds the person's name); choose another")
    warning = _too_few_guesses(password, (username, full_name))
    if warning is not None:
        raise ActionError(
            f"{field}: too easily guessed ({warning}); four or more unrelated words, or three uncommon "
            "ones, make a strong one"
        )


def _too_few_guesses(password: str, names: tuple[str, ...]) -> str | None:
    """What makes the password guessable, if zxcvbn estimates fewer than ``LEAST_GUESSES`` for it as
    typed, read plainly (full-width, accented and invisible characters), or with a repeat said once
    ("Password2026!" six times: cut at the characters zxcvbn reads, its stray end had passed); or for its
    letters and digits alone, priced piece by piece with what stands between them: zxcvbn counts a
    separator as a piece of its own (10⁴ guesses each), where a guesser tries a few between words
    ("Analgesia round!" had passed)."""
    words = [w for w in re.split(r"[^a-z0-9]+", _folded(" ".join(names))) if w] + list(LIKELY_WORDS)
    plain = _plain(password)
    once = _REPEATED.sub(r"\1", plain[: 4 * GUESSED_LENGTH].casefold())  # "Password2026!PASSWORD2026!"
    for text in dict.fromkeys((password, plain, once)):
        estimate = zxcvbn(_read(text), user_inputs=words)
        if estimate["guesses"] < LEAST_GUESSES:
            return _why(estimate)
    # its letters and digits alone, priced as a guesser tries its pieces: every order of them, each
    # piece's own guesses (zxcvbn's total adds 10^4 a piece, so any four common words had passed), times
    # what stands between them
    for text in dict.fromkeys((plain, once)):
        joined = re.sub(r"[\W_]+", "", text)
        if not joined:  # a password of symbols alone has no letters to join (zxcvbn fails on nothing)
            continue
        estimate = zxcvbn(_read(joined), user_inputs=words)
        pieces = estimate["sequence"]
        priced = math.factorial(len(pieces)) * math.prod(map(_piece_guesses, pieces)) * _between(text)
        if priced < LEAST_GUESSES:
            return _why(estimate)
    return None


def _read(text: str) -> str:
    """What zxcvbn is asked of: the first ``GUESSED_LENGTH`` characters, or the first 20 where more than a
    dozen are symbols it reads as letters ("4@8({[<3&69!|170$5+%2"): it tries every reading of them,
    and a recheck's 72 such characters took it nine seconds (32, a second). So many symbols are no
    common word; a run or a repeat of them shows in the first 20."""
    read = text[:GUESSED_LENGTH]
    if sum(c in LEET_SYMBOLS for c in read) > 12:
        return read[:20]
    return read


def _between(text: str) -> float:
    """The guesses what stands between a password's letters and digits adds: a mark at either end a few
    (``SEPARATORS``: "!", "?"); the same separator between every piece a few once ("-" or " " between
    words); separators that differ as many as symbols typed at random (a password manager's "5*75$.yx";
    a recheck found a third of them refused when every symbol had counted as a separator)."""
    runs = list(re.finditer(r"[\W_]+", text))
    inner = [run.group(0) for run in runs if run.start() > 0 and run.end() < len(text)]
    price = float(SEPARATORS) ** (len(runs) - len(inner))
    if len(set(inner)) == 1:
        return price * SEPARATORS
    return price * math.prod(SYMBOLS ** len(run) for run in inner)


def _piece_guesses(piece: dict) -> float:
    """One piece's guesses; a word of the person's or of :data:`LIKELY_WORDS` by its place in that short
    list, not zxcvbn's floor of 50 for any word (a recheck: "nhs trust ward 2026" had passed)."""
    if piece["pattern"] == "dictionary" and piece.get("dictionary_name") == "user_inputs":
        return float(piece["rank"] * (2 if piece.get("reversed") else 1))
    return float(piece["guesses"])  # zxcvbn gives some as Decimal


def _why(estimate: dict) -> str:
    """zxcvbn's reason, as a clause."""
    return (
        estimate["feedback"]["warning"].rstrip(".").lower()
        or "common words, names, dates, repeats or a keyboard run"
    )


def _named(password: str, username: str, full_name: str) -> bool:
    """Whether the password holds the username (of six letters or more, either way round), or is made
    with a name of the person's of three letters or more: as a word of its own ("Frank Jones 2024",
    "FrankJones2024", "McDonald 2026", "ONeill 2026" for O'Neill, "Lukasz" for Łukasz), not inside
    another (a recheck: "Analgesia round" for Lana, "Email the rota" for Liam, "Generic drugs" for
    eric, "Tomorrow" for tom), nor reversed ("draw a red kite" for Anna Ward). zxcvbn reads names as
    words anywhere, which "Frank Jones 2024" passes; it is given them, so a password mostly of them
    ("Jo Ng 2026") falls short of its guesses."""
    squeezed = "".join(c for c in _folded(password) if c.isalnum())
    user = "".join(c for c in _folded(username) if c.isalnum())
    if len(user) >= 6 and (user in squeezed or user[::-1] in squeezed):
        return True
    names = _folded(f"{username} {full_name}").replace("'", "").replace("’", "")
    parts = set(re.split(r"[^a-z]+", names)) | {re.sub(r"[^a-z]", "", t) for t in names.split()}  # "oneill"
    parts = {p for p in parts if len(p) >= 3 and p not in NAME_PARTICLES}
    # words as written: split at anything not a letter, and also where a capital follows a small letter
    written = _plain(password).replace("'", "").replace("’", "")
    camel = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", written)
    words = {w for text in (written, camel) for w in re.split(r"[^a-z]+", _folded(text)) if w}
    return bool(words & parts)


def _folded(text: str) -> str:
    """Plain, in Latin letters and lower case: "ＪＯＨＮ", "Jöhn" and "john" alike, "Łukasz" as "lukasz"."""
    return unidecode(_plain(text)).casefold()


def _plain(text: str) -> str:
    """NFKC, accents and what draws nothing off: full-width, accented and invisibly joined letters as
    plain ones ("ＪＯＨＮ", "Jöhn", "P\u200dassword", "P\u3164assword"). Look-alike letters of other
    scripts (a Cyrillic "а") are left: no guesser's list holds them (ADR 81)."""
    return seen(unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)))


def _failures_in_a_row(session: Session, user: User, client: str, counted: tuple[str, ...] = FAILED) -> int:
    """Failed sign-ins (``counted``: wrong current passwords too, by default) to this account from
    this address within the lock period, since the last good one from there or an admin's unlock."""
    recent = (AuditEvent.subject == f"user:{user.id}", AuditEvent.at > base._now() - SIGN_IN_LOCK)
    # a good sign-in or a password proved there resets the count (an outside recheck: the password
    # changed, one typo after four wrong guesses before it locked the new one out)
    good_here = AuditEvent.action.in_(("sign_in", "password_changed")) & (AuditEvent.client == client)
    # a password replaced for them (`stocktake users password`) unlocks as an admin's Unlock does (an
    # outside check: the new password was refused as "not right" for 15 minutes after the reset)
    last_reset = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        good_here | AuditEvent.action.in_(UNLOCKING), *recent
    )
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action.in_(counted),
            AuditEvent.client == client,
            AuditEvent.id > last_reset.scalar_subquery(),
            *recent,
        )
    )


def _address_failures(session: Session, client: str, user: User | None) -> int:
    """Failed and locked-out sign-ins from this address within the lock period, to any name; for
    a user an admin has unlocked, only those since (a colleague behind the same address, or an
    attacker, must not keep staff out of their workspace)."""
    unlocked = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        AuditEvent.action.in_(UNLOCKING), AuditEvent.subject == f"user:{user.id if user else ''}"
    )
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.client == client,
            AuditEvent.action.in_((*FAILED, "sign_in_locked")),
            AuditEvent.at > base._now() - SIGN_IN_LOCK,
            AuditEvent.id > unlocked.scalar_subquery(),
        )
    )


# Sessions


def start_session(session: Session, *, user: User) -> str:
    """A new session for a user who has just signed in: the token for their cookie."""
    token, now = secrets.token_urlsafe(32), base._now()
    with _transaction(session):
        session.execute(delete(WebSession).where(WebSession.started_at < now - SESSION_LIFETIME))
        session.add(WebSession(id=_digest(token), user_id=user.id, started_at=now, seen_at=now))
    return token


def session_user(session: Session, *, token: str, idle: timedelta) -> User | None:
    """The user of a live session: not ended, started less than ``SESSION_LIFETIME`` ago, used
    within ``idle``, its account active. Its last use is written at most once a minute (a write on
    every page would cost more than the page), or a quarter of ``idle`` when that is shorter, so a
    short timeout is still renewed by use."""
    found = session.execute(
        select(WebSession, User).join(User).where(WebSession.id == _digest(token))
    ).first()
    now = base._now()
    if found is None:
        return None
    web_session, user = found
    if (
        not user.active
        or web_session.started_at <= now - SESSION_LIFETIME
        or web_session.seen_at <= now - idle
    ):
        return None
    if web_session.seen_at <= now - min(SESSION_SEEN_EVERY, idle / 4):
        with _transaction(session):
            web_session.seen_at = now
    return user


@dataclass(frozen=True)
class SessionEnds:
    """When a live session will end if nothing more is done: after ``idle`` with no use, and at the
    latest ``SESSION_LIFETIME`` after sign-in (a page warns before either)."""

    idle: datetime
    absolute: datetime

    def seconds_left(self, now: datetime) -> tuple[int, int]:
        """Whole seconds to the idle end and to the absolute end (never below 0)."""
        return tuple(max(0, int((end - now).total_seconds())) for end in (self.idle, self.absolute))


def session_ends(session: Session, *, token: str, idle: timedelta) -> SessionEnds | None:
    """When a live session ends, read without counting as a use (a page asking whether its session
    is about to end must not keep it alive); None if it has ended."""
    found = session.execute(
        select(WebSession, User).join(User).where(WebSession.id == _digest(token))
    ).first()
    if found is None or not found[1].active:
        return None
    ends = SessionEnds(idle=found[0].seen_at + idle, absolute=found[0].started_at + SESSION_LIFETIME)
    return ends if min(ends.idle, ends.absolute) > base._now() else None


def keep_session(session: Session, *, token: str, idle: timedelta) -> SessionEnds | None:
    """Stay signed in: a live session counts as used now (its idle end moves; its absolute end
    cannot). None if it has already ended: a session is never revived."""
    if session_ends(session, token=token, idle=idle) is None:
        return None
    with _transaction(session):
        session.get(WebSession, _digest(token)).seen_at = base._now()
    return session_ends(session, token=token, idle=idle)


def end_session(session: Session, *, token: str) -> None:
    """Sign-out: the session is deleted, so a copy of its cookie is worthless."""
    with _transaction(session):
        web_session = session.get(WebSession, _digest(token))
        if web_session is not None:
            user = session.get(User, web_session.user_id)
            session.delete(web_session)
            record(session, user=user, action="sign_out", subject=f"user:{user.id}")


def _end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
