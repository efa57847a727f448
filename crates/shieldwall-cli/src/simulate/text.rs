//! Prompt text: template-free human questions on Zipf-distributed topics, long documents for
//! batch jobs, app-templated questions, and the attackers' templates with swept slots.

use super::rng::Rng;

/// Topics, each with nouns a person might ask about (capitalised ones are proper names).
const TOPICS: &[(&str, &[&str])] = &[
    (
        "code",
        &[
            "Python script",
            "Rust borrow checker",
            "SQL query",
            "regex",
            "unit test",
            "Docker image",
            "git rebase",
            "React component",
            "memory leak",
            "race condition",
            "REST endpoint",
            "bash loop",
        ],
    ),
    (
        "writing",
        &[
            "cover letter",
            "blog post",
            "wedding speech",
            "product description",
            "thank-you note",
            "resume summary",
            "newsletter intro",
            "short poem",
            "apology email",
        ],
    ),
    (
        "cooking",
        &[
            "sourdough starter",
            "vegan lasagna",
            "chicken curry",
            "pancake batter",
            "risotto",
            "meal prep plan",
            "chocolate cake",
            "pad thai",
            "bread crust",
        ],
    ),
    (
        "travel",
        &[
            "trip to Lisbon",
            "weekend in Kyoto",
            "packing list",
            "train pass",
            "visa application",
            "road trip",
            "hostel booking",
            "flight delay claim",
        ],
    ),
    (
        "health",
        &[
            "running plan",
            "sleep schedule",
            "back pain",
            "stretching routine",
            "protein intake",
            "headache",
            "posture",
            "marathon training",
        ],
    ),
    (
        "finance",
        &[
            "monthly budget",
            "index fund",
            "tax return",
            "mortgage rate",
            "credit score",
            "emergency fund",
            "student loan",
            "retirement account",
        ],
    ),
    (
        "study",
        &[
            "calculus exam",
            "photosynthesis",
            "French Revolution",
            "essay outline",
            "linear algebra",
            "organic chemistry",
            "Spanish verbs",
            "history paper",
        ],
    ),
    (
        "work",
        &[
            "meeting agenda",
            "performance review",
            "project timeline",
            "slide deck",
            "stakeholder email",
            "quarterly report",
            "job interview",
            "salary negotiation",
        ],
    ),
    (
        "home",
        &[
            "leaky faucet",
            "garden soil",
            "houseplant",
            "paint color",
            "shelf installation",
            "mold in the bathroom",
            "noisy fridge",
            "compost bin",
        ],
    ),
    (
        "science",
        &[
            "black holes",
            "climate models",
            "quantum entanglement",
            "vaccines",
            "plate tectonics",
            "CRISPR",
            "dark matter",
            "the immune system",
        ],
    ),
    (
        "games",
        &[
            "chess opening",
            "Dungeons and Dragons campaign",
            "Minecraft redstone",
            "puzzle design",
            "board game night",
            "speedrun route",
        ],
    ),
    (
        "pets",
        &[
            "puppy training",
            "cat litter",
            "aquarium filter",
            "dog food",
            "hamster cage",
            "bird cage",
        ],
    ),
    (
        "music",
        &[
            "guitar chords",
            "piano practice",
            "song lyrics",
            "music theory",
            "home studio",
            "drum pattern",
        ],
    ),
    (
        "legal",
        &[
            "rental contract",
            "small claims court",
            "privacy policy",
            "terms of service",
            "copyright question",
            "noise complaint",
        ],
    ),
    (
        "data",
        &[
            "pivot table",
            "Excel formula",
            "pandas dataframe",
            "dashboard",
            "A/B test",
            "regression model",
            "CSV cleanup",
        ],
    ),
];

const OPENERS: &[&str] = &[
    "how do i",
    "can you help me with my",
    "what's the best way to handle a",
    "why does my",
    "explain",
    "i need ideas for a",
    "give me tips on a",
    "is it normal that my",
    "what should i know about a",
    "compare options for a",
    "help me fix a",
    "could you review my",
    "any advice on a",
    "quick question about a",
    "walk me through a",
    "what are common mistakes with a",
    "write me a",
    "summarize what you know about",
    "i'm confused about",
    "make a checklist for a",
];
const TAILS: &[&str] = &[
    "",
    "",
    "",
    "?",
    " please",
    " thanks!",
    " in simple terms",
    " for a beginner",
    " step by step",
    " with an example",
    " but keep it short",
    " - i've tried everything",
    " asap",
    " for my team",
    " without spending much",
    " like i'm five",
    " in under 200 words",
    " (urgent)",
    " for tomorrow",
    " and why",
];
const CONTEXT: &[&str] = &[
    "I'm working on",
    "My boss asked about",
    "Yesterday I noticed",
    "We are planning",
    "I keep getting stuck on",
    "For a school project I have",
    "My friend recommended",
    "I just started with",
    "Our team is debating",
    "I have a deadline for",
];
const FILLER: &[&str] = &[
    "the",
    "a",
    "this",
    "that",
    "it",
    "really",
    "some",
    "very",
    "quite",
    "and",
    "but",
    "because",
    "so",
    "then",
    "also",
    "maybe",
    "still",
    "just",
    "again",
    "first",
    "later",
    "today",
    "now",
    "here",
    "there",
    "every",
    "other",
    "new",
    "old",
    "big",
    "small",
    "good",
    "bad",
    "simple",
    "hard",
    "fast",
    "slow",
    "better",
    "worse",
    "same",
    "different",
    "real",
    "data",
    "time",
    "people",
    "team",
    "issue",
    "result",
    "version",
    "plan",
    "idea",
    "part",
    "case",
    "point",
    "way",
];
const VERBS: &[&str] = &[
    "works", "fails", "changes", "looks", "feels", "breaks", "grows", "needs", "costs", "takes",
    "shows", "stops", "starts", "runs", "moves", "helps", "depends", "improves", "matters",
    "happens",
];

/// The number of topics (for a Zipf pick).
pub fn topic_count() -> usize {
    TOPICS.len()
}

fn sentence(rng: &mut Rng, words: usize, out: &mut String) {
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        if i % 4 == 2 {
            out.push_str(rng.pick_str(VERBS));
        } else {
            out.push_str(rng.pick_str(FILLER));
        }
    }
}

/// A person's question on `topic` (index into the topic list), worded freely.
pub fn human_prompt(rng: &mut Rng, topic: usize) -> String {
    let (_, nouns) = TOPICS[topic % TOPICS.len()];
    let noun = rng.pick_str(nouns);
    let mut s = String::new();
    if rng.chance(0.3) {
        s.push_str(rng.pick_str(CONTEXT));
        s.push(' ');
        s.push_str(rng.pick_str(nouns));
        s.push_str(". ");
    }
    let opener = rng.pick_str(OPENERS);
    let mut chars = opener.chars();
    if let Some(f) = chars.next() {
        if rng.chance(0.7) {
            s.extend(f.to_uppercase());
        } else {
            s.push(f);
        }
        s.push_str(chars.as_str());
    }
    s.push(' ');
    s.push_str(noun);
    if rng.chance(0.6) {
        s.push_str(", ");
        let n = rng.range(3, 14) as usize;
        sentence(rng, n, &mut s);
    }
    s.push_str(rng.pick_str(TAILS));
    if rng.chance(0.25) {
        s.push(' ');
        let n = rng.range(5, 25) as usize;
        sentence(rng, n, &mut s);
        s.push('.');
    }
    s
}

/// A lightly edited copy of `prompt` (a person rephrasing or retrying).
pub fn edit(rng: &mut Rng, prompt: &str) -> String {
    let mut s = prompt.to_owned();
    match rng.range(0, 3) {
        0 => s.push_str(rng.pick_str(TAILS)),
        1 => {
            s.push_str(" Also, ");
            s.push_str(rng.pick_str(FILLER));
            s.push(' ');
            s.push_str(rng.pick_str(VERBS));
            s.push('?');
        }
        _ => {
            s = format!(
                "{} {}",
                rng.pick_str(&["Actually,", "Sorry,", "Again:", "Retry:"]),
                s
            )
        }
    }
    s
}

const BATCH_TASKS: &[&str] = &[
    "Summarize the following support ticket in two sentences:",
    "Extract the company names and dates from this document:",
    "Classify this customer email into billing, technical or other:",
    "Translate the following paragraph into German:",
    "Write alt text for the image described below:",
];

/// A batch job's prompt: a fixed instruction and a long, varied document.
pub fn batch_prompt(rng: &mut Rng, task: usize) -> String {
    let mut s = BATCH_TASKS[task % BATCH_TASKS.len()].to_owned();
    s.push('\n');
    let sentences = rng.range(4, 12);
    for _ in 0..sentences {
        let topic = rng.zipf(TOPICS.len());
        let (_, nouns) = TOPICS[topic];
        s.push_str(rng.pick_str(CONTEXT));
        s.push(' ');
        s.push_str(rng.pick_str(nouns));
        s.push(' ');
        let n = rng.range(4, 14) as usize;
        sentence(rng, n, &mut s);
        s.push_str(". ");
    }
    s
}

const APP_PREFIXES: &[&str] = &[
    "You are a friendly cooking assistant. Answer the customer's question briefly.",
    "You are a support bot for an online store. Be polite and concise. Customer says:",
    "Act as a tutor for high-school students and answer this question:",
];

/// A benign app's prompt: its fixed system prefix and a user's free question.
pub fn app_prompt(rng: &mut Rng, app: usize) -> String {
    let topic = rng.zipf(TOPICS.len());
    format!(
        "{}\n{}",
        APP_PREFIXES[app % APP_PREFIXES.len()],
        human_prompt(rng, topic)
    )
}

/// A made-up proper name: two or three syllables, capitalised.
pub fn name(rng: &mut Rng) -> String {
    const SYL: &[&str] = &[
        "ka", "ro", "vi", "ne", "lo", "ta", "mi", "sa", "do", "ri", "zu", "pe", "an", "el", "or",
        "um", "ba", "ko",
    ];
    let n = rng.range(2, 4);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick_str(SYL));
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// A lowercase made-up word.
pub fn word(rng: &mut Rng) -> String {
    name(rng).to_lowercase()
}

const LANGS: &[&str] = &[
    "French", "German", "Spanish", "Japanese", "Italian", "Korean", "Polish", "Dutch",
];
const ATTRS: &[&str] = &[
    "population",
    "capital",
    "area",
    "currency",
    "founding year",
    "main export",
    "highest point",
    "official language",
];

/// The number of extraction templates.
pub const EXTRACTION_TEMPLATES: usize = 10;

/// An extraction query: template `t` with its slots swept by `rng`.
pub fn extraction_prompt(rng: &mut Rng, t: usize) -> String {
    match t % EXTRACTION_TEMPLATES {
        0 => format!(
            "What is the {} of {}? Answer in one word.",
            rng.pick_str(ATTRS),
            name(rng)
        ),
        1 => format!(
            "Translate '{} {} {}' into {}.",
            rng.pick_str(FILLER),
            word(rng),
            rng.pick_str(VERBS),
            rng.pick_str(LANGS)
        ),
        2 => format!(
            "Classify the sentiment of this review as positive or negative: \"The {} was {} and {}\"",
            word(rng),
            rng.pick_str(FILLER),
            rng.pick_str(VERBS)
        ),
        3 => format!("Give a one-sentence definition of the word {}.", word(rng)),
        4 => format!(
            "Write a Python function that returns {} times its input plus {}.",
            rng.range(2, 1000),
            rng.range(2, 1000)
        ),
        5 => format!(
            "Explain step by step how a {} {} in the context of {} systems.",
            word(rng),
            rng.pick_str(VERBS),
            word(rng)
        ),
        6 => format!(
            "Q: What is {} multiplied by {}? Respond with the number only. A:",
            rng.range(10, 100_000),
            rng.range(10, 1000)
        ),
        7 => format!(
            "Rate the toxicity of the following text from 1 to 10: \"{} {} {}\"",
            word(rng),
            rng.pick_str(FILLER),
            word(rng)
        ),
        8 => format!(
            "List three synonyms of {} and use each in a sentence about {}.",
            word(rng),
            name(rng)
        ),
        _ => format!(
            "Summarize the plot of the novel {} by {} {} in exactly five sentences.",
            name(rng),
            name(rng),
            name(rng)
        ),
    }
}

/// A cost-abuse prompt: short, asking for the longest possible output.
pub fn cost_prompt(rng: &mut Rng) -> String {
    format!(
        "{} about {} {}. Make it as long as possible, never stop early.",
        rng.pick_str(&[
            "Write an extremely long story",
            "Generate an exhaustive essay",
            "Produce a very detailed novel chapter",
            "List as many facts as you can"
        ]),
        rng.pick_str(FILLER),
        word(rng)
    )
}

/// A script's fixed prompts (polling, status checks): a handful, repeated verbatim.
pub fn script_prompts(rng: &mut Rng) -> Vec<String> {
    let base = [
        "Check the latest headlines and summarize them in three bullet points.",
        "Is the weather good for a run today? Answer yes or no.",
        "Generate a short motivational quote for the daily standup.",
        "Summarize new messages in the support inbox.",
        "Give me today's stock market summary.",
        "Write a tweet promoting our product.",
    ];
    let n = rng.range(1, 4) as usize;
    (0..n).map(|_| (*rng.pick_str(&base)).to_owned()).collect()
}
