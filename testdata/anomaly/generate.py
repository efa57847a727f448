"""Writes the anomaly scenario vectors (deterministic): python3 generate.py

Each scenario is an event stream in the `shieldwall replay` format; expected.jsonl says which
alert kinds replaying it through a default tracker must raise (exactly that set).
"""
import json
import random

T0 = 1767571200000  # 2026-01-05T00:00:00Z
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000

WORDS = ("sourdough budget regex garden chess puppy mortgage essay guitar python invoice "
         "marathon compost tax resume lasagna kyoto calculus posture docker privacy aquarium "
         "deadline dashboard cover letter headache soil paint sprint meeting").split()
OPENERS = ["how do i fix my", "any tips for a", "Can you explain the", "why is my", "help me plan a",
           "what's a good", "write a short note about my", "compare two kinds of"]


def human(rng):
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
    return f"{rng.choice(OPENERS)} {words}{rng.choice(['', '?', ' please', ' thanks'])}"


def write(name, events):
    events.sort(key=lambda e: e["ts"])
    with open(name, "w") as f:
        for e in events:
            f.write(json.dumps(e, sort_keys=True) + "\n")


def benign_human(rng):
    ev = []
    for day in range(3):
        for session in range(2):
            t = T0 + day * DAY + (9 + 6 * session) * HOUR + rng.randint(0, HOUR)
            for _ in range(rng.randint(3, 12)):
                ev.append({"ts": t, "account": "alice", "key": "k-alice", "ip": f"198.51.100.{rng.randint(1, 254)}",
                           "prompt": human(rng), "prompt_tokens": rng.randint(5, 40),
                           "completion_tokens": rng.randint(50, 600), "model": "m"})
                t += int(rng.lognormvariate(4.0, 1.0) * 1000) + 2000
    return ev


def extraction(rng):
    names = ["Karovia", "Telmar", "Ostrava", "Belun", "Mirador", "Quenta", "Zubrin", "Lessa", "Doram", "Pelon"]
    ev, t = [], T0 + 10 * HOUR
    for i in range(300):
        ev.append({"ts": t, "account": "mallory", "ip": "203.0.113.7",
                   "prompt": f"What is the population of {names[i % 10]} in {1800 + i}? Answer with a number.",
                   "prompt_tokens": 18, "completion_tokens": 6, "model": "m", "logprobs": True})
        t += rng.randint(10_000, 30_000)
    return ev


def automation(rng):
    ev, t = [], T0
    while t < T0 + 30 * HOUR:
        ev.append({"ts": t, "account": "bot", "ip": "192.0.2.10", "prompt": "Summarize new messages in the support inbox.",
                   "prompt_tokens": 9, "completion_tokens": 120, "model": "m"})
        t += 60_000 + rng.randint(-1000, 1000)
    return ev


def volume(rng):
    ev = []
    for day in range(2):
        for _ in range(10):
            ev.append({"ts": T0 + day * DAY + rng.randint(9 * HOUR, 17 * HOUR), "account": "burst",
                       "prompt_tokens": 20, "completion_tokens": 200})
    start = T0 + 2 * DAY + 10 * HOUR
    for i in range(1500):
        ev.append({"ts": start + i * 2400 + rng.randint(0, 2000), "account": "burst",
                   "prompt_tokens": 20, "completion_tokens": 200})
    return ev


def cost(rng):
    ev, t = [], T0 + 8 * HOUR
    for _ in range(120):
        ev.append({"ts": t, "account": "spender", "ip": "198.51.100.20", "prompt_tokens": 12,
                   "completion_tokens": rng.randint(3900, 4096), "max_tokens": 4096, "model": "m"})
        t += rng.randint(20_000, 40_000)
    return ev


def distributed(rng):
    phrases = ["good morning", "see you soon", "where is the station", "thank you very much", "the bill please",
               "i am lost", "how much is it", "nice to meet you", "what time is it", "i like this city",
               "open the window", "call a doctor", "the food is great", "one more coffee", "happy birthday",
               "where do you live", "it is raining", "turn left here"]
    ev = []
    for a in range(8):
        t = T0 + a * 40 * MIN
        for j in range(6):
            ev.append({"ts": t, "account": f"sock{a}", "ip": f"203.0.{113 if a % 2 else 114}.{a + 1}",
                       "prompt": f"Translate '{phrases[(a * 6 + j) % len(phrases)]} {a}{j}' into French.",
                       "prompt_tokens": 12, "completion_tokens": 10, "model": "m"})
            t += rng.randint(5 * MIN, 20 * MIN)
    return ev


def key_compromise(rng):
    ev = []
    for day in range(3):
        for _ in range(14):
            ev.append({"ts": T0 + day * DAY + rng.randint(9 * HOUR, 18 * HOUR), "account": "carol", "key": "k-carol",
                       "ip": f"198.51.100.{rng.randint(1, 254)}", "prompt": human(rng),
                       "prompt_tokens": 20, "completion_tokens": 300})
    t = T0 + 3 * DAY + 2 * HOUR
    for _ in range(300):
        ev.append({"ts": t, "account": "carol", "key": "k-carol", "ip": f"203.0.113.{rng.randint(1, 254)}",
                   "prompt": human(rng), "prompt_tokens": 20, "completion_tokens": 300})
        t += rng.randint(5_000, 15_000)
    return ev


SCENARIOS = [
    ("benign_human", benign_human, [], "a person's sessions over three days"),
    ("extraction_single", extraction, ["extraction"], "one account sweeping a template's slots"),
    ("automation", automation, ["automation"], "one prompt every minute, day and night"),
    ("volume", volume, ["volume"], "a quiet account suddenly sending 1500 requests an hour"),
    ("cost", cost, ["cost"], "outputs at max_tokens, two a minute"),
    ("distributed", distributed, ["distributed"], "eight accounts, six templated prompts each"),
    ("key_compromise", key_compromise, ["key_compromise"], "a key used from a new network at a new pace"),
]

if __name__ == "__main__":
    with open("expected.jsonl", "w") as f:
        for i, (name, gen, kinds, what) in enumerate(SCENARIOS):
            write(f"{name}.jsonl", gen(random.Random(i)))
            f.write(json.dumps({"name": name, "file": f"{name}.jsonl", "kinds": kinds, "what": what}) + "\n")
