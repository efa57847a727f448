#!/usr/bin/env python3
"""Recall and precision of `shieldwall redact --jsonl` on a generated corpus.

Writes a corpus of chat and log lines (JSON Lines, field `text`) with planted personal data and
secrets, and a truth file with each planted item's span (Unicode code points) and kind; runs the
CLI over the corpus and scores it. The background lines carry look-alikes on purpose: log
timestamps, UUIDs, hex request ids, version numbers, prices, order numbers, durations.

A finding counts as a true positive when it overlaps a planted item of the same kind; a planted
item is recalled when such a finding exists. Throughput is the CLI's wall-clock MB/s on the
corpus (process start included).

    cargo build --release -p shieldwall-cli
    python3 scripts/redact-corpus.py [--lines 20000] [--bin target/release/shieldwall] [--out DIR]
    python3 scripts/redact-corpus.py --peer      # also time detect-secrets (PyPI) in a venv

With --peer the script makes a venv in the output folder, installs detect-secrets there, and
times it and `shieldwall redact` (plain mode) on the same plain-text file (the first
--peer-lines lines of the corpus), printing both MB/s and the ratio.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redact_vectors as V  # noqa: E402  (seeded generators and check-digit helpers)

R = random.Random(7)


def rnd(alpha, n):
    return "".join(R.choice(alpha) for _ in range(n))


def planted():
    """One planted item: (kind, value, template) with {} where the value goes."""
    AN, HEX, DG = V.AN, V.HEX, V.DG
    choices = [
        ("email", lambda: f"{rnd(V.LO, 6)}.{rnd(V.LO, 5)}@{rnd(V.LO, 7)}.com", "you can reach me at {}"),
        ("phone", lambda: f"+44 7{rnd(DG, 3)} {rnd('123456789', 1)}{rnd(DG, 5)}", "my number is {} if urgent"),
        ("phone", lambda: f"({rnd('23456789', 1)}{rnd(DG, 2)}) {rnd('23456789', 1)}{rnd(DG, 2)}-{rnd(DG, 4)}", "call {} tomorrow"),
        ("payment_card", lambda: V.group(V.luhn_complete("4" + rnd(DG, 14)), [4, 4, 4, 4]), "charge card {} please"),
        ("payment_card", lambda: V.group(V.luhn_complete("5" + rnd("12345", 1) + rnd(DG, 13)), [4, 4, 4, 4]), "mastercard {} on file"),
        ("iban", lambda: (lambda i: " ".join(i[k:k + 4] for k in range(0, len(i), 4)))(V.iban("DE", rnd(DG, 18))), "wire to {}"),
        ("national_id", lambda: f"{rnd('12345678', 1)}{rnd(DG, 2)}-{rnd('123456789', 1)}{rnd(DG, 1)}-{rnd('123456789', 1)}{rnd(DG, 3)}", "SSN {} for the form"),
        ("ip_address", lambda: f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}", "login from {} blocked"),
        ("api_key", lambda: "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "aws_access_key_id={}"),
        ("access_token", lambda: "ghp_" + rnd(AN, 36), "export GITHUB_TOKEN={}"),
        ("api_key", lambda: "sk-proj-" + rnd(AN + "_-", 100), "OPENAI_API_KEY={}"),
        ("api_key", lambda: "sk_live_" + rnd(AN, 40), "stripe key {} leaked"),
        ("access_token", lambda: f"xoxb-{rnd(DG, 12)}-{rnd(DG, 13)}-{rnd(AN, 24)}", "slack {}"),
        ("connection_string", lambda: f"postgres://app:{rnd(AN, 12)}@db-{rnd(V.LO, 4)}.internal:5432/main", "DATABASE_URL={}"),
        ("password", lambda: rnd(AN, 6) + "!" + rnd(AN, 5), "password = \"{}\""),
        ("jwt", V.jwt, "cookie session={}"),
        ("private_key", lambda: V.pem("RSA"), "key:\n{}\n"),
    ]
    kind, gen, template = R.choice(choices)
    return kind, gen(), template


CHAT = [
    "Can you summarise the attached report for the board meeting?",
    "The Q3 revenue grew 12.5% to $4.2M, up from $3.7M in 2025.",
    "Version 2.14.3 fixed the crash; 2.14.4 is due on 2026-12-01.",
    "Order 4481-2290 shipped in 3 boxes, total 129.99 EUR.",
    "Please rewrite this paragraph in a friendlier tone.",
    "Build 20261126.4 passed 1532 of 1540 tests in 41.7 s.",
]


def background():
    if R.random() < 0.5:
        return R.choice(CHAT)
    uuid = "-".join(rnd(V.HEX, n) for n in (8, 4, 4, 4, 12))
    return (f"2026-11-26T{R.randint(0, 23):02}:{R.randint(0, 59):02}:{R.randint(0, 59):02}.{R.randint(0, 999):03}Z "
            f"{R.choice(['INFO', 'WARN', 'DEBUG'])} {R.choice(['GET', 'POST'])} /v1/chat/completions "
            f"status={R.choice([200, 201, 404, 500])} took={R.randint(1, 3000)}ms trace={uuid} sha={rnd(V.HEX, 40)}")


def make(n):
    lines, truth = [], []
    for i in range(n):
        text, items = background(), []
        if R.random() < 0.3:
            kind, value, template = planted()
            before = background() + " " if R.random() < 0.5 else ""
            part = template.format(value)
            start = len(before) + part.index(value)
            text = before + part
            items.append({"kind": kind, "start": start, "end": start + len(value)})
        lines.append({"text": text})
        truth.append({"line": i + 1, "items": items})
    return lines, truth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--bin", default="target/release/shieldwall")
    ap.add_argument("--out", default=None)
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--peer-lines", type=int, default=3000)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="redact-corpus-")
    os.makedirs(out, exist_ok=True)
    lines, truth = make(args.lines)
    corpus = os.path.join(out, "corpus.jsonl")
    with open(corpus, "w") as f:
        for l in lines:
            f.write(json.dumps(l) + "\n")
    with open(os.path.join(out, "truth.jsonl"), "w") as f:
        for t in truth:
            f.write(json.dumps(t) + "\n")
    size = os.path.getsize(corpus)
    t0 = time.perf_counter()
    res = subprocess.run([args.bin, "redact", "--jsonl", "--input", corpus], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    outputs = [json.loads(l) for l in res.stdout.splitlines()]
    assert len(outputs) == len(lines), (len(outputs), len(lines), res.stderr[:500])
    tp = fp = fn = 0
    misses, extras = {}, {}
    for t, o in zip(truth, outputs):
        found = o["findings"]
        used = set()
        for item in t["items"]:
            hit = [k for k, f in enumerate(found)
                   if f["kind"] == item["kind"] and f["start"] < item["end"] and item["start"] < f["end"]]
            if hit:
                used.update(hit)
            else:
                fn += 1
                misses[item["kind"]] = misses.get(item["kind"], 0) + 1
        for k, f in enumerate(found):
            if k in used:
                tp += 1
            elif any(f["start"] < i["end"] and i["start"] < f["end"] for i in t["items"]):
                tp += 1  # a second finding inside a planted item (e.g. a key inside a URL)
            else:
                fp += 1
                extras[f["detector"]] = extras.get(f["detector"], 0) + 1
    planted_n = sum(len(t["items"]) for t in truth)
    recall = (planted_n - fn) / planted_n if planted_n else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(json.dumps({
        "corpus": corpus, "lines": len(lines), "bytes": size, "planted": planted_n,
        "recall": round(recall, 4), "precision": round(precision, 4),
        "missed_by_kind": misses, "false_positives_by_detector": extras,
        "cli_seconds": round(dt, 3), "cli_mb_per_s": round(size / dt / 1e6, 1),
    }, indent=2))
    if args.peer:
        peer(args, out, lines)


PEER = """
import sys, time
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings
with default_settings():
    c = SecretsCollection()
    t = time.perf_counter()
    c.scan_file(sys.argv[1])
    dt = time.perf_counter() - t
print(dt, sum(len(v) for v in c.data.values()))
"""


def peer(args, out, lines):
    venv = os.path.join(out, "venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "detect-secrets"], check=True)
    plain = os.path.join(out, "peer.txt")
    with open(plain, "w") as f:
        for l in lines[:args.peer_lines]:
            f.write(l["text"].replace("\n", " ") + "\n")
    size = os.path.getsize(plain)
    res = subprocess.run([py, "-c", PEER, plain], capture_output=True, text=True, check=True)
    peer_dt, peer_found = res.stdout.split()
    t0 = time.perf_counter()
    subprocess.run([args.bin, "redact", "--input", plain], capture_output=True, check=True)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([args.bin, "redact"], input=b"", capture_output=True, check=True)
    startup = time.perf_counter() - t0
    scan = max(ours - startup, 1e-6)
    print(json.dumps({
        "peer": "detect-secrets (default plugins, scan_file)", "bytes": size,
        "peer_seconds": round(float(peer_dt), 3), "peer_findings": int(peer_found),
        "peer_mb_per_s": round(size / float(peer_dt) / 1e6, 3),
        "shieldwall_seconds": round(ours, 3), "shieldwall_mb_per_s": round(size / ours / 1e6, 2),
        "speedup_whole_process": round(float(peer_dt) / ours, 1),
        "shieldwall_startup_seconds": round(startup, 3),
        "speedup_scan_only": round(float(peer_dt) / scan, 1),
        "note": "the peer time covers its scan only; shieldwall also redacts PII",
    }, indent=2))


if __name__ == "__main__":
    main()
