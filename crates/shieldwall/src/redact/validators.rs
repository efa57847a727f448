//! Validators: checksums and structure checks run on a regex match before it becomes a
//! finding. Each one is a pure function of the matched value, named in the catalog.

use sha2::{Digest, Sha256};

/// A named check applied to a matched value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validator {
    Luhn,
    Iban,
    UsSsn,
    UsItin,
    UkNino,
    UkNhs,
    CaSin,
    EsDni,
    EsNie,
    ItCodiceFiscale,
    InAadhaar,
    PlPesel,
    SePersonnummer,
    NlBsn,
    FrNir,
    BrCpf,
    AuTfn,
    Ipv4,
    Ipv6,
    Mac,
    BtcBase58,
    BtcBech32,
    EthAddress,
    Entropy,
    Password,
    Credential,
    Jwt,
    Phone,
    Date,
    HasDigit,
}

impl Validator {
    /// Every validator name the catalog may use.
    pub(crate) const NAMES: &'static [(&'static str, Validator)] = &[
        ("luhn", Validator::Luhn),
        ("iban", Validator::Iban),
        ("us_ssn", Validator::UsSsn),
        ("us_itin", Validator::UsItin),
        ("uk_nino", Validator::UkNino),
        ("uk_nhs", Validator::UkNhs),
        ("ca_sin", Validator::CaSin),
        ("es_dni", Validator::EsDni),
        ("es_nie", Validator::EsNie),
        ("it_codice_fiscale", Validator::ItCodiceFiscale),
        ("in_aadhaar", Validator::InAadhaar),
        ("pl_pesel", Validator::PlPesel),
        ("se_personnummer", Validator::SePersonnummer),
        ("nl_bsn", Validator::NlBsn),
        ("fr_nir", Validator::FrNir),
        ("br_cpf", Validator::BrCpf),
        ("au_tfn", Validator::AuTfn),
        ("ipv4", Validator::Ipv4),
        ("ipv6", Validator::Ipv6),
        ("mac", Validator::Mac),
        ("btc_base58", Validator::BtcBase58),
        ("btc_bech32", Validator::BtcBech32),
        ("eth_address", Validator::EthAddress),
        ("entropy", Validator::Entropy),
        ("password", Validator::Password),
        ("credential", Validator::Credential),
        ("jwt", Validator::Jwt),
        ("phone", Validator::Phone),
        ("date", Validator::Date),
        ("has_digit", Validator::HasDigit),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Validator> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
    }

    /// Whether `value` passes the check.
    pub(crate) fn check(self, value: &str) -> bool {
        match self {
            Validator::Luhn => luhn(&digits(value)),
            Validator::Iban => iban(value),
            Validator::UsSsn => us_ssn(&digits(value)),
            Validator::UsItin => us_itin(&digits(value)),
            Validator::UkNino => uk_nino(value),
            Validator::UkNhs => uk_nhs(&digits(value)),
            Validator::CaSin => {
                let d = digits(value);
                d.len() == 9 && d[0] != 0 && d[0] != 8 && luhn(&d)
            }
            Validator::EsDni => es_dni(value),
            Validator::EsNie => es_nie(value),
            Validator::ItCodiceFiscale => it_codice_fiscale(value),
            Validator::InAadhaar => {
                let d = digits(value);
                d.len() == 12 && d[0] >= 2 && verhoeff(&d)
            }
            Validator::PlPesel => pl_pesel(&digits(value)),
            Validator::SePersonnummer => se_personnummer(&digits(value)),
            Validator::NlBsn => nl_bsn(&digits(value)),
            Validator::FrNir => fr_nir(&digits(value)),
            Validator::BrCpf => br_cpf(&digits(value)),
            Validator::AuTfn => au_tfn(&digits(value)),
            Validator::Ipv4 => ipv4(value),
            Validator::Ipv6 => ipv6(value),
            Validator::Mac => mac(value),
            Validator::BtcBase58 => btc_base58(value),
            Validator::BtcBech32 => bech32(value),
            Validator::EthAddress => eth_address(value),
            Validator::Entropy => entropy(value) >= 3.0 && !is_reference(value),
            Validator::Password => password(value),
            Validator::Credential => credential(value),
            Validator::Jwt => jwt(value),
            Validator::Phone => {
                let n = digits(value).len();
                (7..=15).contains(&n)
            }
            Validator::Date => date(value),
            Validator::HasDigit => value.bytes().filter(u8::is_ascii_digit).count() >= 2,
        }
    }
}

/// The ASCII digits of `s` as numbers.
pub(crate) fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// Luhn (mod 10) checksum over digits, the last being the check digit.
pub(crate) fn luhn(d: &[u8]) -> bool {
    if d.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// IBAN lengths per country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

fn iban(value: &str) -> bool {
    let s: Vec<u8> = value
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.len() < 15 || !s[0].is_ascii_uppercase() || !s[1].is_ascii_uppercase() {
        return false;
    }
    let country = [s[0], s[1]];
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_bytes() == country) else {
        return false;
    };
    if s.len() != len {
        return false;
    }
    let mut rem = 0u32;
    for &b in s[4..].iter().chain(&s[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |a, &x| a * 10 + u32::from(x))
}

fn us_ssn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let (area, group, serial) = (num(&d[..3]), num(&d[3..5]), num(&d[5..]));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
        // numbers that were used in advertising and never issued
        && !(area == 78 && group == 5 && serial == 1120)
        && !(area == 219 && group == 9 && serial == 9999)
}

fn us_itin(d: &[u8]) -> bool {
    if d.len() != 9 || d[0] != 9 {
        return false;
    }
    let g = num(&d[3..5]);
    matches!(g, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

fn uk_nino(value: &str) -> bool {
    let s: Vec<u8> = value
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.len() != 9 {
        return false;
    }
    let (a, b) = (s[0], s[1]);
    let bad_first = b"DFIQUV";
    let bad_second = b"DFIOQUV";
    let bad_prefix: [&[u8; 2]; 6] = [b"BG", b"GB", b"NK", b"KN", b"TN", b"NT"];
    !bad_first.contains(&a)
        && !bad_second.contains(&b)
        && !bad_prefix.iter().any(|p| p[0] == a && p[1] == b)
        && s[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&s[8])
}

fn uk_nhs(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * (10 - i as u32))
        .sum();
    let check = 11 - (sum % 11);
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == u32::from(d[9])
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

fn es_dni(value: &str) -> bool {
    let s = value.as_bytes();
    let Some((&letter, body)) = s.split_last() else {
        return false;
    };
    let d: Vec<u8> = body
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    d.len() == 8 && DNI_LETTERS[(num(&d) % 23) as usize] == letter.to_ascii_uppercase()
}

fn es_nie(value: &str) -> bool {
    let s = value.as_bytes();
    if s.len() < 9 {
        return false;
    }
    let first = match s[0].to_ascii_uppercase() {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return false,
    };
    let mut d = vec![first];
    d.extend(digits(&value[1..]));
    let letter = s[s.len() - 1].to_ascii_uppercase();
    d.len() == 8 && DNI_LETTERS[(num(&d) % 23) as usize] == letter
}

fn it_codice_fiscale(value: &str) -> bool {
    const ODD: [u32; 36] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23, // A-Z
    ];
    let s: Vec<u8> = value.bytes().map(|b| b.to_ascii_uppercase()).collect();
    if s.len() != 16 || !s.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in s[..15].iter().enumerate() {
        let idx = if c.is_ascii_digit() {
            (c - b'0') as usize
        } else {
            (c - b'A') as usize + 10
        };
        sum += if i % 2 == 0 {
            ODD[idx]
        } else if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A')
        };
    }
    s[15] == b'A' + (sum % 26) as u8
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff checksum over digits, the last being the check digit.
pub(crate) fn verhoeff(d: &[u8]) -> bool {
    let mut c = 0u8;
    for (i, &x) in d.iter().rev().enumerate() {
        c = VERHOEFF_D[c as usize][VERHOEFF_P[i % 8][x as usize] as usize];
    }
    c == 0
}

fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

fn pl_pesel(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = d[..10].iter().zip(W).map(|(&x, w)| u32::from(x) * w).sum();
    let check = (10 - sum % 10) % 10;
    let (yy, mm, dd) = (num(&d[..2]), num(&d[2..4]), num(&d[4..6]));
    let (century, month) = match mm {
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        81..=92 => (1800, mm - 80),
        _ => return false,
    };
    check == u32::from(d[10]) && valid_ymd(century + yy, month, dd)
}

fn se_personnummer(d: &[u8]) -> bool {
    let d = match d.len() {
        10 => d,
        12 => &d[2..],
        _ => return false,
    };
    let (yy, mm, mut dd) = (num(&d[..2]), num(&d[2..4]), num(&d[4..6]));
    if dd > 60 {
        dd -= 60; // samordningsnummer
    }
    valid_ymd(2000 + yy, mm, dd) && luhn(d)
}

fn nl_bsn(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    let mut sum: i32 = 0;
    for (i, &x) in d[..8].iter().enumerate() {
        sum += i32::from(x) * (9 - i as i32);
    }
    sum -= i32::from(d[8]);
    sum % 11 == 0
}

fn fr_nir(d: &[u8]) -> bool {
    if d.len() != 15 || !(1..=2).contains(&d[0]) {
        return false;
    }
    let body = d[..13].iter().fold(0u64, |a, &x| a * 10 + u64::from(x));
    let key = u64::from(num(&d[13..]));
    97 - body % 97 == key
}

fn br_cpf(d: &[u8]) -> bool {
    if d.len() != 11 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = d[..n]
            .iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * (n as u32 + 1 - i as u32))
            .sum();
        let r = (sum * 10) % 11;
        if r == 10 { 0 } else { r }
    };
    check(9) == u32::from(d[9]) && check(10) == u32::from(d[10])
}

fn au_tfn(d: &[u8]) -> bool {
    const W: [u32; 9] = [1, 4, 3, 7, 5, 8, 6, 9, 10];
    d.len() == 9 && d.iter().zip(W).map(|(&x, w)| u32::from(x) * w).sum::<u32>() % 11 == 0
}

fn ipv4(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty() && p.len() <= 3 && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
        // 0.x.x.x is not a host address; version strings like 1.2.3.4 are rare enough
        && !parts[0].starts_with('0')
}

fn ipv6(value: &str) -> bool {
    value.matches(':').count() >= 2
        && value.parse::<std::net::Ipv6Addr>().is_ok_and(|a| {
            !a.is_unspecified()
                && !a.is_loopback()
                && a.segments().iter().filter(|&&s| s != 0).count() >= 2
        })
}

fn mac(value: &str) -> bool {
    let hex: Vec<u8> = value.bytes().filter(u8::is_ascii_hexdigit).collect();
    hex.len() == 12
        && !hex.iter().all(|&b| b == b'0')
        && !hex.iter().all(|&b| b.eq_ignore_ascii_case(&b'f'))
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn btc_base58(value: &str) -> bool {
    // Decode base58 into a big-endian byte vector.
    let mut bytes: Vec<u8> = Vec::with_capacity(25);
    for c in value.bytes() {
        let Some(mut carry) = BASE58.iter().position(|&b| b == c).map(|p| p as u32) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = value.bytes().take_while(|&b| b == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(bytes);
    if full.len() != 25 {
        return false;
    }
    let (payload, check) = full.split_at(21);
    let h = Sha256::digest(Sha256::digest(payload));
    h[..4] == *check && matches!(payload[0], 0x00 | 0x05)
}

const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower != value && value.to_ascii_uppercase() != value {
        return false; // mixed case is invalid
    }
    let Some(pos) = lower.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&lower[..pos], &lower[pos + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(hrp.len() * 2 + 1 + data.len());
    values.extend(hrp.bytes().map(|b| b >> 5));
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for c in data.bytes() {
        let Some(p) = BECH32.iter().position(|&b| b == c) else {
            return false;
        };
        values.push(p as u8);
    }
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    // bech32 (segwit v0) or bech32m (v1+)
    chk == 1 || chk == 0x2bc830a3
}

fn eth_address(value: &str) -> bool {
    let hex = value.strip_prefix("0x").unwrap_or(value);
    hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && entropy(hex) >= 3.0
}

/// Shannon entropy of the bytes of `s`, in bits per byte.
pub(crate) fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Values that refer to a secret instead of being one: `${VAR}`, `$VAR`, `%s`, `{{ x }}`,
/// `process.env.X`, `os.environ[...]`.
fn is_reference(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    v.starts_with('$')
        || v.starts_with('%')
        || v.starts_with("{{")
        || v.starts_with('<')
        || v.contains("process.env")
        || v.contains("os.environ")
        || v.contains("getenv")
        || v.starts_with("env.")
        || v.starts_with("ENV[")
}

fn password(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    v.len() >= 6
        && !is_reference(v)
        && entropy(v) >= 2.5
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "password"
                | "required"
                | "optional"
                | "string"
                | "null"
                | "none"
                | "undefined"
                | "true"
                | "false"
                | "hidden"
                | "secret"
                | "******"
        )
}

/// A password inside a URL or connection string: anything but an empty, referenced or
/// stock value.
fn credential(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    v.len() >= 3
        && !is_reference(v)
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "password" | "xxx" | "***" | "changeme" | "example" | "placeholder"
        )
}

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn jwt(value: &str) -> bool {
    let mut parts = value.split('.');
    let Some(header) = parts.next().and_then(b64url_decode) else {
        return false;
    };
    let Ok(header) = std::str::from_utf8(&header) else {
        return false;
    };
    let header = header.trim_start();
    header.starts_with('{') && header.contains("\"alg\"")
}

/// A calendar date in one of: YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY,
/// DD-MM-YYYY (either day/month order accepted when valid).
fn date(value: &str) -> bool {
    let parts: Vec<&str> = value.split(['-', '/', '.', ' ']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        return false;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let year_ok = |y: u32| (1900..=2100).contains(&y);
    if parts[0].len() == 4 {
        year_ok(n[0]) && valid_ymd(n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        year_ok(n[2]) && (valid_ymd(n[2], n[1], n[0]) || valid_ymd(n[2], n[0], n[1]))
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_valid_and_rejects_one_digit_off() {
        assert!(Validator::Luhn.check("4539 1488 0343 6467"));
        assert!(!Validator::Luhn.check("4539 1488 0343 6468"));
        assert!(!luhn(&[]));
    }

    #[test]
    fn iban_checks_mod97_and_country_length() {
        assert!(iban("GB82 WEST 1234 5698 7654 32"));
        assert!(iban("DE89370400440532013000"));
        assert!(!iban("GB82 WEST 1234 5698 7654 33"));
        assert!(!iban("DE8937040044053201300")); // one short
        assert!(!iban("ZZ89370400440532013000"));
    }

    #[test]
    fn ssn_rejects_invalid_ranges() {
        assert!(us_ssn(&digits("536-22-1234")));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "536-00-1234",
            "536-22-0000",
            "078-05-1120",
        ] {
            assert!(!us_ssn(&digits(bad)), "{bad}");
        }
    }

    #[test]
    fn national_ids() {
        assert!(uk_nino("AB 12 34 56 C"));
        assert!(!uk_nino("BG123456C"));
        assert!(!uk_nino("AB123456E"));
        assert!(uk_nhs(&digits("943 476 5919")));
        assert!(!uk_nhs(&digits("943 476 5918")));
        assert!(Validator::CaSin.check("130 427 891"));
        assert!(!Validator::CaSin.check("130 427 892"));
        assert!(es_dni("12345678Z"));
        assert!(!es_dni("12345678A"));
        assert!(es_nie("X1234567L"));
        assert!(!es_nie("X1234567A"));
        assert!(it_codice_fiscale("RSSMRA85T10A562S"));
        assert!(!it_codice_fiscale("RSSMRA85T10A562T"));
        assert!(Validator::InAadhaar.check("2345 6789 0124"));
        assert!(!Validator::InAadhaar.check("2345 6789 0123"));
        assert!(pl_pesel(&digits("44051401359")));
        assert!(!pl_pesel(&digits("44051401358")));
        assert!(se_personnummer(&digits("811218-9876")));
        assert!(!se_personnummer(&digits("811218-9875")));
        assert!(nl_bsn(&digits("111222333")));
        assert!(!nl_bsn(&digits("111222334")));
        assert!(br_cpf(&digits("529.982.247-25")));
        assert!(!br_cpf(&digits("529.982.247-26")));
        assert!(!br_cpf(&digits("111.111.111-11")));
        assert!(au_tfn(&digits("123 456 782")));
        assert!(!au_tfn(&digits("123 456 789")));
        assert!(fr_nir(&digits("2 55 08 14 168 025 38")));
        assert!(!fr_nir(&digits("2 55 08 14 168 025 39")));
    }

    #[test]
    fn verhoeff_known_vector() {
        // 236 has check digit 3 (classic example).
        assert!(verhoeff(&[2, 3, 6, 3]));
        assert!(!verhoeff(&[2, 3, 6, 4]));
    }

    #[test]
    fn network_addresses() {
        assert!(ipv4("192.168.10.20"));
        assert!(!ipv4("256.1.1.1"));
        assert!(!ipv4("01.2.3.4"));
        assert!(ipv6("2001:db8:85a3::8a2e:370:7334"));
        assert!(!ipv6("::1"));
        assert!(!ipv6("10:23:45"));
        assert!(mac("00:1A:2B:3C:4D:5E"));
        assert!(!mac("00:00:00:00:00:00"));
    }

    #[test]
    fn wallets() {
        assert!(btc_base58("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(btc_base58("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!btc_base58("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
        assert!(bech32("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
        assert!(!bech32("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp"));
        assert!(eth_address("0x52908400098527886E0F7030069857D2E4169EE7"));
        assert!(!eth_address("0x0000000000000000000000000000000000000000"));
    }

    #[test]
    fn entropy_password_jwt_date() {
        assert!(entropy("aaaa") < 0.01);
        assert!(entropy("abcd") > 1.99);
        assert!(password("Tr0ub4dor&3"));
        assert!(!password("${DB_PASSWORD}"));
        assert!(!password("aaaaaaa"));
        assert!(credential("s3cr3t"));
        assert!(!credential("password"));
        assert!(!credential("${PGPASS}"));
        assert!(jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"));
        assert!(!jwt("eyJzdWIiOiIxIn0.eyJzdWIiOiIxIn0.abc"));
        assert!(date("1984-02-29"));
        assert!(!date("1985-02-29"));
        assert!(date("31/12/1990"));
        assert!(!date("31/13/1990x"));
    }

    #[test]
    fn every_name_resolves() {
        for (name, v) in Validator::NAMES {
            assert_eq!(Validator::from_name(name), Some(*v));
        }
        assert_eq!(Validator::from_name("nope"), None);
    }
}
