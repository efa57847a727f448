"""Type stubs for the native module (hand-written; checked with `python -m mypy.stubtest`)."""

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Any, final

__all__ = [
    "ShieldwallError",
    "TextError",
    "ApiKeyError",
    "Authorization",
    "IssuedKey",
    "KeyCheck",
    "KeyMatch",
    "KeyRecord",
    "Keyring",
    "check_key",
    "scan_keys",
    "HiddenReport",
    "NormalizedText",
    "Normalizer",
    "normalize",
    "__version__",
]

__version__: str

class ShieldwallError(ValueError):
    """Base class of the errors Shieldwall raises for bad input or misuse."""

class TextError(ShieldwallError):
    """An error from the text layer.

    ``kind`` is ``"input_too_large"``, ``"out_of_range"`` or ``"invalid_config"``.
    """

    kind: str

@final
class HiddenReport:
    """Counts of what normalisation removed, decoded or folded, per class."""

    @property
    def invisible(self) -> int:
        """Zero-width and other invisible format characters removed."""
    @property
    def bidi(self) -> int:
        """Bidirectional control characters removed."""
    @property
    def tag(self) -> int:
        """Tag characters decoded or removed."""
    @property
    def variation_selector(self) -> int:
        """Variation selectors removed."""
    @property
    def control(self) -> int:
        """Control characters removed."""
    @property
    def combining_mark(self) -> int:
        """Combining diacritical marks stripped."""
    @property
    def confusable(self) -> int:
        """Look-alike letters folded to ASCII."""
    @property
    def compatibility(self) -> int:
        """Clusters NFKC changed."""
    @property
    def whitespace(self) -> int:
        """Non-ASCII white space characters seen."""
    @property
    def mixed_script_words(self) -> int:
        """Words mixing ASCII letters with look-alike letters of another script."""
    @property
    def tag_payload(self) -> str:
        """The ASCII text spelled by tag characters, empty if none."""
    def hidden_total(self) -> int:
        """Characters that render as nothing: invisible, bidi, tag, variation selectors, controls."""
    def is_clean(self) -> bool:
        """Whether nothing was hidden or disguised (whitespace and case changes aside)."""
    def to_dict(self) -> dict[str, int | str]:
        """The report as a dict of field name to value."""

@final
class NormalizedText:
    """A normalised view of a text, its map back to the original, and the report."""

    @property
    def text(self) -> str:
        """The normalised text."""
    @property
    def original(self) -> str:
        """The original text."""
    @property
    def report(self) -> HiddenReport:
        """What was removed or folded."""
    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The code point range of the original that the view range ``start:end`` stands for.

        Raises ``TextError`` (kind ``"out_of_range"``) when an offset is negative or the
        range is reversed or ends past the view.
        """

@final
class Normalizer:
    """Turns texts into normalised views; reusable and thread-safe.

    Every step is on by default; pass ``False`` to switch one off. ``max_input_bytes`` (UTF-8
    bytes, default 16 MiB, at most 128 MiB) bounds the input; a value outside that raises
    ``TextError`` (kind ``"invalid_config"``). An unknown option raises ``TypeError``.
    """

    def __new__(
        cls,
        *,
        nfkc: bool | None = None,
        case_fold: bool | None = None,
        remove_invisible: bool | None = None,
        decode_tags: bool | None = None,
        strip_marks: bool | None = None,
        fold_confusables: bool | None = None,
        collapse_whitespace: bool | None = None,
        max_input_bytes: int | None = None,
    ) -> Normalizer: ...
    def normalize(self, text: str) -> NormalizedText:
        """Normalises ``text`` (the GIL is released meanwhile).

        Raises ``TextError`` (kind ``"input_too_large"``) past ``max_input_bytes``.
        """

def normalize(
    text: str,
    *,
    nfkc: bool | None = None,
    case_fold: bool | None = None,
    remove_invisible: bool | None = None,
    decode_tags: bool | None = None,
    strip_marks: bool | None = None,
    fold_confusables: bool | None = None,
    collapse_whitespace: bool | None = None,
    max_input_bytes: int | None = None,
) -> NormalizedText:
    """Normalises ``text``; keyword options are those of ``Normalizer``."""

class ApiKeyError(ShieldwallError):
    """An error from the API key layer.

    ``kind`` is ``"malformed"``, ``"checksum"``, ``"invalid_config"``, ``"not_found"``,
    ``"already_exists"``, ``"invalid_state"``, ``"random"`` or ``"store"``; ``part`` names the
    part of a key that is wrong (``"prefix"``, ``"environment"``, ``"id"``, ``"secret"``,
    ``"checksum"``) or is None. Messages never contain key material.
    """

    kind: str
    part: str | None

@final
class IssuedKey:
    """A freshly issued key: the key to hand to its owner once, and the stored record.

    The ``repr`` shows only the key's public part.
    """

    @property
    def key(self) -> str:
        """The whole key, secret included. Show it to its owner once; never log it."""
    @property
    def id(self) -> str:
        """The key's public id."""
    @property
    def redacted(self) -> str:
        """The key with its secret replaced by ``…``: safe to log."""
    @property
    def record(self) -> KeyRecord:
        """The stored record (no key material, only its hash)."""

@final
class KeyRecord:
    """What the server keeps about a key: never the key, only its peppered hash.

    Times are unix seconds. ``to_dict()`` / ``to_json()`` give the core's JSON format (the one
    ``shieldwall key new`` prints); ``KeyRecord.from_json`` reads it.
    """

    @staticmethod
    def from_json(json: str) -> KeyRecord:
        """Reads a record; raises ``ApiKeyError`` (kind ``"invalid_config"``) when invalid."""
    def to_json(self) -> str:
        """The record in the core's JSON format."""
    def to_dict(self) -> dict[str, Any]:
        """The record as a dict (the JSON format)."""
    @property
    def id(self) -> str:
        """The key's public id."""
    @property
    def prefix(self) -> str:
        """The key's product prefix."""
    @property
    def environment(self) -> str:
        """``"live"`` or ``"test"``."""
    @property
    def hash(self) -> str:
        """HMAC-SHA256 of the key under the pepper, as 64 hex digits."""
    @property
    def scopes(self) -> dict[str, Any]:
        """The scopes as a dict (the JSON format; absent restrictions are left out)."""
    @property
    def created(self) -> int:
        """When the key was issued."""
    @property
    def expires(self) -> int | None:
        """When the key stops working, if ever."""
    @property
    def revoked(self) -> int | None:
        """When the key was revoked, if it was."""
    @property
    def last_used(self) -> int | None:
        """When the key was last used (recorded at the keyring's touch interval)."""
    @property
    def predecessor(self) -> str | None:
        """The id of the key this one replaced by rotation."""
    @property
    def successor(self) -> str | None:
        """The id of the key that replaced this one by rotation."""
    @property
    def superseded_until(self) -> int | None:
        """After rotation: the end of the grace period in which this key still works."""

@final
class Authorization:
    """The decision for one request: allowed with a grant, or denied with the failed check.

    True in a boolean context only when allowed.
    """

    @property
    def allowed(self) -> bool:
        """Whether the request may proceed."""
    @property
    def reason(self) -> str | None:
        """The denial's reason (``"max_tokens"``, ``"expired"``, ``"malformed"``, ...)."""
    @property
    def grant(self) -> dict[str, Any] | None:
        """The grant: ``id``, ``environment``, and when set ``limiter_policy``,
        ``max_tokens``, ``superseded_until``. None if denied."""
    @property
    def denial(self) -> dict[str, Any] | None:
        """The denial: ``reason`` and its details (e.g. ``requested``, ``max``). None if allowed."""
    def to_dict(self) -> dict[str, Any]:
        """The decision as a dict: ``{"decision": "allow" | "deny", ...}``."""
    def __bool__(self) -> bool: ...

@final
class Keyring:
    """Issues, verifies, authorizes, rotates and revokes API keys, keeping records in memory.

    ``pepper`` is the server-side secret (at least 32 bytes) under which key hashes are
    computed. ``prefix`` (default ``"sw"``) starts every key; ``touch_interval`` (default 60 s)
    is how often ``last_used`` is written; ``records`` reloads exported records. Every ``now``
    is unix seconds and defaults to the clock. Thread-safe; the GIL is released while hashing.
    Raises ``ApiKeyError`` (kind ``"invalid_config"``) for a short pepper or a bad prefix.
    """

    def __new__(
        cls,
        pepper: bytes,
        *,
        prefix: str | None = None,
        touch_interval: int | None = None,
        records: Sequence[KeyRecord] | None = None,
    ) -> Keyring: ...
    @property
    def prefix(self) -> str:
        """The product prefix of this keyring's keys."""
    def issue(
        self,
        *,
        env: str = "live",
        scopes: Mapping[str, Any] | None = None,
        expires_in: int | None = None,
        now: int | None = None,
    ) -> IssuedKey:
        """Issues a key and stores its record.

        ``scopes`` is the core's JSON shape: ``models`` and ``endpoints`` (glob lists),
        ``max_tokens``, ``limiter_policy``, ``ip_allow`` (CIDR list). Unknown or invalid
        entries raise ``ApiKeyError`` (kind ``"invalid_config"``).
        """
    def verify(self, key: str, *, now: int | None = None) -> Authorization:
        """Verifies a key: format, checksum, hash, revocation, expiry and rotation."""
    def authorize(
        self,
        key: str,
        request: dict[str, Any] | None = None,
        *,
        endpoint: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        ip: str | IPv4Address | IPv6Address | None = None,
        now: int | None = None,
    ) -> Authorization:
        """Verifies a key and checks the request against its scopes.

        The request's fields (``endpoint`` required; ``model``, ``max_tokens``, ``ip``) come
        from keywords or the ``request`` dict; an unknown field, or one given twice, raises
        ``TypeError``.
        """
    def rotate(self, id: str, *, grace: int, now: int | None = None) -> IssuedKey:
        """Issues a successor of key ``id``; the old key keeps working for ``grace`` seconds.

        Raises ``ApiKeyError`` (kind ``"not_found"`` or ``"invalid_state"``).
        """
    def revoke(self, id: str, *, now: int | None = None) -> KeyRecord:
        """Revokes key ``id`` from ``now`` on; returns its updated record."""
    def record(self, id: str) -> KeyRecord | None:
        """The record of key ``id``, or None."""
    def records(self) -> list[KeyRecord]:
        """Every record, ordered by id (to persist; reload with ``Keyring(..., records=...)``)."""

@final
class KeyCheck:
    """The result of ``check_key``: the public parts of a valid key, or what is wrong.

    True in a boolean context only when valid. Never holds the candidate.
    """

    @property
    def valid(self) -> bool:
        """Whether the candidate is a well-formed key with a valid checksum."""
    @property
    def prefix(self) -> str | None:
        """The key's product prefix, when valid."""
    @property
    def environment(self) -> str | None:
        """``"live"`` or ``"test"``, when valid."""
    @property
    def id(self) -> str | None:
        """The key's public id, when valid."""
    @property
    def kind(self) -> str | None:
        """``"malformed"`` or ``"checksum"``, when invalid."""
    @property
    def part(self) -> str | None:
        """The part of the key that is wrong, when invalid."""
    @property
    def error(self) -> str | None:
        """Why the candidate is invalid (no key material)."""
    def __bool__(self) -> bool: ...

def check_key(candidate: str, *, prefix: str | None = None) -> KeyCheck:
    """Checks a candidate key offline: shape and checksum (of any prefix, or of ``prefix``).

    Raises ``ApiKeyError`` (kind ``"invalid_config"``) for an invalid ``prefix`` argument.
    """

@final
class KeyMatch:
    """A key found by ``scan_keys``: ``text[start:end]`` is the key (code point offsets)."""

    @property
    def start(self) -> int:
        """Code point offset where the key starts."""
    @property
    def end(self) -> int:
        """Code point offset just past the key."""
    @property
    def id(self) -> str:
        """The key's public id."""
    @property
    def environment(self) -> str:
        """``"live"`` or ``"test"``."""

def scan_keys(text: str, prefix: str) -> list[KeyMatch]:
    """Finds every key of ``prefix`` with a valid checksum in ``text``, in order.

    Spans are code points. The GIL is released while scanning. An invalid prefix finds
    nothing.
    """
