//! Scopes: what a key may do, and the decision for one request.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{KeyError, KeyPart};
use super::format::{Environment, KeyId};

/// Longest glob pattern accepted, in bytes.
pub const MAX_GLOB_LEN: usize = 256;

/// A glob pattern for model and endpoint names: `*` matches any run of characters (also
/// none, also `/`), `?` matches exactly one character, every other character matches itself
/// (case-sensitive).
///
/// Matching never backtracks beyond the last `*`: the pattern is split at its stars and each
/// piece is matched at its leftmost place, so a match takes at most `pattern × text` steps
/// (the pattern is at most [`MAX_GLOB_LEN`] bytes).
///
/// # Example
/// ```
/// use shieldwall::keys::Glob;
///
/// let glob = Glob::new("gpt-4o*")?;
/// assert!(glob.matches("gpt-4o"));
/// assert!(glob.matches("gpt-4o-mini"));
/// assert!(!glob.matches("gpt-4"));
/// assert!(Glob::new("/v1/*/completions")?.matches("/v1/chat/completions"));
/// assert!(Glob::new("claude-?-haiku")?.matches("claude-3-haiku"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    /// The pattern split at `*`: one piece means no star.
    pieces: Vec<Box<[u8]>>,
}

impl Glob {
    /// Compiles a pattern.
    ///
    /// # Errors
    /// When the pattern is empty or longer than [`MAX_GLOB_LEN`] bytes.
    pub fn new(pattern: &str) -> Result<Self, KeyError> {
        if pattern.is_empty() || pattern.len() > MAX_GLOB_LEN {
            return Err(KeyError::invalid_config(
                "glob",
                format!(
                    "pattern of {} bytes must be 1 to {MAX_GLOB_LEN} bytes long",
                    pattern.len()
                ),
            ));
        }
        let pieces = pattern
            .as_bytes()
            .split(|&b| b == b'*')
            .map(Box::from)
            .collect();
        Ok(Self {
            pattern: pattern.to_owned(),
            pieces,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return false,
        };
        let Some((last, middle)) = rest.split_last() else {
            return piece_at(first, t, 0) == Some(t.len());
        };
        let Some(mut pos) = piece_at(first, t, 0) else {
            return false;
        };
        for piece in middle {
            match (pos..=t.len())
                .filter(|&i| text.is_char_boundary(i))
                .find_map(|i| piece_at(piece, t, i))
            {
                Some(end) => pos = end,
                None => return false,
            }
        }
        (pos..=t.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| piece_at(last, t, i) == Some(t.len()))
    }
}

/// Matches a star-free piece at byte `i` of `t` (a char boundary); returns where it ends.
fn piece_at(piece: &[u8], t: &[u8], mut i: usize) -> Option<usize> {
    for &p in piece {
        let &c = t.get(i)?;
        if p == b'?' {
            i += utf8_len(c);
        } else if p == c {
            i += 1;
        } else {
            return None;
        }
    }
    (i <= t.len()).then_some(i)
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl FromStr for Glob {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::new(s)
    }
}

impl Serialize for Glob {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pattern)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address
/// is a network of one. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) of requests match
/// IPv4 networks.
///
/// # Example
/// ```
/// use shieldwall::keys::Cidr;
///
/// let net: Cidr = "10.0.0.0/8".parse()?;
/// assert!(net.contains("10.20.30.40".parse()?));
/// assert!(net.contains("::ffff:10.1.2.3".parse()?));
/// assert!(!net.contains("11.0.0.1".parse()?));
/// assert!("2001:db8::/32".parse::<Cidr>()?.contains("2001:db8::1".parse()?));
/// assert_eq!(
///     "10.0.0.1/8".parse::<Cidr>().unwrap_err().to_string(),
///     "invalid cidr: \"10.0.0.1/8\" has host bits set (the network is 10.0.0.0/8)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// Parses `address/length` or a bare address.
    ///
    /// # Errors
    /// When the address or length does not parse, the length exceeds 32 (IPv4) or 128
    /// (IPv6), or bits beyond the length are set.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let bad = |why: &str| KeyError::invalid_config("cidr", format!("{s:?} {why}"));
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("is not an ipv4 or ipv6 address with an optional /length"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(l) => match l.parse::<u8>() {
                Ok(n) if n <= max && !l.starts_with('+') => n,
                _ => return Err(bad(&format!("has a prefix length other than 0 to {max}"))),
            },
        };
        let cidr = Self { addr, len };
        let network = cidr.network();
        if network != addr {
            return Err(bad(&format!(
                "has host bits set (the network is {network}/{len})"
            )));
        }
        Ok(cidr)
    }

    fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask32(self.len)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask128(self.len)).into()),
        }
    }

    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                (u32::from(ip) & mask32(self.len)) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                (u128::from(ip) & mask128(self.len)) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cidr({self})")
    }
}

impl FromStr for Cidr {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::parse(s)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a key may do. Every restriction is optional: `None` (the default, and a missing field
/// in JSON) means unrestricted; a list restricts to its entries, so an empty list allows
/// nothing.
///
/// # Example
/// ```
/// use shieldwall::keys::Scopes;
///
/// let scopes: Scopes = serde_json::from_str(r#"{
///     "models": ["gpt-4o-mini", "claude-*-haiku*"],
///     "endpoints": ["/v1/chat/completions"],
///     "max_tokens": 4096,
///     "limiter_policy": "free-tier",
///     "ip_allow": ["10.0.0.0/8", "2001:db8::/32"]
/// }"#)?;
/// assert_eq!(scopes.max_tokens, Some(4096));
/// assert!(serde_json::from_str::<Scopes>(r#"{"model": []}"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scopes {
    /// Models the key may call (glob patterns); checked when the request names a model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Glob>>,
    /// Endpoints (paths) the key may call (glob patterns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<Glob>>,
    /// Largest `max_tokens` a request may ask for. A request that states none gets this cap
    /// in its [`Grant`] to apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Name of the rate-limiter policy for this key's traffic; passed on in the [`Grant`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limiter_policy: Option<String>,
    /// Networks requests may come from. A request without an address is denied when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_allow: Option<Vec<Cidr>>,
}

impl Scopes {
    /// The first scope that denies `request`, checked in the order IP, endpoint, model,
    /// max tokens; `None` when the request is within scope. Key state (expiry, revocation,
    /// rotation) is checked by [`Keyring::authorize`](super::Keyring::authorize), not here.
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::{Denial, Glob, KeyId, Request, Scopes};
    ///
    /// let scopes = Scopes { models: Some(vec![Glob::new("gpt-4o*")?]), ..Scopes::default() };
    /// let id = KeyId::parse("0123456789ab")?;
    /// let request = Request { model: Some("o1"), ..Request::new("/v1/chat/completions") };
    /// assert_eq!(
    ///     scopes.check(id, &request),
    ///     Some(Denial::Model { id, model: "o1".into() })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, id: KeyId, request: &Request<'_>) -> Option<Denial> {
        if let Some(nets) = &self.ip_allow {
            let allowed = request
                .ip
                .is_some_and(|ip| nets.iter().any(|net| net.contains(ip)));
            if !allowed {
                return Some(Denial::Ip { id, ip: request.ip });
            }
        }
        if let Some(globs) = &self.endpoints {
            if !globs.iter().any(|g| g.matches(request.endpoint)) {
                return Some(Denial::Endpoint {
                    id,
                    endpoint: request.endpoint.to_owned(),
                });
            }
        }
        if let (Some(globs), Some(model)) = (&self.models, request.model) {
            if !globs.iter().any(|g| g.matches(model)) {
                return Some(Denial::Model {
                    id,
                    model: model.to_owned(),
                });
            }
        }
        if let (Some(max), Some(requested)) = (self.max_tokens, request.max_tokens) {
            if requested > max {
                return Some(Denial::MaxTokens { id, requested, max });
            }
        }
        None
    }
}

/// The parts of an API request that scopes restrict.
///
/// # Example
/// ```
/// use shieldwall::keys::Request;
///
/// let request = Request {
///     model: Some("gpt-4o-mini"),
///     max_tokens: Some(512),
///     ip: Some("10.1.2.3".parse()?),
///     ..Request::new("/v1/chat/completions")
/// };
/// assert_eq!(request.endpoint, "/v1/chat/completions");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request<'a> {
    /// The endpoint (path) called.
    pub endpoint: &'a str,
    /// The model asked for, when the endpoint takes one.
    pub model: Option<&'a str>,
    /// The `max_tokens` the request asks for, when it states one.
    pub max_tokens: Option<u64>,
    /// The client's address, when known.
    pub ip: Option<IpAddr>,
}

impl<'a> Request<'a> {
    /// A request to `endpoint` with no model, token count or address.
    pub fn new(endpoint: &'a str) -> Self {
        Self {
            endpoint,
            ..Self::default()
        }
    }
}

/// What an allowed request may do: the key's id and environment, and the limits the caller
/// applies next.
///
/// # Example
/// ```
/// use shieldwall::keys::{Environment, Grant, KeyId};
///
/// let grant = Grant {
///     id: KeyId::parse("0123456789ab")?,
///     environment: Environment::Live,
///     limiter_policy: Some("free-tier".into()),
///     max_tokens: Some(4096),
///     account: None,
///     superseded_until: None,
/// };
/// assert_eq!(
///     serde_json::to_string(&grant)?,
///     concat!(
///         r#"{"id":"0123456789ab","environment":"live","#,
///         r#""limiter_policy":"free-tier","max_tokens":4096}"#
///     )
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The key's public id.
    pub id: KeyId,
    /// The key's environment.
    pub environment: Environment,
    /// The rate-limiter policy for this key, from its scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limiter_policy: Option<String>,
    /// The key's token cap per request, from its scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// The account the key belongs to, from its record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the key has been rotated: the end of its grace period (unix seconds). Tell the
    /// client to switch to the successor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_until: Option<u64>,
}

/// Why a request was denied: the exact check or scope that failed, as data.
///
/// Report [`Denial::Malformed`], [`Denial::UnknownKey`] and [`Denial::WrongSecret`] to the
/// client alike (e.g. a plain 401), so it cannot tell which ids exist; keep the detail for
/// your logs.
///
/// # Example
/// ```
/// use shieldwall::keys::{Denial, KeyId};
///
/// let id = KeyId::parse("0123456789ab")?;
/// let denial = Denial::MaxTokens { id, requested: 9000, max: 4096 };
/// assert_eq!(denial.reason(), "max_tokens");
/// assert_eq!(
///     serde_json::to_string(&denial)?,
///     r#"{"reason":"max_tokens","id":"0123456789ab","requested":9000,"max":4096}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Denial {
    /// The presented string is not a key of this format (or has a bad checksum).
    Malformed {
        /// The part that is wrong.
        part: KeyPart,
    },
    /// No record has this id.
    UnknownKey {
        /// The id in the presented key.
        id: KeyId,
    },
    /// A record has this id, but the key's hash differs.
    WrongSecret {
        /// The key's id.
        id: KeyId,
    },
    /// The key was revoked.
    Revoked {
        /// The key's id.
        id: KeyId,
        /// When (unix seconds).
        at: u64,
    },
    /// The key expired.
    Expired {
        /// The key's id.
        id: KeyId,
        /// When (unix seconds).
        at: u64,
    },
    /// The key was rotated and its grace period is over.
    Superseded {
        /// The key's id.
        id: KeyId,
        /// The key that replaced it.
        successor: KeyId,
        /// When the grace period ended (unix seconds).
        at: u64,
    },
    /// The client's address is not in the key's IP allow-list (or is unknown).
    Ip {
        /// The key's id.
        id: KeyId,
        /// The client's address, if known.
        ip: Option<IpAddr>,
    },
    /// The endpoint is not in the key's endpoint scope.
    Endpoint {
        /// The key's id.
        id: KeyId,
        /// The endpoint called.
        endpoint: String,
    },
    /// The model is not in the key's model scope.
    Model {
        /// The key's id.
        id: KeyId,
        /// The model asked for.
        model: String,
    },
    /// The request asks for more tokens than the key allows.
    MaxTokens {
        /// The key's id.
        id: KeyId,
        /// Tokens asked for.
        requested: u64,
        /// The key's cap.
        max: u64,
    },
}

impl Denial {
    /// The reason as a short snake_case name (the `reason` field in JSON).
    pub fn reason(&self) -> &'static str {
        match self {
            Denial::Malformed { .. } => "malformed",
            Denial::UnknownKey { .. } => "unknown_key",
            Denial::WrongSecret { .. } => "wrong_secret",
            Denial::Revoked { .. } => "revoked",
            Denial::Expired { .. } => "expired",
            Denial::Superseded { .. } => "superseded",
            Denial::Ip { .. } => "ip",
            Denial::Endpoint { .. } => "endpoint",
            Denial::Model { .. } => "model",
            Denial::MaxTokens { .. } => "max_tokens",
        }
    }
}

/// The decision for one request: allowed with a [`Grant`], or denied with the [`Denial`]
/// that says which check failed.
///
/// # Example
/// ```
/// use shieldwall::keys::{Authorization, Denial, KeyPart};
///
/// let decision = Authorization::Deny(Denial::Malformed { part: KeyPart::Checksum });
/// assert!(!decision.is_allowed());
/// assert_eq!(
///     serde_json::to_string(&decision)?,
///     r#"{"decision":"deny","reason":"malformed","part":"checksum"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Authorization {
    /// The request may proceed.
    Allow(Grant),
    /// The request is denied.
    Deny(Denial),
}

impl Authorization {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Authorization::Allow(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at all", true),
            ("gpt-4o", "gpt-4o", true),
            ("gpt-4o", "gpt-4o-mini", false),
            ("gpt-*", "gpt-", true),
            ("*-mini", "gpt-4o-mini", true),
            ("*-mini", "gpt-4o-mini2", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYc Z", false),
            ("a**b", "ab", true),
            ("?", "é", true),
            ("?", "ab", false),
            ("?", "", false),
            ("x?z", "x日z", true),
            ("*日*", "abc日def", true),
            ("*?", "", false),
            ("*?", "日", true),
            ("a*a*a*a*a*b", &"a".repeat(200), false),
            ("/v1/*", "/v1/chat/completions", true),
            ("GPT", "gpt", false),
        ];
        for &(pattern, text, expected) in cases {
            assert_eq!(
                Glob::new(pattern).unwrap().matches(text),
                expected,
                "{pattern} {text}"
            );
        }
        assert!(Glob::new("").is_err());
        assert!(Glob::new(&"a".repeat(MAX_GLOB_LEN + 1)).is_err());
    }

    #[test]
    fn cidr_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("0.0.0.0/0", "1.2.3.4", true),
            ("0.0.0.0/0", "::1", false),
            ("::/0", "::1", true),
            ("::/0", "1.2.3.4", false),
            ("192.168.1.0/24", "192.168.1.255", true),
            ("192.168.1.0/24", "192.168.2.0", false),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("10.0.0.0/8", "::ffff:10.9.9.9", true),
            ("::1", "::1", true),
        ];
        for &(net, ip, expected) in cases {
            let net = Cidr::parse(net).unwrap();
            assert_eq!(net.contains(ip.parse().unwrap()), expected, "{net} {ip}");
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "::/129",
            "10.0.0.1/8",
            "10.0.0/8",
            "x",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Cidr::parse("2001:db8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
    }

    #[test]
    fn authorization_round_trips() {
        let id = KeyId::parse("0123456789ab").unwrap();
        let decisions = [
            Authorization::Allow(Grant {
                id,
                environment: Environment::Test,
                limiter_policy: None,
                max_tokens: Some(5),
                account: Some("acme".into()),
                superseded_until: Some(9),
            }),
            Authorization::Deny(Denial::Ip {
                id,
                ip: Some("::1".parse().unwrap()),
            }),
            Authorization::Deny(Denial::Superseded {
                id,
                successor: id,
                at: 3,
            }),
        ];
        for d in decisions {
            let json = serde_json::to_string(&d).unwrap();
            let back: Authorization = serde_json::from_str(&json).unwrap();
            assert_eq!(back, d, "{json}");
        }
    }
}
