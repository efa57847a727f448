"""Type stubs for the native module (hand-written; checked with `python -m mypy.stubtest`)."""

from typing import Any, final

__all__ = [
    "ShieldwallError",
    "TextError",
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

class RedactError(ShieldwallError):
    """An error from building a redactor.

    ``kind`` is ``"invalid_detector"``, ``"invalid_config"`` or ``"parse"`` (the configuration
    does not fit the schema: an unknown field, named in the message, or a wrong type);
    ``detector_id`` names the offending detector for ``"invalid_detector"``, else ``None``.
    """

    kind: str
    detector_id: str | None

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
    it; at most about 68 KiB of input is held back.
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
