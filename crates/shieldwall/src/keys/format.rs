//! The key format: `<prefix>_<env>_<id>_<secret><checksum>`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{KeyError, KeyPart};

/// Length of the public key id, in base62 characters (about 71 bits).
pub const ID_LEN: usize = 12;
/// Length of the random secret, in base62 characters (about 190 bits).
pub const SECRET_LEN: usize = 32;
/// Length of the checksum, in base62 characters (a CRC32, zero-padded).
pub const CHECKSUM_LEN: usize = 6;
/// Shortest product prefix.
pub const MIN_PREFIX_LEN: usize = 2;
/// Longest product prefix.
pub const MAX_PREFIX_LEN: usize = 16;
/// Longest possible key, in bytes.
pub const MAX_KEY_LEN: usize = MAX_PREFIX_LEN + 1 + 4 + 1 + ID_LEN + 1 + SECRET_LEN + CHECKSUM_LEN;

const TAIL_LEN: usize = SECRET_LEN + CHECKSUM_LEN;

/// A regular expression (Rust `regex` syntax) matching the shape of keys of any prefix, for
/// a secret scanner that registers this format as a secret kind: prefilter on `_live_` /
/// `_test_`, match this, then confirm with [`check`] (the checksum). For one product prefix,
/// use [`KeyFormat::pattern`] and [`KeyFormat::is_valid`].
///
/// # Example
/// ```
/// use shieldwall::keys::{ANY_PREFIX_PATTERN, Environment, KeyFormat, check};
///
/// let key = KeyFormat::new("acme")?.generate(Environment::Live)?;
/// let re = regex::Regex::new(ANY_PREFIX_PATTERN)?;
/// let found = re.find(key.expose_secret()).map(|m| m.as_str());
/// assert_eq!(found, Some(key.expose_secret()));
/// assert!(check(found.unwrap()).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const ANY_PREFIX_PATTERN: &str =
    "[a-z][a-z0-9]{1,15}_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62_DESC: &str = "base62 characters (0-9, A-Z, a-z)";
const PREFIX_DESC: &str =
    "2 to 16 characters: a lowercase ascii letter, then lowercase letters or digits";

/// The environment a key belongs to: keys for production traffic and keys for testing look
/// different, so a test key in a live config (or the reverse) is visible at a glance.
///
/// # Example
/// ```
/// use shieldwall::keys::Environment;
///
/// assert_eq!("live".parse::<Environment>()?, Environment::Live);
/// assert_eq!(Environment::Test.to_string(), "test");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Production keys: `<prefix>_live_…`.
    Live,
    /// Test keys: `<prefix>_test_…`.
    Test,
}

impl Environment {
    /// The tag as it appears in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Test => "test",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        match s {
            "live" => Ok(Environment::Live),
            "test" => Ok(Environment::Test),
            other => Err(KeyError::invalid_config(
                "environment",
                format!("expected \"live\" or \"test\", found {other:?}"),
            )),
        }
    }
}

/// The public id of a key: 12 base62 characters, random, safe to show in dashboards and logs.
///
/// # Example
/// ```
/// use shieldwall::keys::KeyId;
///
/// let id = KeyId::parse("0123456789ab")?;
/// assert_eq!(id.as_str(), "0123456789ab");
/// assert!(KeyId::parse("short").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; ID_LEN]);

impl KeyId {
    /// Parses an id: exactly 12 base62 characters.
    ///
    /// # Errors
    /// When `s` has another length or other characters.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        Self::parse_at(s, 0)
    }

    fn parse_at(s: &str, offset: usize) -> Result<Self, KeyError> {
        let bytes = s.as_bytes();
        if let Some(i) = bytes.iter().position(|b| !b.is_ascii_alphanumeric()) {
            // Report the character position, not the byte position.
            let position = offset + s[..i].chars().count();
            return Err(KeyError::part_character(
                KeyPart::Id,
                "12 base62 characters (0-9, A-Z, a-z)",
                position,
            ));
        }
        let arr: [u8; ID_LEN] = bytes.try_into().map_err(|_| {
            KeyError::part_length(
                KeyPart::Id,
                "12 base62 characters (0-9, A-Z, a-z)",
                bytes.len(),
            )
        })?;
        Ok(Self(arr))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:?})", self.as_str())
    }
}

impl FromStr for KeyId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::parse(s)
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A full key, as handed to its owner once at issue time.
///
/// `Debug` and `Display` show only the public part (`sw_live_0123456789ab_…`); the whole key
/// is available through [`SecretKey::expose_secret`], so every place that handles the secret
/// says so.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyFormat};
///
/// let key = KeyFormat::new("sw")?.generate(Environment::Live)?;
/// let shown = format!("{key} {key:?}");
/// assert!(!shown.contains(&key.expose_secret()[21..]));
/// assert!(key.expose_secret().starts_with("sw_live_"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SecretKey {
    key: String,
    id: KeyId,
}

impl SecretKey {
    /// The whole key, secret included. Show it to its owner once; never log it.
    pub fn expose_secret(&self) -> &str {
        &self.key
    }

    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key with its secret part replaced by `…`: `sw_live_0123456789ab_…`.
    pub fn redacted(&self) -> String {
        let public = self.key.len() - TAIL_LEN;
        format!("{}…", &self.key[..public])
    }
}

impl Drop for SecretKey {
    /// Best effort: overwrites the key's bytes before the memory is freed (copies made
    /// through [`SecretKey::expose_secret`] are the caller's to handle).
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.key).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({:?})", self.redacted())
    }
}

/// The public parts of a well-formed key with a valid checksum: prefix, environment and id.
/// It holds no secret.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyFormat};
///
/// let format = KeyFormat::new("acme")?;
/// let key = format.generate(Environment::Test)?;
/// let info = format.parse(key.expose_secret())?;
/// assert_eq!(info.prefix(), "acme");
/// assert_eq!(info.environment(), Environment::Test);
/// assert_eq!(info.id(), key.id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo<'a> {
    prefix: &'a str,
    environment: Environment,
    id: KeyId,
}

impl<'a> KeyInfo<'a> {
    /// The product prefix.
    pub fn prefix(&self) -> &'a str {
        self.prefix
    }
    /// The environment tag.
    pub fn environment(&self) -> Environment {
        self.environment
    }
    /// The public id.
    pub fn id(&self) -> KeyId {
        self.id
    }
}

/// A key format: the product prefix that every key starts with.
///
/// Keys look like `sw_live_0123456789ab_<32 secret characters><6 checksum characters>`:
///
/// | part | shape |
/// |---|---|
/// | prefix | 2 to 16 characters, `[a-z][a-z0-9]*` |
/// | environment | `live` or `test` |
/// | id | 12 base62 characters (`[0-9A-Za-z]`), random, public |
/// | secret | 32 base62 characters from the OS CSPRNG (about 190 bits) |
/// | checksum | 6 base62 characters: the CRC32 (IEEE) of everything before it, big-endian |
///
/// The checksum lets a scanner or a support tool reject a typo or a look-alike string offline,
/// without a database; it is not a security measure (the secret is).
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyFormat};
///
/// let format = KeyFormat::new("sw")?;
/// let key = format.generate(Environment::Live)?;
/// assert_eq!(key.expose_secret().len(), 59);
/// assert!(format.is_valid(key.expose_secret()));
/// assert!(!format.is_valid(&key.expose_secret().replace('_', "-")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFormat {
    prefix: String,
}

impl KeyFormat {
    /// A format with the product prefix `prefix`.
    ///
    /// # Errors
    /// When the prefix is not 2 to 16 characters of a lowercase ASCII letter followed by
    /// lowercase letters or digits.
    pub fn new(prefix: &str) -> Result<Self, KeyError> {
        if !valid_prefix(prefix) {
            return Err(KeyError::invalid_config(
                "key prefix",
                format!("{prefix:?} must be {PREFIX_DESC}"),
            ));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The product prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Generates a new key with an id and a secret from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the operating system's random generator fails.
    pub fn generate(&self, environment: Environment) -> Result<SecretKey, KeyError> {
        let mut chars = [0u8; ID_LEN + SECRET_LEN];
        random_base62(&mut chars)?;
        let (id, secret) = chars.split_at(ID_LEN);
        let id = KeyId(id.try_into().map_err(|_| KeyError::random("short id"))?);
        Ok(self.assemble(environment, id, secret))
    }

    /// Builds a key from its parts (the checksum is computed); `secret` holds 32 base62
    /// characters. Used by [`KeyFormat::generate`] and by tests that need fixed keys.
    pub(crate) fn assemble(&self, environment: Environment, id: KeyId, secret: &[u8]) -> SecretKey {
        let mut key = String::with_capacity(self.prefix.len() + 1 + 4 + 1 + ID_LEN + 1 + TAIL_LEN);
        key.push_str(&self.prefix);
        key.push('_');
        key.push_str(environment.as_str());
        key.push('_');
        key.push_str(id.as_str());
        key.push('_');
        key.extend(secret.iter().map(|&b| char::from(b)));
        let crc = crc32fast::hash(key.as_bytes());
        key.extend(encode_checksum(crc).iter().map(|&b| char::from(b)));
        SecretKey { key, id }
    }

    /// Parses a candidate key of this format and checks its checksum.
    ///
    /// # Errors
    /// [`KeyErrorKind::Malformed`](super::KeyErrorKind::Malformed) naming the part that does not
    /// have the expected shape (or a prefix other than this format's), or
    /// [`KeyErrorKind::Checksum`](super::KeyErrorKind::Checksum). Messages never contain the
    /// candidate's characters.
    pub fn parse<'a>(&self, candidate: &'a str) -> Result<KeyInfo<'a>, KeyError> {
        parse(candidate, Some(&self.prefix))
    }

    /// Whether `candidate` is a well-formed key of this format with a valid checksum.
    pub fn is_valid(&self, candidate: &str) -> bool {
        self.parse(candidate).is_ok()
    }

    /// A regular expression (Rust `regex` syntax) matching the shape of this format's keys, for
    /// a secret scanner (the redactor's detector for this format). Confirm each match with
    /// [`KeyFormat::is_valid`] (the checksum), as [`scan`](super::scan) does.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{Environment, KeyFormat};
    ///
    /// let format = KeyFormat::new("sw")?;
    /// assert_eq!(format.pattern(), "sw_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}");
    ///
    /// let key = format.generate(Environment::Test)?;
    /// let log = format!("GET /v1/models key={} 200", key.expose_secret());
    /// let re = regex::Regex::new(&format.pattern())?;
    /// let m = re.find(&log).expect("a key-shaped string");
    /// assert!(format.is_valid(m.as_str()));
    /// assert_eq!(m.as_str(), key.expose_secret());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pattern(&self) -> String {
        format!(
            "{}_(?:live|test)_[0-9A-Za-z]{{{ID_LEN}}}_[0-9A-Za-z]{{{TAIL_LEN}}}",
            self.prefix
        )
    }
}

/// Checks a candidate key of any prefix offline: shape and checksum. This is what
/// `shieldwall key check` runs.
///
/// # Errors
/// As [`KeyFormat::parse`], without the prefix comparison.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, KeyErrorKind, KeyFormat, check};
///
/// let key = KeyFormat::new("sw")?.generate(Environment::Live)?;
/// assert_eq!(check(key.expose_secret())?.prefix(), "sw");
///
/// // One changed character breaks the checksum.
/// let mut typo = key.expose_secret().to_string();
/// let last = if typo.ends_with('0') { "1" } else { "0" };
/// typo.replace_range(typo.len() - 1.., last);
/// assert_eq!(check(&typo).unwrap_err().kind(), KeyErrorKind::Checksum);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check(candidate: &str) -> Result<KeyInfo<'_>, KeyError> {
    parse(candidate, None)
}

pub(crate) fn valid_prefix(prefix: &str) -> bool {
    let b = prefix.as_bytes();
    (MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn parse<'a>(candidate: &'a str, expected: Option<&str>) -> Result<KeyInfo<'a>, KeyError> {
    if candidate.len() > MAX_KEY_LEN {
        return Err(KeyError::too_long(candidate.len(), MAX_KEY_LEN));
    }
    // Prefix.
    let Some((prefix, rest)) = candidate.split_once('_') else {
        return Err(KeyError::missing_part(
            KeyPart::Prefix,
            "a prefix followed by \"_\"",
        ));
    };
    if let Some(expected) = expected {
        if prefix != expected {
            return Err(KeyError::wrong_prefix(expected));
        }
    } else if !valid_prefix(prefix) {
        let found = prefix.chars().count();
        return Err(
            match prefix
                .bytes()
                .enumerate()
                .position(|(i, c)| !(c.is_ascii_lowercase() || (i > 0 && c.is_ascii_digit())))
            {
                Some(i) if (MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&found) => {
                    KeyError::part_character(
                        KeyPart::Prefix,
                        PREFIX_DESC,
                        prefix[..i].chars().count(),
                    )
                }
                _ => KeyError::part_length(KeyPart::Prefix, PREFIX_DESC, found),
            },
        );
    }
    let mut pos = prefix.len() + 1;
    // Environment.
    let Some((env, rest)) = rest.split_once('_') else {
        return Err(KeyError::missing_part(
            KeyPart::Environment,
            "\"live\" or \"test\" followed by \"_\"",
        ));
    };
    let environment = match env {
        "live" => Environment::Live,
        "test" => Environment::Test,
        other => return Err(KeyError::wrong_environment(other.chars().count())),
    };
    pos += env.len() + 1;
    // Id.
    let Some((id, tail)) = rest.split_once('_') else {
        return Err(KeyError::missing_part(
            KeyPart::Id,
            "12 base62 characters followed by \"_\"",
        ));
    };
    let id = KeyId::parse_at(id, pos)?;
    pos += ID_LEN + 1;
    // Secret and checksum.
    if let Some(i) = tail.bytes().position(|b| !b.is_ascii_alphanumeric()) {
        let at = tail[..i].chars().count();
        let part = if at < SECRET_LEN {
            KeyPart::Secret
        } else {
            KeyPart::Checksum
        };
        return Err(KeyError::part_character(part, BASE62_DESC, pos + at));
    }
    if tail.len() != TAIL_LEN {
        return Err(KeyError::part_length(
            KeyPart::Secret,
            "32 base62 characters (0-9, A-Z, a-z) and a 6-character checksum",
            tail.len(),
        ));
    }
    let body_len = candidate.len() - CHECKSUM_LEN;
    let stated = decode_checksum(&candidate.as_bytes()[body_len..]);
    if stated != Some(crc32fast::hash(&candidate.as_bytes()[..body_len])) {
        return Err(KeyError::checksum());
    }
    Ok(KeyInfo {
        prefix,
        environment,
        id,
    })
}

fn encode_checksum(crc: u32) -> [u8; CHECKSUM_LEN] {
    let mut out = [b'0'; CHECKSUM_LEN];
    let mut n = crc;
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn decode_checksum(chars: &[u8]) -> Option<u32> {
    let mut n: u64 = 0;
    for &c in chars {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            _ => return None,
        };
        n = n * 62 + u64::from(digit);
    }
    u32::try_from(n).ok()
}

/// Fills `out` with uniformly random base62 characters from the OS CSPRNG (rejection
/// sampling: bytes of 248 and above are dropped so `b % 62` is unbiased).
fn random_base62(out: &mut [u8]) -> Result<(), KeyError> {
    let mut pool = [0u8; 64];
    let mut filled = 0;
    while filled < out.len() {
        getrandom::fill(&mut pool).map_err(KeyError::random)?;
        for &b in &pool {
            if filled == out.len() {
                break;
            }
            if b < 248 {
                out[filled] = BASE62[usize::from(b % 62)];
                filled += 1;
            }
        }
    }
    pool.fill(0);
    Ok(())
}

/// The part of a well-formed key that is hashed for storage: `<id>_<secret>` (45 bytes, so
/// HMAC-SHA256 over it costs one SHA-256 block plus the outer block). Prefix and environment
/// are stored in the record and compared; the checksum follows from the rest.
pub(crate) fn hashed_part(key: &str) -> &str {
    const LEN: usize = ID_LEN + 1 + SECRET_LEN;
    let end = key.len().saturating_sub(CHECKSUM_LEN);
    key.get(end.saturating_sub(LEN)..end).unwrap_or(key)
}

/// Scanner support: the length of a key's tail after `<prefix>_`, given the bytes that follow
/// the prefix's `_`, if they have a key's shape (environment, id, tail). Checksum not checked.
pub(crate) fn shape_len_after_prefix(rest: &[u8]) -> Option<usize> {
    const LEN: usize = 4 + 1 + ID_LEN + 1 + TAIL_LEN;
    let r = rest.get(..LEN)?;
    if !(r.starts_with(b"live_") || r.starts_with(b"test_")) {
        return None;
    }
    let (id, r) = r[5..].split_at(ID_LEN);
    if !id.iter().all(u8::is_ascii_alphanumeric) || r[0] != b'_' {
        return None;
    }
    r[1..].iter().all(u8::is_ascii_alphanumeric).then_some(LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyErrorKind;

    fn fixed() -> SecretKey {
        let format = KeyFormat::new("sw").unwrap();
        format.assemble(
            Environment::Live,
            KeyId::parse("0123456789ab").unwrap(),
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        )
    }

    #[test]
    fn checksum_codec_round_trips_edges() {
        for crc in [0, 1, 61, 62, u32::MAX, 0x8000_0000] {
            assert_eq!(decode_checksum(&encode_checksum(crc)), Some(crc));
        }
        assert_eq!(decode_checksum(b"zzzzzz"), None, "62^6 - 1 exceeds u32");
    }

    #[test]
    fn fixed_key_layout() {
        let key = fixed();
        let s = key.expose_secret();
        assert_eq!(s.len(), 59);
        assert!(s.starts_with("sw_live_0123456789ab_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"));
        assert_eq!(
            &s[53..],
            std::str::from_utf8(&encode_checksum(crc32fast::hash(&s.as_bytes()[..53]))).unwrap()
        );
        assert!(check(s).is_ok());
        assert_eq!(key.redacted(), "sw_live_0123456789ab_…");
        assert_eq!(
            hashed_part(s),
            "0123456789ab_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
        );
    }

    #[test]
    fn errors_name_the_part() {
        let cases = [
            ("nounderscore", KeyPart::Prefix, KeyErrorKind::Malformed),
            ("S_live_x", KeyPart::Prefix, KeyErrorKind::Malformed),
            ("sw_live", KeyPart::Environment, KeyErrorKind::Malformed),
            ("sw_prod_x", KeyPart::Environment, KeyErrorKind::Malformed),
            ("sw_live_0123", KeyPart::Id, KeyErrorKind::Malformed),
            ("sw_live_0123_x", KeyPart::Id, KeyErrorKind::Malformed),
            (
                "sw_live_0123456789a!_x",
                KeyPart::Id,
                KeyErrorKind::Malformed,
            ),
            (
                "sw_live_0123456789ab_x",
                KeyPart::Secret,
                KeyErrorKind::Malformed,
            ),
            (
                "sw_live_0123456789ab_x-y",
                KeyPart::Secret,
                KeyErrorKind::Malformed,
            ),
        ];
        for (candidate, part, kind) in cases {
            let err = check(candidate).unwrap_err();
            assert_eq!((err.part(), err.kind()), (Some(part), kind), "{candidate}");
        }
        let s = fixed().expose_secret().to_string();
        let bad_check = format!("{}!{}", &s[..55], &s[56..]);
        assert_eq!(
            check(&bad_check).unwrap_err().part(),
            Some(KeyPart::Checksum)
        );
        let err = KeyFormat::new("ab").unwrap().parse(&s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key prefix does not match the expected prefix \"ab\""
        );
    }

    #[test]
    fn positions_are_character_positions() {
        let err = check("sw_live_0123456789é_x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "key id must be 12 base62 characters (0-9, A-Z, a-z), \
             found another character at position 18"
        );
    }

    #[test]
    fn random_keys_differ_and_are_base62() {
        let format = KeyFormat::new("sw").unwrap();
        let a = format.generate(Environment::Test).unwrap();
        let b = format.generate(Environment::Test).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(format.is_valid(a.expose_secret()));
        assert!(
            a.expose_secret()[8..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        );
    }

    #[test]
    fn prefixes() {
        for ok in ["sw", "acme2", "abcdefghijklmnop"] {
            assert!(KeyFormat::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "s", "2x", "Sw", "s_w", "abcdefghijklmnopq", "sé"] {
            assert_eq!(
                KeyFormat::new(bad).unwrap_err().kind(),
                KeyErrorKind::InvalidConfig,
                "{bad}"
            );
        }
    }
}
