"""Type stubs for the native module (hand-written; checked with `python -m mypy.stubtest`)."""

from collections.abc import Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from os import PathLike
from typing import Any, Literal, TypeAlias, final

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
    "LimitError",
    "RateLimiter",
    "Decision",
    "Reservation",
    "AnomalyError",
    "Alert",
    "Evidence",
    "UsageTracker",
    "InjectionError",
    "InjectionClassifier",
    "Signal",
    "Verdict",
    "RedactError",
    "Finding",
    "Redaction",
    "Redactor",
    "StreamRedactor",
    "Vault",
    "HiddenReport",
    "NormalizedText",
    "Normalizer",
    "normalize",
    "GuardError",
    "Guard",
    "Reason",
    "RequestDecision",
    "ResponseDecision",
    "GuardStream",
    "SseStream",
    "SseEnd",
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
    def account(self) -> str | None:
        """The account (tenant) the key belongs to, if any."""
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
        account: str | None = None,
        now: int | None = None,
    ) -> IssuedKey:
        """Issues a key and stores its record.

        ``scopes`` is the core's JSON shape: ``models`` and ``endpoints`` (glob lists),
        ``max_tokens``, ``limiter_policy``, ``ip_allow`` (CIDR list). Unknown or invalid
        entries raise ``ApiKeyError`` (kind ``"invalid_config"``). ``account`` is the tenant
        the key belongs to: a ``Guard`` given this keyring bills and limits its calls to it.
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

class LimitError(ShieldwallError):
    """An error from the rate limiter.

    ``kind`` is ``"invalid_config"``, ``"missing_scope"``, ``"unknown_limit"``,
    ``"store_full"``, ``"unavailable"`` or ``"already_settled"``.
    """

    kind: str

@final
class Decision:
    """The outcome of a check: allowed or not, how much is left, when to retry, which limit bound."""

    @property
    def allowed(self) -> bool:
        """Whether the call may go ahead."""
    @property
    def status(self) -> Literal["allowed", "limited", "over_capacity"]:
        """``"limited"``: not yet (see ``retry_after``); ``"over_capacity"``: never, the cost exceeds a burst."""
    @property
    def bound(self) -> str | None:
        """The name of the limit that decided (the tightest one when allowed), if any."""
    @property
    def limit(self) -> int:
        """The burst capacity of the bound limit."""
    @property
    def remaining(self) -> int:
        """Units left in the bound limit."""
    @property
    def retry_after(self) -> float | None:
        """Seconds until the call could pass, when limited; otherwise ``None``."""
    @property
    def reset_after(self) -> float:
        """Seconds until the bound limit is full again."""
    @property
    def source(self) -> Literal["store", "fallback", "fail_open", "fail_closed"]:
        """Who answered: the store, the Redis store's fallback, or the failure mode."""
    @property
    def limits(self) -> list[dict[str, Any]]:
        """Every limit's state: ``name``, ``unit``, ``quota``, ``status``, ``remaining``,
        ``retry_after_ms``, ``reset_after_ms``."""
    def headers(self) -> dict[str, str]:
        """The HTTP headers: ``ratelimit-policy``, ``ratelimit``, ``x-ratelimit-*`` and, when
        limited, ``retry-after``."""
    def to_dict(self) -> dict[str, Any]:
        """The decision in the core's JSON form (``retry_after_ms``, ``reset_after_ms`` in whole
        milliseconds, rounded up), as in the test vectors."""
    def __bool__(self) -> bool:
        """Whether the call may go ahead."""

@final
class Reservation:
    """An admitted call's estimate, to be settled with the real usage by ``RateLimiter.settle``."""

    @property
    def decision(self) -> Decision:
        """The decision made when reserving."""
    @property
    def settled(self) -> bool:
        """Whether the reservation was settled or cancelled."""

@final
class RateLimiter:
    """Checks calls against a policy of several limits at once; thread-safe, share one instance.

    ``policy`` is a ``limit::Policy`` as a dict: ``{"limits": [{"name", "scope", "unit",
    "quota": {"rate", "period", "burst"}}], "on_store_error"}``; ``scope`` is ``"key"`` (the
    default), any scope the calls name in ``scopes`` (``"account"``, ``"ip"`` ...), or
    ``"global"`` (one bucket for every call, no value needed); an unknown field raises
    ``LimitError`` (kind ``"invalid_config"``) naming it. ``redis_url`` keeps the buckets in
    Redis (shared by every process using it, keys prefixed by ``redis_prefix``);
    ``failure_mode`` (``"closed"``, ``"open"`` or ``"error"``) replaces the policy's
    ``on_store_error``; ``clock="manual"`` starts a clock at zero that only ``advance`` moves
    (for tests and replays); ``max_keys`` bounds the in-process store.
    Every call releases the GIL.
    """

    def __new__(
        cls,
        policy: Mapping[str, Any],
        *,
        redis_url: str | None = None,
        redis_prefix: str | None = None,
        failure_mode: Literal["closed", "open", "error"] | None = None,
        clock: Literal["monotonic", "manual"] | None = None,
        max_keys: int | None = None,
    ) -> RateLimiter: ...
    def check(
        self,
        key: str,
        *,
        tokens: int = 0,
        requests: int = 1,
        scopes: Mapping[str, str] | None = None,
    ) -> Decision:
        """Checks a call by API key ``key`` (other scopes such as ``{"account": "acme"}`` in
        ``scopes``) and, when every limit admits it, counts it in all of them.

        Raises ``LimitError`` (kind ``"missing_scope"``) when the policy uses a scope the call
        lacks, and (kind ``"invalid_config"``) for a negative cost.
        """
    def reserve(
        self,
        key: str,
        *,
        tokens: int = 0,
        requests: int = 1,
        scopes: Mapping[str, str] | None = None,
    ) -> Reservation:
        """Like ``check`` with the estimated tokens (prompt + ``max_tokens``); settle it after the call."""
    def peek(self, key: str, *, scopes: Mapping[str, str] | None = None) -> Decision:
        """The state of every limit for these scopes, taking nothing."""
    def settle(self, reservation: Reservation, tokens: int, *, requests: int = 1) -> None:
        """Replaces the reservation's estimate by the real usage, refunding or charging the
        difference. Raises ``LimitError`` (kind ``"already_settled"``) the second time."""
    def cancel(self, reservation: Reservation) -> None:
        """Gives a reservation back in full (the call did not happen)."""
    def set_override(self, limit: str, value: str, quota: Mapping[str, Any]) -> None:
        """Sets a quota (``{"rate", "period", "burst"}``) for one scope value of one limit."""
    def remove_override(self, limit: str, value: str) -> bool:
        """Removes an override; returns whether there was one."""
    def advance(self, ms: int) -> None:
        """Moves the manual clock forward by ``ms`` milliseconds (only with ``clock="manual"``)."""
    @property
    def policy(self) -> dict[str, Any]:
        """The policy, in the core's JSON form."""

class RedactError(ShieldwallError):
    """An error from building a redactor.

    ``kind`` is ``"invalid_detector"``, ``"invalid_config"`` or ``"parse"`` (the configuration
    does not fit the schema: an unknown field, named in the message, or a wrong type);
    ``detector_id`` names the offending detector for ``"invalid_detector"``, else ``None``.
    """

    kind: str
    detector_id: str | None

@final
class Finding:
    """One detected item: detector, kind, span (code points) and confidence; never the value."""

    @property
    def detector(self) -> str:
        """The detector id, e.g. ``"github_pat"``."""
    @property
    def kind(self) -> str:
        """The kind, e.g. ``"access_token"``."""
    @property
    def start(self) -> int:
        """Start offset in the original text (code points)."""
    @property
    def end(self) -> int:
        """End offset (exclusive) in the original text (code points)."""
    @property
    def confidence(self) -> float:
        """Confidence in ``0.0..=1.0``."""
    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)``, for slicing the original text."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Redaction:
    """The redacted text and the findings (spans in the original text, in order).

    ``repr`` lists the kinds only, never the text.
    """

    @property
    def text(self) -> str:
        """The redacted text (also ``str(redaction)``)."""
    @property
    def findings(self) -> list[Finding]:
        """What was found, in order of position."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class Vault:
    """Placeholders (``[EMAIL_1]``) to the values they replaced, for ``restore``.

    Holds at most ``max_entries`` values (the oldest is forgotten); thread-safe; ``repr``
    shows counts only, never a value.
    """

    def __new__(cls, max_entries: int = 10000) -> Vault: ...
    def restore(self, text: str) -> str:
        """Replaces every known placeholder in ``text`` with its original value."""
    def get(self, placeholder: str) -> str | None:
        """The original value behind ``placeholder``, or ``None``."""
    def clear(self) -> None:
        """Forgets every value and restarts numbering."""
    def __len__(self) -> int: ...

@final
class StreamRedactor:
    """Redacts a text that arrives in chunks (e.g. a streamed model answer).

    The concatenated output of ``push`` and ``finish`` equals ``Redactor.redact`` (or
    ``redact_reversible`` with the same vault) on the whole text, for every way of splitting
    it. Plain prose comes out as it arrives (at most about 49 bytes, the last word or so, are
    held back); text near digits, e-mail addresses, keys and other loud characters is held
    until a quiet stretch of about 80 bytes follows; at most about 68 KiB of input is ever
    held back.
    """

    def push(self, chunk: str) -> str:
        """Adds a chunk; returns the redacted text that no later chunk can change."""
    def finish(self) -> str:
        """Ends the text and returns the rest; the stream is then ready for a new text."""

@final
class Redactor:
    """Finds and redacts personal data and secrets; reusable and thread-safe.

    ``config`` is a ``RedactorConfig`` as a dict or JSON text (``disable``, ``enable``,
    ``allow``, ``allow_patterns``, ``min_confidence``, ``operators``, ``default_operator``,
    ``hash_key``, ``detectors``, ...); keyword options set the same fields and win. An unknown
    field raises ``RedactError`` (kind ``"parse"``) naming it; a bad value raises
    ``RedactError`` (kind ``"invalid_config"`` or ``"invalid_detector"``).
    """

    def __new__(cls, config: dict[str, Any] | str | None = None, **options: Any) -> Redactor: ...
    def detector_ids(self) -> list[str]:
        """The ids of the detectors that run."""
    def find(self, text: str) -> list[Finding]:
        """Finds personal data and secrets in ``text``, in order, without overlaps."""
    def redact(self, text: str) -> Redaction:
        """Redacts ``text``; placeholders are numbered within this call."""
    def redact_reversible(self, text: str, vault: Vault) -> Redaction:
        """Redacts ``text`` with placeholders from (and recorded in) ``vault``."""
    def redact_many(self, texts: list[str]) -> list[Redaction]:
        """Redacts each text (numbered on its own); the GIL is released for the batch."""
    def stream(self, vault: Vault | None = None) -> StreamRedactor:
        """A streaming redactor; with ``vault``, placeholders come from and go to it."""

class InjectionError(ShieldwallError):
    """An error from the injection classifier.

    ``kind`` is ``"input_too_large"`` (a text past ``max_input_bytes``), ``"invalid_config"``
    (a threshold outside [0, 1], an unknown preset, channel or rule family, a limit out of
    range) or ``"invalid_pattern"`` (an allow-list regex or rule that does not compile; the
    message quotes it).
    """

    kind: str

_Preset: TypeAlias = Literal["strict", "balanced", "permissive"]
_Channel: TypeAlias = Literal["user", "document", "system"]
_RuleFamily: TypeAlias = Literal[
    "instruction_override",
    "role_hijack",
    "fake_delimiter",
    "prompt_leak",
    "jailbreak_persona",
    "refusal_suppression",
    "payload_splitting",
    "tool_hijack",
    "custom",
]

@final
class Signal:
    """One piece of evidence behind a verdict; ``start``/``end`` are code points of the
    original text (for a rule found in a decoded payload, the encoded stretch)."""

    @property
    def kind(self) -> Literal["rule", "hidden", "decoded", "window"]:
        """What kind of evidence this is."""
    @property
    def name(self) -> str:
        """Rule name, hidden-character class, encoding name, or ``"window"``."""
    @property
    def family(self) -> str | None:
        """The rule family, for rule signals (else None)."""
    @property
    def start(self) -> int:
        """Start offset in the original text (code points)."""
    @property
    def end(self) -> int:
        """End offset (exclusive) in the original text (code points)."""
    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)``, for slicing the original text."""
    @property
    def encoding(self) -> str | None:
        """The encoding peeled to find this signal (else None)."""
    @property
    def decoded(self) -> str | None:
        """The decoded text (first 200 bytes), for decoded signals (else None)."""
    @property
    def score(self) -> float | None:
        """The calibrated score of this part, for window and decoded signals (else None)."""
    @property
    def count(self) -> int | None:
        """How many characters, for hidden signals (else None)."""
    @property
    def detail(self) -> str:
        """A one-line explanation: the family or class, and what was found."""

@final
class Verdict:
    """The classifier's verdict on one text; ``bool(verdict)`` is ``verdict.injection``."""

    @property
    def score(self) -> float:
        """Calibrated probability that the text is an injection, in [0, 1]."""
    @property
    def injection(self) -> bool:
        """Whether ``score`` reaches ``threshold``."""
    @property
    def threshold(self) -> float:
        """The threshold applied."""
    @property
    def channel(self) -> _Channel:
        """The channel the text was scored for."""
    @property
    def signals(self) -> list[Signal]:
        """The evidence: rules that fired, hidden characters, decoded payloads, the best window."""
    def __bool__(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]:
        """The verdict as a dict (the core's JSON form, spans in code points)."""

@final
class InjectionClassifier:
    """Detects prompt injection and jailbreaks; reusable and thread-safe.

    ``preset`` picks a calibrated threshold (default ``"balanced"``); ``threshold`` (in [0, 1])
    overrides it. ``allow`` phrases and ``allow_regex`` regexes (over the normalised,
    lowercase view) never count. ``rules`` adds ``(family, pattern)`` or ``(family, pattern,
    boost)`` rules (regexes over the normalised view; the default boost, 4, flags on its own).
    ``channel`` is the default channel of ``classify``. ``max_input_bytes`` bounds a text
    (UTF-8 bytes, default 16 MiB); ``max_decode_depth`` (0 to 3, default 2) how many layers of
    encoding are peeled. A bad value raises ``InjectionError``.
    """

    def __new__(
        cls,
        *,
        preset: _Preset | None = None,
        threshold: float | None = None,
        allow: Sequence[str] | None = None,
        allow_regex: Sequence[str] | None = None,
        rules: Sequence[tuple[_RuleFamily, str] | tuple[_RuleFamily, str, float]] | None = None,
        channel: _Channel | None = None,
        max_input_bytes: int | None = None,
        max_decode_depth: int | None = None,
    ) -> InjectionClassifier: ...
    @staticmethod
    def from_config(config: dict[str, Any] | str) -> InjectionClassifier:
        """A classifier from the core's ``InjectionConfig`` as a dict or JSON text (the form of a
        config file: ``preset``, ``threshold``, ``allow_phrases``, ``allow_regexes``, ``rules``
        as ``{"family", "pattern", "boost"}`` objects, ``channel``, ``max_input_bytes``,
        ``max_decode_depth``). An unknown field or a wrong type raises ``InjectionError``
        (kind ``"invalid_config"``) naming it; another argument type raises ``TypeError``.
        """
    def config(self) -> dict[str, Any]:
        """The configuration in force, in the core's JSON form (what ``from_config`` takes)."""
    @property
    def threshold(self) -> float:
        """The threshold in force."""
    @property
    def channel(self) -> _Channel:
        """The channel ``classify`` uses when none is given."""
    def classify(self, text: str, channel: _Channel | None = None) -> Verdict:
        """Classifies ``text`` for ``channel`` (default: the classifier's); the GIL is released.

        Raises ``InjectionError`` (kind ``"input_too_large"``) past ``max_input_bytes``.
        """
    def classify_many(self, texts: Sequence[str], channel: _Channel | None = None) -> list[Verdict]:
        """Classifies each text, in order; the GIL is released for the batch."""

class AnomalyError(ShieldwallError):
    """An error from the usage tracker.

    ``kind`` is ``"invalid_config"`` (an unknown field, named in the message, or a value out of
    range), ``"invalid_event"`` (a missing or unknown field, an empty account, a bad IP address,
    a prompt past ``max_prompt_bytes``) or ``"invalid_snapshot"``; ``index`` is the position of
    the failing event in ``observe_many`` (else None).
    """

    kind: str
    index: int | None

@final
class Evidence:
    """One feature behind an alert: its value and the threshold it crossed."""

    @property
    def feature(self) -> str:
        """The feature's name, e.g. ``"template_rate"``."""
    @property
    def value(self) -> float:
        """Its value when the alert fired."""
    @property
    def threshold(self) -> float:
        """The threshold it was compared with."""
    @property
    def detail(self) -> str | None:
        """A free-text detail (a key id, shared prefixes), or None."""

@final
class Alert:
    """A finding of the tracker: which account(s), when, what kind, how strong, and why."""

    @property
    def ts(self) -> int:
        """The time of the event that raised it (Unix milliseconds)."""
    @property
    def account(self) -> str:
        """The account whose event raised it."""
    @property
    def accounts(self) -> list[str]:
        """For a campaign (``"distributed"``): every account in it, sorted; otherwise empty."""
    @property
    def kind(
        self,
    ) -> Literal["extraction", "automation", "volume", "cost", "distributed", "key_compromise"]:
        """What the alert is about."""
    @property
    def score(self) -> float:
        """How strong, in [0, 1]: 0.5 is just over the thresholds."""
    @property
    def evidence(self) -> list[Evidence]:
        """The features that crossed their thresholds."""
    def to_dict(self) -> dict[str, Any]:
        """The line ``shieldwall replay`` writes: ``ts``, ``account``, ``kind``, ``score``,
        ``evidence``, and ``accounts`` for a campaign."""

@final
class UsageTracker:
    """Watches the request stream for model extraction, automation, volume and cost abuse,
    campaigns spread over accounts, and stolen keys; bounded memory, thread-safe.

    ``config`` is a ``TrackerConfig`` as a dict or JSON text (``max_accounts``, ``max_keys``,
    ``max_index_entries``, ``index_ttl_ms``, ``cooldown_ms``, ``max_prompt_bytes``,
    ``min_requests`` and the rules' thresholds); keyword options set the same fields and win.
    A bad configuration raises ``AnomalyError`` (kind ``"invalid_config"``).
    """

    def __new__(cls, config: dict[str, Any] | str | None = None, **options: Any) -> UsageTracker: ...
    def observe(self, event: Mapping[str, Any]) -> list[Alert]:
        """Observes one request and returns the alerts it raised (often none).

        ``event`` has the ``shieldwall replay`` fields: ``ts`` (integer Unix milliseconds or an RFC 3339 string),
        ``account``, and optional ``prompt`` (or ``fingerprint``), ``key``, ``ip``,
        ``prompt_tokens``, ``completion_tokens``, ``max_tokens``, ``model``, ``logprobs``.
        Events should come in time order. A bad event raises ``AnomalyError`` (kind
        ``"invalid_event"``) and leaves the state unchanged.
        """
    def observe_many(self, events: Iterable[Mapping[str, Any]]) -> list[Alert]:
        """Observes each event in order, with the GIL released; returns every alert, in order.

        Every event is checked before any is observed; an event the tracker rejects raises
        ``AnomalyError`` with ``index`` set, after the events before it were observed.
        """
    def snapshot(self) -> str:
        """The whole state as JSON text, for ``restore`` or ``merge``."""
    @staticmethod
    def restore(data: str | bytes) -> UsageTracker:
        """A tracker holding the state of a snapshot; raises ``AnomalyError`` (kind
        ``"invalid_snapshot"``) when it cannot be read or is of another version."""
    def merge(self, other: str | bytes | UsageTracker) -> None:
        """Folds another replica's state (a snapshot, or a tracker) into this one: counters
        add up, sketches take their union; keeps this tracker's configuration."""
    def stats(self) -> dict[str, int]:
        """Sizes of the state: ``events``, ``accounts``, ``keys``, ``index_entries``,
        ``approx_bytes``, ``bytes_per_account``, ``evicted_accounts``."""
    def config(self) -> dict[str, Any]:
        """The configuration in force, in the core's JSON form (what the constructor takes)."""
    @staticmethod
    def fingerprint(text: str) -> dict[str, Any]:
        """The fingerprint of a prompt: pass it as an event's ``fingerprint`` instead of the
        prompt, so the text need not be kept."""

class GuardError(ShieldwallError):
    """An error from the Guard.

    ``kind`` is ``"policy"`` (a bad policy: ``path`` names the field, ``line`` the line),
    ``"body"`` (a request body that is not one of the three formats: ``path`` is its JSON
    path), ``"json"`` (a body or answer that is not JSON), ``"io"`` (a policy file that cannot
    be read) or ``"context"`` (a decision's response context used twice, or a refused
    request's).
    """

    kind: str
    path: str | None
    line: int | None

_GuardName: TypeAlias = Literal[
    "injection", "redact", "limit", "canary", "leak", "size", "anomaly", "key"
]
_ActionName: TypeAlias = Literal["block", "redact", "flag", "log"]
_RequestOutcome: TypeAlias = Literal["allow", "redact", "block", "rate_limited", "unauthorized"]
_AnswerOutcome: TypeAlias = Literal["allow", "redact", "block"]

@final
class Reason:
    """One finding and what it did (never the text it was found in)."""

    @property
    def guard(self) -> _GuardName:
        """Which guard found it."""
    @property
    def action(self) -> _ActionName:
        """What the policy made of it (in shadow mode: what it would have done)."""
    @property
    def detail(self) -> str:
        """A short machine-readable detail: the redaction kind, the limit's name, the alert kind."""
    @property
    def channel(self) -> Literal["user", "system", "document", "output"] | None:
        """The channel it was found on, when known."""
    @property
    def message(self) -> int | None:
        """The index of the message (requests) it was found in."""
    @property
    def part(self) -> int | None:
        """The index of the part within the message."""
    @property
    def span(self) -> tuple[int, int] | None:
        """``(start, end)`` in code points of the part's text (requests) or of the answer."""
    @property
    def detector(self) -> str | None:
        """The detector id or rule name, when there is one (for ``"key"``: the key's id)."""
    @property
    def score(self) -> float | None:
        """A score (injection probability, redaction confidence, retry-after seconds...)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, as a dict (``span`` as a list)."""

@final
class RequestDecision:
    """What ``Guard.check_request`` decided. An allowed decision carries the context that
    ``Guard.check_response``, ``Guard.stream_response`` or ``Guard.stream_sse`` takes, once."""

    @property
    def outcome(self) -> _RequestOutcome:
        """The outcome (in shadow mode always ``"allow"``; see ``would``)."""
    @property
    def would(self) -> _RequestOutcome:
        """What the outcome would be without shadow mode."""
    @property
    def shadow(self) -> bool:
        """Whether the policy was in shadow mode."""
    @property
    def allowed(self) -> bool:
        """Whether the call goes ahead (``allow`` or ``redact``)."""
    @property
    def status(self) -> int:
        """The HTTP status a gateway answers: 200, 401 (no valid API key), 403 (blocked) or
        429 (rate limited)."""
    @property
    def reasons(self) -> list[Reason]:
        """Every finding with its action (spans in code points of the part's text)."""
    @property
    def body(self) -> dict[str, Any] | None:
        """The body to forward (redacted when the outcome is ``redact``; with the API key's
        ``max_tokens`` cap added when the call states none); ``None`` when refused."""
    def body_json(self) -> str | None:
        """The body to forward as compact JSON text; ``None`` when refused."""
    @property
    def body_changed(self) -> bool:
        """Whether the body to forward differs from the one received (texts redacted, a
        ``max_tokens`` cap added): when ``False``, forward the bytes as received."""
    @property
    def headers(self) -> dict[str, str]:
        """The rate-limit headers (``ratelimit-policy``, ``ratelimit``, ``x-ratelimit-*``,
        and ``retry-after`` when limited)."""
    @property
    def alerts(self) -> list[Alert]:
        """The usage tracker's alerts raised by this request."""
    @property
    def audit(self) -> dict[str, Any]:
        """The audit event (the JSON line the audit sink writes: no raw text, byte spans)."""
    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens counted (or estimated)."""
    @property
    def reserved_tokens(self) -> int:
        """Tokens reserved against the token limits (prompt + ``max_tokens``)."""
    @property
    def has_context(self) -> bool:
        """Whether the response context is still there (allowed and not yet used)."""
    def __bool__(self) -> bool:
        """Whether the call goes ahead."""

@final
class ResponseDecision:
    """What the guard decided about an answer."""

    @property
    def outcome(self) -> _AnswerOutcome:
        """The outcome (in shadow mode never ``"block"``)."""
    @property
    def would(self) -> _AnswerOutcome:
        """What the outcome would be without shadow mode."""
    @property
    def allowed(self) -> bool:
        """Whether the answer may be sent."""
    @property
    def status(self) -> int:
        """200, or 403 when the answer is blocked."""
    @property
    def text(self) -> str:
        """The text to return (empty when blocked); for a dict answer its texts joined by U+E000."""
    @property
    def body(self) -> dict[str, Any] | None:
        """The rewritten answer (for a dict answer, unless blocked), else ``None``."""
    def body_json(self) -> str | None:
        """The rewritten answer as compact JSON text, else ``None``."""
    @property
    def reasons(self) -> list[Reason]:
        """Every finding with its action (spans in code points of the answer)."""
    @property
    def audit(self) -> dict[str, Any]:
        """The audit event (byte spans)."""
    def __bool__(self) -> bool:
        """Whether the answer may be sent."""

@final
class GuardStream:
    """A plain-text streamed answer through the guard: ``push`` each chunk and send what it
    returns, then ``finish``."""

    def push(self, chunk: str) -> str:
        """Adds a chunk; returns the text safe to send now. Raises ``GuardError`` (kind
        ``"context"``) after ``finish``."""
    def finish(self, completion_tokens: int | None = None) -> ResponseDecision:
        """Ends the answer; the decision's ``text`` is the rest to send. Raises ``GuardError``
        (kind ``"context"``) the second time."""
    @property
    def stopped(self) -> bool:
        """Whether a canary stopped the stream."""

@final
class SseEnd:
    """The end of an ``SseStream``: the last events to send and the decision."""

    @property
    def events(self) -> bytes:
        """The last events to send."""
    @property
    def decision(self) -> ResponseDecision:
        """The decision about the whole answer."""

@final
class SseStream:
    """A server-sent-events answer (OpenAI chat-completions, OpenAI responses or Anthropic
    messages) through the guard: ``push`` the upstream's bytes and send what it returns
    (complete, rewritten events), then ``finish``."""

    def push(self, chunk: bytes) -> bytes:
        """Takes the upstream's next bytes (split anywhere); returns rewritten complete events."""
    def finish(self) -> SseEnd:
        """Ends the stream. Raises ``GuardError`` (kind ``"context"``) the second time."""
    @property
    def stopped(self) -> bool:
        """Whether a canary stopped the stream."""

@final
class Guard:
    """One policy over every primitive, applied to each request and answer; thread-safe.

    ``policy`` is TOML or JSON text, a dict, or ``None`` for the default policy. A bad
    policy raises ``GuardError`` (kind ``"policy"``) naming the field and the line.
    ``keyring`` turns the key stage on: requests must carry one of its keys (a bad key is
    refused with outcome ``"unauthorized"``, status 401; a call outside the key's scopes is
    blocked, 403; the key's account is the one billed).
    """

    def __new__(
        cls, policy: str | Mapping[str, Any] | None = None, *, keyring: Keyring | None = None
    ) -> Guard: ...
    @staticmethod
    def from_file(path: str | PathLike[str], *, keyring: Keyring | None = None) -> Guard:
        """A guard over the policy file at ``path`` (TOML, or JSON when it starts with ``{``)."""
    def policy_toml(self) -> str:
        """The policy in force, as TOML text."""
    def check_request(
        self,
        body: Mapping[str, Any] | str | bytes,
        *,
        key: str | None = None,
        account: str | None = None,
        ip: str | None = None,
        format: Literal["openai_chat", "openai_responses", "anthropic_messages"] | None = None,
        endpoint: str | None = None,
    ) -> RequestDecision:
        """Checks a request body (OpenAI chat-completions, OpenAI responses or Anthropic
        messages; ``format`` skips the detection); ``endpoint`` is the path called (for the
        key stage's endpoint scopes). Runs without the GIL. Raises
        ``GuardError`` (kind ``"json"`` or ``"body"``, with the JSON path) for a bad body."""
    def check_response(
        self,
        decision: RequestDecision,
        answer: str | Mapping[str, Any],
        completion_tokens: int | None = None,
    ) -> ResponseDecision:
        """Checks the answer (text, or a JSON answer dict rewritten as the decision's ``body``)."""
    def stream_response(self, decision: RequestDecision) -> GuardStream:
        """A stream over a plain-text streamed answer."""
    def stream_sse(self, decision: RequestDecision) -> SseStream:
        """A stream over a ``text/event-stream`` answer."""
