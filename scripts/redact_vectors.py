#!/usr/bin/env python3
"""Writes testdata/redact/detectors.jsonl: a true and a false example for every detector.

Token-shaped values are drawn from a seeded RNG (they are random, not real credentials);
check digits are computed here with independent implementations of each scheme, so the
Rust validators are tested against a second implementation.

    python3 scripts/redact_vectors.py > testdata/redact/detectors.jsonl
"""
import hashlib
import json
import random
import string

R = random.Random(20261126)
UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = UP + LO + DG
HEX = "0123456789abcdef"


def rnd(alpha, n):
    return "".join(R.choice(alpha) for _ in range(n))


def luhn_complete(body):
    for c in DG:
        if luhn_ok(body + c):
            return body + c
    raise ValueError(body)


def luhn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    t = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        t += x
    return t % 10 == 0


def group(s, sizes, sep=" "):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    return sep.join(out)


def iban(cc, bban):
    digits = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(digits) % 97
    return f"{cc}{check:02d}{bban}"


VD = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],
      [4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],
      [8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
VP = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],
      [9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]


def verhoeff_ok(s):
    c = 0
    for i, x in enumerate(reversed([int(ch) for ch in s])):
        c = VD[c][VP[i % 8][x]]
    return c == 0


def verhoeff_complete(body):
    for c in DG:
        if verhoeff_ok(body + c):
            return body + c
    raise ValueError(body)


def nhs(body9):
    t = sum(int(x) * (10 - i) for i, x in enumerate(body9))
    c = 11 - t % 11
    c = 0 if c == 11 else c
    return None if c == 10 else body9 + str(c)


def bsn(body8):
    for c in DG:
        s = body8 + c
        t = sum(int(x) * (9 - i) for i, x in enumerate(s[:8])) - int(s[8])
        if t % 11 == 0:
            return s
    return None


def pesel(yymmdd, serial3, sex):
    body = yymmdd + serial3 + sex
    w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    t = sum(int(x) * w[i] for i, x in enumerate(body))
    return body + str((10 - t % 10) % 10)


def personnummer(yymmdd, three):
    return luhn_complete(yymmdd + three)


def cpf(body9):
    d = [int(x) for x in body9]
    for n in (9, 10):
        t = sum(x * (n + 1 - i) for i, x in enumerate(d[:n]))
        r = (t * 10) % 11
        d.append(0 if r == 10 else r)
    s = "".join(map(str, d))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def tfn(body8):
    w = [1, 4, 3, 7, 5, 8, 6, 9, 10]
    for c in DG:
        s = body8 + c
        if sum(int(x) * w[i] for i, x in enumerate(s)) % 11 == 0:
            return s
    return None


def nir(body13):
    return body13 + f"{97 - int(body13) % 97:02d}"


def dni(num8):
    return num8 + "TRWAGMYFPDXBNJZSQVHLCKE"[int(num8) % 23]


def nie(prefix, num7):
    return prefix + num7 + "TRWAGMYFPDXBNJZSQVHLCKE"[int("XYZ".index(prefix).__str__() + num7) % 23]


def codice_fiscale(body15):
    odd = {**{str(i): v for i, v in enumerate([1, 0, 5, 7, 9, 13, 15, 17, 19, 21])},
           **{c: v for c, v in zip(UP, [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23])}}
    t = 0
    for i, c in enumerate(body15):
        t += odd[c] if i % 2 == 0 else (int(c) if c.isdigit() else ord(c) - 65)
    return body15 + chr(65 + t % 26)


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload):
    full = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(full, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(full) - len(full.lstrip(b"\0"))) + s


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32(hrp, data):
    vals = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    poly = bech32_polymod(vals + [0] * 6) ^ 1
    return hrp + "1" + "".join(BECH[d] for d in data + [(poly >> 5 * (5 - i)) & 31 for i in range(6)])


def b64url(b):
    import base64
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt():
    h = b64url(b'{"alg":"HS256","typ":"JWT"}')
    p = b64url(json.dumps({"sub": rnd(DG, 8), "name": "Ann Lee", "iat": 1716239022}).encode())
    return f"{h}.{p}.{rnd(AN + '-_', 43)}"


def pem(kind):
    body = "\n".join(rnd(AN + "+/", 64) for _ in range(6))
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


V = []


def true(det, text, match):
    assert match in text, (det, match)
    V.append({"detector": det, "text": text, "match": match})


def false(det, text, why):
    V.append({"detector": det, "text": text, "match": None, "why": why})


def both(det, true_text, match, false_text, why):
    true(det, true_text, match)
    false(det, false_text, why)


def tok(det, prefix, alpha, n, suffix="", ctx="token: {}"):
    value = prefix + rnd(alpha, n) + suffix
    bad = prefix + rnd(alpha, 8)  # too short
    both(det, ctx.format(value), value, ctx.format(bad), "too short for the format")


# ------------------------------------------------------------------ PII
both("email", "Contact ann.lee+ai@corp-mail.co.uk for access.", "ann.lee+ai@corp-mail.co.uk",
     "Ping @ann on slack, or see user@localhost", "no dotted domain with a letter TLD")
both("phone_e164", "Reach me on +44 7911 123456 after 5pm.", "+44 7911 123456",
     "The score was +3 1 4 points", "too few digits")
both("phone_nanp", "My cell is (415) 555-2671, text me.", "(415) 555-2671",
     "Order 115-555-2671 shipped", "area code cannot start with 1")
both("phone_uk", "Ring our office on 020 7946 0958 today.", "020 7946 0958",
     "Invoice 120 7946 0958 paid", "no trunk 0")
both("phone_fr", "Appelez-moi au 06 12 34 56 78 demain.", "06 12 34 56 78",
     "Lot 00 12 34 56 78 reçu", "area digit 0 is not valid")
both("phone_de_mobile", "Handy: 0151 23456789, ab 18 Uhr.", "0151 23456789",
     "Artikel 0141 23456789 geliefert", "014x is not a mobile prefix")
both("phone_it_mobile", "Il mio cellulare è 347 123 4567, chiamami.", "347 123 4567",
     "Fattura 347 123 4567 pagata", "no phone word nearby")
both("phone_es", "Mi teléfono es 612 345 678, llámame.", "612 345 678",
     "Pedido 612 345 678 enviado", "no phone word nearby")
both("phone_nl_mobile", "Bel me op 06-12345678 vanavond.", "06-12345678",
     "Referentie 06-02345678 ontvangen", "mobile numbers do not continue with 0")
both("phone_jp", "携帯: 090-1234-5678 まで。", "090-1234-5678",
     "Code 010-1234-5678 ok", "010 is not a mobile prefix")
both("phone_in", "My mobile number is 98765 43210, whatsapp only.", "98765 43210",
     "Receipt 98765 43210 issued", "no phone word nearby")
both("phone_au_mobile", "Call me on 0412 345 678 tonight.", "0412 345 678",
     "Part 0312 345 678 in stock", "not a 04 mobile number")
both("phone_br_mobile", "Meu celular: (11) 91234-5678.", "(11) 91234-5678",
     "Código (11) 81234-5678 ok", "mobile numbers start with 9")

visa = group(luhn_complete("453914880343646"), [4, 4, 4, 4])
both("card_visa", f"Please charge my card {visa} for the order.", visa,
     "Tracking 4539 1488 0343 6468 delivered", "fails the Luhn check")
mc = group(luhn_complete("555555444433331"), [4, 4, 4, 4])
mc = group(luhn_complete("5425233430109" + "90"), [4, 4, 4, 4])
both("card_mastercard", f"Mastercard {mc} exp 04/29", mc,
     "Serial 5425 2334 3010 9904 logged", "fails the Luhn check")
amex = luhn_complete("37144963539843")
amex = group(amex, [4, 6, 5])
both("card_amex", f"Amex {amex}, CID 1234", amex, "Ref 3714 496353 98432", "fails the Luhn check")
disc = group(luhn_complete("601162901234567"), [4, 4, 4, 4])
both("card_discover", f"Discover card {disc} on file", disc,
     "Discover 6011 6290 1234 5670 is wrong", "fails the Luhn check")
jcb = group(luhn_complete("353011133330000"), [4, 4, 4, 4])
jcb = group(luhn_complete("353011983241752"), [4, 4, 4, 4])
both("card_jcb", f"JCB {jcb} expires soon", jcb, "JCB 3520 1198 3241 7520", "3520 is outside the JCB range")
din = group(luhn_complete("3056930902590"), [4, 6, 4])
both("card_diners", f"Diners Club {din}", din, "Diners 3956 930902 5904", "39 is not a Diners prefix")
up = group(luhn_complete("622202873160549"), [4, 4, 4, 4])
both("card_unionpay", f"UnionPay card {up} please", up, f"Order {up[:-1]}{(int(up[-1]) + 1) % 10}", "fails the Luhn check")

gb = iban("GB", "WEST12345698765432")
gb_s = " ".join(gb[i:i + 4] for i in range(0, len(gb), 4))
both("iban", f"Wire it to IBAN {gb_s} by Friday.", gb_s,
     "IBAN GB82 WEST 1234 5698 7654 33", "fails mod-97")
both("us_ssn", "SSN: 536-22-1234 on the form", "536-22-1234",
     "Part number 666-22-1234", "area 666 is never issued")
both("us_itin", "ITIN 912-72-3456 for the W-7", "912-72-3456",
     "ITIN 912-42-3456", "group 42 is outside the ITIN ranges")
both("uk_nino", "NI number: AB 12 34 56 C", "AB 12 34 56 C",
     "Code BG 12 34 56 C", "prefix BG is never issued")
n = nhs("943476591")
n_s = group(n, [3, 3, 4])
both("uk_nhs", f"NHS number {n_s} for the patient", n_s,
     f"NHS number {n_s[:-1]}{(int(n_s[-1]) + 1) % 10}", "fails mod 11")
sin = group(luhn_complete("13042789"), [3, 3, 3])
both("ca_sin", f"My SIN is {sin}.", sin, f"Order {sin} shipped", "no SIN word nearby (confidence too low)")
d = dni("48392017")
both("es_dni", f"DNI {d} (Madrid)", d, "DNI 48392017A", "wrong check letter")
e = nie("Y", "2938475")
both("es_nie", f"NIE {e} en vigor", e, "NIE Y2938475A", "wrong check letter")
cf = codice_fiscale("RSSMRA85T10A562")
both("it_codice_fiscale", f"Codice fiscale: {cf}", cf,
     f"Codice fiscale: {cf[:-1]}{'A' if cf[-1] != 'A' else 'B'}", "wrong check letter")
aad = verhoeff_complete("49182736450")
aad_s = group(aad, [4, 4, 4])
both("in_aadhaar", f"Aadhaar: {aad_s}", aad_s,
     f"Aadhaar: {aad_s[:-1]}{(int(aad_s[-1]) + 1) % 10}", "fails Verhoeff")
both("in_pan", "PAN card ABCPK1234L attached", "ABCPK1234L",
     "Code ABCXK1234L", "X is not a PAN holder type")
p = pesel("850617", "123", "4")
both("pl_pesel", f"PESEL: {p}", p, "PESEL: 85061712345", "fails the PESEL check digit")
pn = personnummer("811218", "987")
pn_s = pn[:6] + "-" + pn[6:]
both("se_personnummer", f"Personnummer {pn_s}", pn_s,
     f"Personnummer 811318-{pn[6:]}", "month 13 is not a date")
b = bsn("11122233")
both("nl_bsn", f"Mijn BSN is {b}.", b, f"Mijn BSN is {b[:-1]}{(int(b[-1]) + 1) % 10}.", "fails the 11-proef")
nr = nir("2550814168025")
nr_s = group(nr, [1, 2, 2, 2, 3, 3, 2])
both("fr_nir", f"Numéro de sécurité sociale {nr_s}", nr_s,
     "Numéro 2 55 08 14 168 025 00", "wrong key")
c = cpf("529982247")
both("br_cpf", f"CPF {c} ok", c, "CPF 111.111.111-11", "all-equal digits")
t = tfn("12345678")
t_s = group(t, [3, 3, 3])
both("au_tfn", f"My TFN is {t_s}", t_s, "My TFN is 123 456 789", "fails the weighted check")
both("passport", "Passport number: X1234567 issued 2019", "X1234567",
     "Order number: X1234567 shipped", "no passport word nearby")
both("ipv4", "Login from 203.0.113.77 blocked", "203.0.113.77",
     "Version 300.1.2.3 released", "octet over 255")
both("ipv6", "Client 2001:db8:85a3::8a2e:370:7334 connected", "2001:db8:85a3::8a2e:370:7334",
     "Time 10:23:45 UTC", "a clock time is not an address")
both("mac_address", "Device MAC 00:1A:2B:3C:4D:5E joined", "00:1A:2B:3C:4D:5E",
     "MAC 00:00:00:00:00:00 unset", "all-zero address")
both("street_address", "Please ship to 221B Baker Street, London.", "221B Baker Street",
     "Read chapter 221B Baker Street in the book.", "no address word nearby")
both("date_of_birth", "DOB: 1984-02-29, blood type O", "1984-02-29",
     "Deployed: 1984-02-29 build", "no birth word nearby")
both("date_of_birth_text", "She was born on March 3, 1985 in Leeds.", "March 3, 1985",
     "The meeting on March 3, 1985 was long.", "no birth word nearby")
btc = base58check(b"\x00" + bytes(R.randrange(256) for _ in range(20)))
both("btc_address_base58", f"Send BTC to {btc} please", btc,
     f"Send BTC to {btc[:-1]}{'2' if btc[-1] != '2' else '3'} please", "bad checksum")
seg = bech32("bc", [0] + [R.randrange(32) for _ in range(32)])
both("btc_address_bech32", f"Pay {seg} thanks", seg, f"Pay {seg[:-1]}{'q' if seg[-1] != 'q' else 'p'} thanks", "bad bech32 checksum")
eth = "0x" + rnd("0123456789abcdefABCDEF", 40)
both("eth_address", f"ETH wallet {eth}", eth, "ETH wallet 0x" + "0" * 40, "no entropy (burn address)")
both("url_credentials", "Fetch https://deploy:Xk29fLq8@git.corp.io/repo.git now",
     "https://deploy:Xk29fLq8@git.corp.io",
     "Fetch https://user:password@git.corp.io/repo.git", "stock password")

# ------------------------------------------------------------------ secrets
aws = "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
both("aws_access_key_id", f"aws_access_key_id = {aws}", aws,
     "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "the documented example key")
sk = rnd(AN + "/+", 40)
both("aws_secret_access_key", f"aws_secret_access_key = {sk}", sk,
     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the documented example key")
g = "AIza" + rnd(AN + "-_", 35)
both("gcp_api_key", f"key={g}&q=x", g, "key=AIza" + rnd(AN, 20), "too short")
pk = rnd(HEX, 40)
both("gcp_service_account_key", f'{{"type": "service_account", "private_key_id": "{pk}"}}', pk,
     '{"private_key_id": "' + rnd(HEX, 20) + '"}', "too short")
tok("gcp_oauth_client_secret", "GOCSPX-", AN + "-_", 28)
ya = "ya29." + rnd(AN + "-_", 120)
both("google_oauth_access_token", f"Authorization header token {ya}", ya, "ya29.short", "too short")
rt = "1//0" + rnd(AN + "-_", 60)
both("google_oauth_refresh_token", f"refresh={rt}", rt, "see 1//0abc", "too short")
ak = rnd(AN + "+/", 86) + "=="
both("azure_storage_account_key",
     f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={ak};EndpointSuffix=core.windows.net", ak,
     "AccountKey=" + rnd(AN, 40) + "==;", "too short")
sig = rnd(AN, 43) + "%3D"
both("azure_sas_token", f"https://acme.blob.core.windows.net/c?sv=2022-11-02&se=2026-01-01&sp=r&sig={sig}",
     sig, "https://example.org/?sig=abc", "too short")
az = rnd(AN, 3) + "8Q~" + rnd(AN + "_~.-", 34)
both("azure_ad_client_secret", f"client_secret: {az}", az, "client_secret: abc8Q~short", "too short")
tok("alibaba_access_key_id", "LTAI", AN, 20, ctx="AccessKeyId: {}")
do = "dop_v1_" + rnd(HEX, 64)
both("digitalocean_token", f"DO_TOKEN={do}", do, "DO_TOKEN=dop_v1_" + rnd(HEX, 32), "too short")
uu = "-".join(rnd(HEX, n) for n in (8, 4, 4, 4, 12))
both("heroku_api_key", f"HEROKU_API_KEY={uu}", uu, f"request_id={uu}", "a UUID without the word heroku")
cf_tok = rnd(AN, 40)
both("cloudflare_api_token", f"CLOUDFLARE_API_TOKEN={cf_tok}", cf_tok, f"COMMIT_SHA={cf_tok}", "no cloudflare word")
tok("hashicorp_vault_token", "hvs.", AN + "_-", 90, ctx="VAULT_TOKEN={}")
tf = rnd(AN, 14) + ".atlasv1." + rnd(AN, 67)
both("terraform_cloud_token", f"token = \"{tf}\"", tf, "x.atlasv1.y", "too short")
tok("doppler_token", "dp.pt.", AN, 43, ctx="DOPPLER_TOKEN={}")
tok("pulumi_access_token", "pul-", HEX, 40, ctx="PULUMI_ACCESS_TOKEN={}")
tok("supabase_access_token", "sbp_", HEX, 40, ctx="SUPABASE_ACCESS_TOKEN={}")
pscale = "pscale_tkn_" + rnd(AN, 43)
both("planetscale_token", f"PLANETSCALE_TOKEN={pscale}", pscale, "pscale_tkn_" + rnd(AN, 12), "too short")
oa = "sk-proj-" + rnd(AN + "_-", 156)
both("openai_api_key", f"OPENAI_API_KEY={oa}", oa, "OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxx", "placeholder")
an = "sk-ant-api03-" + rnd(AN + "_-", 93) + "AA"
both("anthropic_api_key", f"ANTHROPIC_API_KEY={an}", an, "ANTHROPIC_API_KEY=sk-ant-api03-<your-key>", "placeholder")
ad = "sk-ant-admin01-" + rnd(AN + "_-", 93) + "AA"
both("anthropic_admin_key", f"admin key {ad}", ad, "admin key sk-ant-admin01-short", "too short")
tok("huggingface_token", "hf_", UP + LO, 34, ctx="HF_TOKEN={}")
tok("huggingface_org_token", "api_org_", UP + LO, 34)
tok("groq_api_key", "gsk_", AN, 52, ctx="GROQ_API_KEY={}")
tok("replicate_api_token", "r8_", AN, 37, ctx="REPLICATE_API_TOKEN={}")
tok("perplexity_api_key", "pplx-", AN, 48)
tok("xai_api_key", "xai-", AN, 80, ctx="XAI_API_KEY={}")
tok("openrouter_api_key", "sk-or-v1-", HEX, 64)
ls = f"lsv2_pt_{rnd(HEX, 32)}_{rnd(HEX, 10)}"
both("langsmith_api_key", f"LANGSMITH_API_KEY={ls}", ls, f"lsv2_pt_{rnd(HEX, 32)}", "missing the last part")
for det, prefix in [("github_pat", "ghp_"), ("github_oauth_token", "gho_"), ("github_user_to_server_token", "ghu_"),
                    ("github_server_to_server_token", "ghs_"), ("github_refresh_token", "ghr_")]:
    tok(det, prefix, AN, 36, ctx="GITHUB_TOKEN={}")
fg = f"github_pat_{rnd(AN, 22)}_{rnd(AN, 59)}"
both("github_fine_grained_pat", f"token: {fg}", fg, f"github_pat_{rnd(AN, 22)}", "incomplete")
tok("gitlab_pat", "glpat-", AN + "_-", 20, ctx="GITLAB_TOKEN={}")
tok("gitlab_pipeline_trigger_token", "glptt-", HEX, 40)
tok("gitlab_runner_token", "glrt-", AN + "_-", 27)
tok("gitlab_deploy_token", "gldt-", AN + "_-", 26)
tok("bitbucket_app_password", "ATBB", AN, 32, ctx="app password {}")
tok("atlassian_api_token", "ATATT3", AN + "_-", 186, ctx="JIRA_API_TOKEN={}")
tok("stripe_secret_key", "sk_live_", AN, 99, ctx="STRIPE_SECRET_KEY={}")
tok("stripe_restricted_key", "rk_live_", AN, 99, ctx="STRIPE_KEY={}")
tok("stripe_webhook_secret", "whsec_", AN, 32)
bt = f"access_token$production${rnd(LO + DG, 16)}${rnd(HEX, 32)}"
both("braintree_access_token", f"BRAINTREE={bt}", bt, "access_token$production$abc$def", "too short")
tok("square_access_token", "EAAA", AN + "_-", 60, ctx="SQUARE_ACCESS_TOKEN={}")
tok("square_oauth_secret", "sq0csp-", AN + "_-", 43)
for det, prefix in [("shopify_access_token", "shpat_"), ("shopify_custom_app_token", "shpca_"),
                    ("shopify_private_app_token", "shppa_"), ("shopify_shared_secret", "shpss_")]:
    tok(det, prefix, HEX, 32)
xb = f"xoxb-{rnd(DG, 12)}-{rnd(DG, 13)}-{rnd(AN, 24)}"
both("slack_bot_token", f"SLACK_BOT_TOKEN={xb}", xb, "SLACK_BOT_TOKEN=xoxb-123", "incomplete")
xp = f"xoxp-{rnd(DG, 12)}-{rnd(DG, 12)}-{rnd(DG, 13)}-{rnd(HEX, 32)}"
both("slack_user_token", f"token {xp}", xp, "token xoxp-123-456", "incomplete")
xa = f"xapp-1-A{rnd(UP + DG, 10)}-{rnd(DG, 13)}-{rnd(HEX, 64)}"
both("slack_app_token", f"SLACK_APP_TOKEN={xa}", xa, "SLACK_APP_TOKEN=xapp-1-abc", "incomplete")
hook = f"https://hooks.slack.com/services/T{rnd(UP + DG, 8)}/B{rnd(UP + DG, 10)}/{rnd(AN, 24)}"
both("slack_webhook_url", f"POST to {hook}", hook, "POST to https://hooks.slack.com/services/", "no ids")
tok("twilio_api_key", "SK", HEX, 32, ctx="TWILIO_API_KEY={}")
sid = "AC" + rnd(HEX, 32)
both("twilio_account_sid", f"twilio account_sid={sid}", sid, "AC" + rnd(HEX, 20), "too short")
tw = rnd(HEX, 32)
both("twilio_auth_token", f"TWILIO auth_token = {tw}", tw, "auth_token = short", "too short")
sg = f"SG.{rnd(AN + '_-', 22)}.{rnd(AN + '_-', 43)}"
both("sendgrid_api_key", f"SENDGRID_API_KEY={sg}", sg, "SG.abc.def", "too short")
mg = "key-" + rnd(HEX, 32)
both("mailgun_api_key", f"mailgun api {mg}", mg, "key-" + rnd(HEX, 16), "too short")
mch = rnd(HEX, 32) + "-us21"
both("mailchimp_api_key", f"MAILCHIMP_KEY={mch}", mch, "MAILCHIMP_KEY=abc-us21", "too short")
tg = f"{rnd(DG, 10)}:AA{rnd(AN + '_-', 33)}"
both("telegram_bot_token", f"bot token {tg}", tg, f"at {rnd(DG, 10)}:AAshort", "too short")
dc = f"M{rnd(AN, 25)}.{rnd(AN, 6)}.{rnd(AN + '_-', 38)}"
both("discord_bot_token", f"DISCORD_TOKEN={dc}", dc, f"DISCORD_TOKEN=M{rnd(AN, 10)}.x.y", "too short")
dw = f"https://discord.com/api/webhooks/{rnd(DG, 18)}/{rnd(AN + '_-', 68)}"
both("discord_webhook_url", f"webhook: {dw}", dw, "https://discord.com/api/webhooks/123/abc", "too short")
tok("npm_token", "npm_", AN, 36, ctx="//registry.npmjs.org/:_authToken={}")
tok("pypi_token", "pypi-AgEIcHlwaS5vcmc", AN + "_-", 150, ctx="password = {}")
tok("rubygems_api_key", "rubygems_", HEX, 48)
tok("nuget_api_key", "oy2", LO + DG, 43)
tok("dockerhub_pat", "dckr_pat_", AN + "_-", 27)
dd = rnd(HEX, 32)
both("datadog_api_key", f"DD_API_KEY={dd}", dd, "DD_API_KEY=<your-api-key>", "placeholder")
tok("newrelic_user_api_key", "NRAK-", UP + DG, 27)
tok("newrelic_insert_key", "NRII-", AN + "_-", 32)
sd = f"https://{rnd(HEX, 32)}@o{rnd(DG, 6)}.ingest.sentry.io/{rnd(DG, 7)}"
both("sentry_dsn", f"SENTRY_DSN={sd}", sd, "SENTRY_DSN=https://docs.sentry.io/", "no key")
tok("grafana_cloud_token", "glc_", AN + "+/", 120)
gs = f"glsa_{rnd(AN, 32)}_{rnd(HEX, 8)}"
both("grafana_service_account_token", f"GRAFANA_TOKEN={gs}", gs, f"glsa_{rnd(AN, 32)}", "incomplete")
tok("linear_api_key", "lin_api_", AN, 40)
tok("notion_token", "secret_", AN, 43, ctx="NOTION_TOKEN={}")
at = f"pat{rnd(AN, 14)}.{rnd(HEX, 64)}"
both("airtable_pat", f"AIRTABLE_TOKEN={at}", at, f"path{rnd(AN, 10)}.txt", "not a token")
tok("figma_pat", "figd_", AN + "_-", 40)
pm = f"PMAK-{rnd(HEX, 24)}-{rnd(HEX, 34)}"
both("postman_api_key", f"x-api-key: {pm}", pm, f"PMAK-{rnd(HEX, 24)}", "incomplete")
tok("dropbox_access_token", "sl.", AN + "_-", 138, ctx="DROPBOX_TOKEN={}")
mb = f"sk.eyJ{rnd(AN, 60)}.{rnd(AN, 22)}"
both("mapbox_secret_token", f"MAPBOX_SECRET={mb}", mb, "sk.eyJabc.def", "too short")
j = jwt()
both("jwt", f"session={j}", j, "eyJzdWIiOiIxMjM0NTY3ODkwIn0.eyJzdWIiOiIxIn0.c2ln", "header has no alg")
k = pem("RSA")
both("pem_private_key", f"key:\n{k}\n", k, "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", "a public key")
k = pem("OPENSSH")
both("openssh_private_key", f"id_ed25519:\n{k}\n", k, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI user@host", "a public key")
body = "\n".join(rnd(AN + "+/", 64) for _ in range(4))
k = f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}\n-----END PGP PRIVATE KEY BLOCK-----"
both("pgp_private_key", f"{k}\n", k, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----", "a public key")
priv = "\n".join(rnd(AN + "+/", 64) for _ in range(3))
k = ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ann@laptop\nPublic-Lines: 2\n"
     + rnd(AN + "+/", 64) + "\n" + rnd(AN + "+/", 20) + "\nPrivate-Lines: 3\n" + priv
     + "\nPrivate-MAC: " + rnd(HEX, 64))
both("putty_private_key", k + "\n", k, "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "no private part")
ag = "AGE-SECRET-KEY-1" + rnd("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)
both("age_secret_key", f"# key\n{ag}\n", ag, "AGE-SECRET-KEY-1QPZ", "too short")
for det, scheme in [("postgres_connection_string", "postgresql"), ("mysql_connection_string", "mysql"),
                    ("mongodb_connection_string", "mongodb+srv"), ("redis_connection_string", "rediss"),
                    ("amqp_connection_string", "amqp")]:
    pw = rnd(AN, 14)
    url = f"{scheme}://app_user:{pw}@db.internal.corp:5432/main"
    both(det, f"DATABASE_URL={url}", url, f"DATABASE_URL={scheme}://app_user:${{DB_PASSWORD}}@db.internal.corp/main",
         "password is a variable reference")
pw = rnd(AN, 14)
jd = f"jdbc:mysql://db.corp:3306/shop?user=app&password={pw}"
both("jdbc_connection_string", f"url={jd}", jd, "url=jdbc:mysql://db.corp:3306/shop?user=app", "no password")
ado = f"Server=tcp:sql.corp.net,1433;Database=shop;User ID=app;Password={pw}"
both("ado_connection_string", f"\"{ado};Encrypt=True\"", ado, "Server=sql.corp.net;Database=shop;Trusted_Connection=True;", "no password")
both("password_assignment", "db_password = \"Tr0ub4dor&3x\"", "Tr0ub4dor&3x",
     "password = ${DB_PASSWORD}", "a variable reference")
sec = rnd(AN, 32)
both("secret_assignment", f"client_secret: {sec}", sec, "client_secret: aaaaaaaaaaaaaaaa", "no entropy")
tk = rnd(AN, 40)
both("token_assignment", f"refresh_token={tk}", tk, "token=abcdefghijklmnop", "a sequence")
ap = rnd(AN, 32)
both("api_key_assignment", f"\"api_key\": \"{ap}\"", ap, "api_key: <YOUR_API_KEY>", "placeholder")
br = rnd(AN, 48)
both("bearer_token", f"Authorization: Bearer {br}", br, "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx", "placeholder")
ba = "YWRtaW46UzNjcjN0UGFzcw=="
both("basic_auth_header", f"Authorization: Basic {ba}", ba, "Authorization: Basic", "no credentials")

if __name__ == "__main__":
    for v in V:
        print(json.dumps(v, ensure_ascii=False))
