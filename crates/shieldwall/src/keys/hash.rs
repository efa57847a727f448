//! Peppered key hashes: HMAC-SHA256 with a server-side secret, compared in constant time.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::KeyError;

/// Shortest accepted pepper, in bytes.
pub const MIN_PEPPER_LEN: usize = 32;

/// The server-side secret mixed into every stored key hash (HMAC-SHA256 key).
///
/// A leaked key table is useless without the pepper: it is kept out of the database (an
/// environment variable, a secrets manager, a KMS). The HMAC's inner and outer states are
/// computed once here, so hashing a key's 45-byte `<id>_<secret>` part costs two SHA-256
/// blocks. `Debug` shows nothing of it.
///
/// # Example
/// ```
/// use shieldwall::keys::Pepper;
///
/// let pepper = Pepper::new(&[7u8; 32])?;
/// assert_eq!(format!("{pepper:?}"), "Pepper(…)");
/// assert!(Pepper::new(b"too short").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Pepper {
    mac: Hmac<Sha256>,
}

impl Pepper {
    /// A pepper from at least 32 secret bytes (e.g. `openssl rand -hex 32`).
    ///
    /// # Errors
    /// When `secret` is shorter than [`MIN_PEPPER_LEN`] bytes.
    pub fn new(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_PEPPER_LEN {
            return Err(KeyError::invalid_config(
                "pepper",
                format!(
                    "{} bytes is shorter than the minimum of {MIN_PEPPER_LEN} bytes",
                    secret.len()
                ),
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| KeyError::invalid_config("pepper", "rejected by hmac"))?;
        Ok(Self { mac })
    }

    /// HMAC-SHA256 of `material` under the pepper. A [`Keyring`](super::Keyring) stores the
    /// hash of a key's `<id>_<secret>` part (see [`KeyRecord::hash`](super::KeyRecord::hash)).
    ///
    /// # Example
    /// ```
    /// use shieldwall::keys::Pepper;
    ///
    /// let pepper = Pepper::new(&[7u8; 32])?;
    /// let a = pepper.hash("sw_live_0123456789ab_secret");
    /// assert!(a.ct_eq(&pepper.hash("sw_live_0123456789ab_secret")));
    /// assert!(!a.ct_eq(&pepper.hash("sw_live_0123456789ab_secreT")));
    /// assert!(!a.ct_eq(&Pepper::new(&[8u8; 32])?.hash("sw_live_0123456789ab_secret")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hash(&self, key: &str) -> KeyHash {
        let mut mac = self.mac.clone();
        mac.update(key.as_bytes());
        KeyHash(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(…)")
    }
}

/// A stored key hash (32 bytes, hex in JSON). Equality is only through the constant-time
/// [`KeyHash::ct_eq`] (the type implements neither `PartialEq` nor `Eq`), so no comparison can
/// stop early at the first differing byte.
///
/// # Example
/// ```
/// use shieldwall::keys::KeyHash;
///
/// let h = KeyHash::from_hex(&"ab".repeat(32))?;
/// assert_eq!(h.to_hex(), "ab".repeat(32));
/// assert_eq!(format!("{h:?}"), "KeyHash(abababab…)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// Compares two hashes in constant time (`subtle::ConstantTimeEq`).
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The hash as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// Parses 64 hex digits.
    ///
    /// # Errors
    /// When `s` is not 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let bytes = s.as_bytes();
        let bad = || {
            KeyError::invalid_config(
                "key hash",
                format!(
                    "expected 64 hex digits, found {} characters",
                    s.chars().count()
                ),
            )
        };
        if bytes.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let hi = hex_digit(pair[0]).ok_or_else(bad)?;
            let lo = hex_digit(pair[1]).ok_or_else(bad)?;
            *o = hi << 4 | lo;
        }
        Ok(Self(out))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({}…)", &self.to_hex()[..8])
    }
}

impl Serialize for KeyHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for KeyHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_an_independent_implementation() {
        // Expected value from Python: hmac.new(pepper, key, hashlib.sha256).hexdigest().
        let pepper = Pepper::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(
            pepper.hash("sw_live_0123456789ab_x").to_hex(),
            "b30befb4ae8920b92c55541a46f5714da33e4b80ab5dcc290d7f34de68e8be33"
        );
    }

    #[test]
    fn every_byte_position_matters() {
        let a = KeyHash([0x5a; 32]);
        assert!(a.ct_eq(&a));
        for i in 0..32 {
            for bit in 0..8 {
                let mut b = a;
                b.0[i] ^= 1 << bit;
                assert!(!a.ct_eq(&b), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn comparison_goes_through_subtle() {
        // The source of this file: `ct_eq` must delegate to subtle, and KeyHash must not derive
        // or implement a short-circuiting PartialEq.
        let src = include_str!("hash.rs");
        let body = src
            .split("pub fn ct_eq")
            .nth(1)
            .and_then(|s| s.split('}').next())
            .unwrap();
        assert!(body.contains("self.0.ct_eq(&other.0).into()"), "{body}");
        let decl = src.split("pub struct KeyHash").next().unwrap();
        let derive = decl
            .lines()
            .rev()
            .find(|l| l.starts_with("#[derive"))
            .unwrap();
        assert!(!derive.contains("PartialEq"), "{derive}");
        let partial_eq_impl = ["impl PartialEq", " for KeyHash"].concat();
        assert!(!src.contains(&partial_eq_impl));
        assert!(src.contains("use subtle::ConstantTimeEq;"));
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = KeyHash([0xc3; 32]);
        assert!(KeyHash::from_hex(&h.to_hex()).unwrap().ct_eq(&h));
        assert!(KeyHash::from_hex("abc").is_err());
        assert!(KeyHash::from_hex(&"zz".repeat(32)).is_err());
        assert!(KeyHash::from_hex(&"é".repeat(32)).is_err());
    }
}
