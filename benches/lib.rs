//! Inputs shared by the criterion benches: deterministic generated text, so every run
//! measures the same bytes.

/// A small deterministic generator (xorshift64*), so the benches need no `rand`.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ENGLISH: &[&str] = &[
    "The",
    "model",
    "answered",
    "the",
    "question",
    "about",
    "quarterly",
    "revenue",
    "and",
    "then",
    "summarised",
    "report",
    "for",
    "our",
    "customers",
    "in",
    "a",
    "short",
    "paragraph.",
    "Please",
    "review",
    "attached",
    "document",
    "before",
    "Friday,",
    "thanks!",
    "It",
    "was",
    "raining",
    "when",
    "we",
    "deployed",
    "new",
    "version",
    "to",
    "production",
    "servers.",
];

const OTHER: &[&str] = &[
    "Привет,",
    "как",
    "дела?",
    "Мы",
    "обновили",
    "модель",
    "сегодня.",
    "这是",
    "一个",
    "测试",
    "句子。",
    "Καλημέρα",
    "κόσμε",
    "Grüße",
    "aus",
    "München,",
    "café",
    "naïve",
    "résumé",
    "日本語の",
    "テキスト",
    "です。",
    "مرحبا",
    "بالعالم",
    "नमस्ते",
    "दुनिया",
];

/// English prose, ASCII only, of about `len` bytes.
pub fn ascii_prose(len: usize) -> String {
    words(len, &mut Rng::new(1), |rng| rng.pick(ENGLISH).to_string())
}

/// Prose mixing English with Russian, Chinese, Greek, German, Japanese, Arabic and Hindi words.
pub fn mixed_script(len: usize) -> String {
    words(len, &mut Rng::new(2), |rng| {
        if rng.below(2) == 0 {
            rng.pick(ENGLISH)
        } else {
            rng.pick(OTHER)
        }
        .to_string()
    })
}

/// Text dense with hiding tricks: zero-width and bidi characters inside words, look-alike
/// letters, fullwidth and mathematical letters, tag characters and stacked marks.
pub fn adversarial(len: usize) -> String {
    words(len, &mut Rng::new(3), |rng| {
        let word = *rng.pick(ENGLISH);
        let mut out = String::new();
        for c in word.chars() {
            match rng.below(8) {
                0 => out.push_str(&format!("{c}\u{200B}")),
                1 => out.push(match c {
                    'a' => 'а',
                    'e' => 'е',
                    'o' => 'о',
                    'p' => 'р',
                    'c' => 'с',
                    _ => c,
                }),
                2 if c.is_ascii_alphabetic() => out.push(
                    char::from_u32(0xFF21 + (c.to_ascii_uppercase() as u32 - 0x41)).unwrap_or(c),
                ),
                3 => out.push(char::from_u32(0xE0000 + c as u32).unwrap_or(c)),
                4 => out.push_str(&format!("{c}\u{0301}\u{0302}")),
                5 => out.push_str(&format!("\u{202E}{c}\u{202C}")),
                _ => out.push(c),
            }
        }
        out
    })
}

fn words(len: usize, rng: &mut Rng, mut word: impl FnMut(&mut Rng) -> String) -> String {
    let mut out = String::with_capacity(len + 64);
    while out.len() < len {
        out.push_str(&word(rng));
        out.push(if rng.below(12) == 0 { '\n' } else { ' ' });
    }
    out
}
