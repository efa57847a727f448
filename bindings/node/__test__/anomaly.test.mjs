// The usage tracker from Node: scenarios replayed as event objects (the `shieldwall replay`
// JSON form), the expected alert kinds, snapshot / restore / merge, batches (sync and async)
// and error codes.
//
// The shared scenario streams of testdata/anomaly/ (listed in expected.jsonl with the exact set
// of alert kinds each raises) are replayed first. More scenarios are generated here,
// deterministically, by the same small generators as bindings/python/tests/test_anomaly.py: a
// human-paced benign account, a single-account extraction sweep, cost abuse at the maximum
// output length, a scripted bot, a campaign spread over eight accounts, and an API key used
// from new networks.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'

const require = createRequire(import.meta.url)
const { UsageTracker } = require('../index.js')

const T0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const COUNTRIES = ['France', 'Peru', 'Japan', 'Kenya', 'Chile', 'Nepal', 'Ghana', 'Spain']
const WORDS = (
  'river budget garden python recipe travel museum poem email weather guitar history ' +
  'physics contract invoice meeting holiday vaccine planet market'
).split(' ')
const VERBS = ['explain', 'summarise', 'compare', 'describe', 'critique', 'outline', 'rephrase']
const range = (n) => Array.from({ length: n }, (_, i) => i)

/** Human pacing (gaps of 7 min to 3 h, irregular) and varied prompts. */
function benign(account, n) {
  let ts = T0
  return range(n).map((i) => {
    ts += 7 * MINUTE + ((i * 7919) % 173) * MINUTE
    const w = [3, 7, 11, 13, 17].map((k) => WORDS[(i * k + k * k) % WORDS.length])
    let prompt = w.slice(0, 2 + (i % 4)).join(' ') + `? ${VERBS[i % VERBS.length]} it for me`
    if (i % 3 === 0) prompt = `Hi! I was thinking about ${w[4]} today. ` + prompt
    return {
      ts,
      account,
      prompt,
      prompt_tokens: 10 + (i % 50),
      completion_tokens: 50 + ((i * 37) % 400),
      max_tokens: 1000,
      model: 'm1',
      ip: `198.51.100.${1 + (i % 200)}`,
    }
  })
}

/** One template with its slots swept, every 20 s. */
const sweep = (account, n) =>
  range(n).map((i) => ({
    ts: T0 + i * 20_000,
    account,
    prompt: `Give the population of ${COUNTRIES[i % 8]} in year ${1900 + i} as a number.`,
    prompt_tokens: 15,
    completion_tokens: 8,
  }))

/** Every answer at its max_tokens of 4000, every 10 s. */
const cost = (account, n) =>
  range(n).map((i) => ({
    ts: T0 + i * 10_000,
    account,
    prompt: `Write a long story about ${WORDS[i % WORDS.length]} number ${i}`,
    prompt_tokens: 12,
    completion_tokens: 4000,
    max_tokens: 4000,
  }))

/** The same prompt every 30 s, day and night. */
const bot = (account, n) => range(n).map((i) => ({ ts: T0 + i * 30_000, account, prompt: 'ping status check' }))

/** One template swept by `accounts` accounts, each far below the per-account minimum. */
function campaign(accounts, perAccount) {
  const events = []
  for (let j = 0; j < perAccount; j++) {
    for (let a = 0; a < accounts; a++) {
      const i = j * accounts + a
      events.push({
        ts: T0 + i * 61_000,
        account: `sock-${a}`,
        ip: `203.0.113.${a}`,
        prompt: `Translate the word number ${1000 + i} into ${COUNTRIES[i % 8]} language and give its ${WORDS[i % 20]} sense.`,
      })
    }
  }
  return events
}

/** A key used hourly from one network, then, three days later, every 5 s from new ones. */
function stolenKey(history, burst) {
  const events = []
  let ts = T0
  for (let i = 0; i < history; i++) {
    ts += HOUR + ((i * 7919) % 11) * MINUTE
    events.push({
      ts,
      account: 'corp',
      key: 'key-9',
      ip: '192.0.2.10',
      prompt: `Summarise ticket ${WORDS[i % 20]} ${WORDS[(i * 7) % 20]} please`,
      prompt_tokens: 30,
      completion_tokens: 100,
    })
  }
  ts += 3 * 24 * HOUR
  for (let i = 0; i < burst; i++) {
    ts += 5_000
    events.push({
      ts,
      account: 'corp',
      key: 'key-9',
      ip: `100.${64 + (i % 5)}.${i % 7}.9`,
      prompt: `Give the population of ${COUNTRIES[i % 8]} in year ${1900 + i}`,
      prompt_tokens: 30,
      completion_tokens: 100,
    })
  }
  return events
}

// name: [events, alert kinds that must be raised]. A benign stream that raises nothing is the
// shared benign_human scenario; benign() here is filler for the other tests.
const scenarios = {
  extraction_sweep: [sweep('acct-7', 300), ['extraction']],
  cost_abuse: [cost('whale', 200), ['cost']],
  automation: [bot('bot-1', 300), ['automation']],
  distributed: [campaign(8, 12), ['distributed']],
  stolen_key: [stolenKey(60, 200), ['key_compromise']],
}

const replay = (events, tracker = new UsageTracker()) => events.flatMap((e) => tracker.observe(e))
const byTime = (a, b) => a.ts - b.ts

const load = (name) =>
  readFileSync(new URL(`../../../testdata/anomaly/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('//'))
    .map((line) => JSON.parse(line))
const shared = load('expected.jsonl')

test('the shared scenarios are complete', () => {
  assert.ok(shared.length >= 7, 'expected.jsonl lost lines')
  const kinds = new Set(shared.flatMap((row) => row.kinds))
  for (const k of ['extraction', 'automation', 'volume', 'cost', 'distributed', 'key_compromise']) assert.ok(kinds.has(k), k)
})

describe('testdata/anomaly scenarios', () => {
  for (const row of shared) {
    test(row.name, async () => {
      const events = load(row.file)
      const alerts = await new UsageTracker().observeManyAsync(events)
      // Exactly the expected kinds, as the Rust tests check.
      assert.deepEqual([...new Set(alerts.map((a) => a.kind))].sort(), [...row.kinds].sort(), JSON.stringify(alerts.slice(0, 5)))
      // One event at a time gives the same alerts.
      assert.deepEqual(replay(events), alerts)
    })
  }
})

describe('scenarios', () => {
  for (const [name, [events, expected]] of Object.entries(scenarios)) {
    test(name, () => {
      const alerts = replay(events)
      const kinds = new Set(alerts.map((a) => a.kind))
      for (const k of expected) assert.ok(kinds.has(k), `${k} not in ${JSON.stringify(alerts)}`)
      const accounts = new Set(events.map((e) => e.account))
      const times = new Set(events.map((e) => e.ts))
      for (const a of alerts) {
        assert.equal(Object.getPrototypeOf(a), Object.prototype)
        assert.ok(accounts.has(a.account) && times.has(a.ts))
        assert.ok(a.score >= 0.5 && a.score <= 1)
        assert.ok(a.evidence.length > 0)
        for (const e of a.evidence) assert.ok(typeof e.feature === 'string' && typeof e.value === 'number')
        if (a.kind === 'distributed') {
          assert.ok(a.accounts.length >= 5 && a.accounts.every((x) => accounts.has(x)))
          assert.deepEqual(a.accounts, [...a.accounts].sort())
        } else {
          assert.deepEqual(a.accounts, [])
        }
      }
    })
  }
})

test('observeMany and observeManyAsync equal observe', async () => {
  const events = Object.values(scenarios)
    .flatMap(([e]) => e)
    .sort(byTime)
  const expected = replay(events)
  assert.ok(expected.length > 0)
  assert.deepEqual(new UsageTracker().observeMany(events), expected)
  assert.deepEqual(await new UsageTracker().observeManyAsync(events), expected)
  assert.deepEqual(new UsageTracker().observeMany([]), [])
  // Two batches on one tracker, concurrently on the pool: both are observed.
  const shared = new UsageTracker()
  await Promise.all([shared.observeManyAsync(benign('u1', 100)), shared.observeManyAsync(benign('u2', 100))])
  assert.equal(shared.stats().events, 200)
  assert.equal(shared.stats().accounts, 2)
})

test('a fingerprint instead of the prompt', () => {
  const [events] = scenarios.extraction_sweep
  const withPrints = events.map(({ prompt, ...rest }) => ({ ...rest, fingerprint: UsageTracker.fingerprint(prompt) }))
  assert.deepEqual(replay(withPrints), replay(events))
  const fp = UsageTracker.fingerprint('What is the capital of France?')
  for (const k of ['minhash', 'skeleton', 'words']) assert.ok(k in fp, k)
  assert.equal(fp.words, 6)
  assert.equal(UsageTracker.fingerprint('what is the capital of Peru?').skeleton, fp.skeleton)
  // The same fingerprint as Python computes (the JSON form is exact in both).
  assert.ok(fp.minhash.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32))
})

test('snapshot round trip', () => {
  const events = [...scenarios.extraction_sweep[0], ...benign('human-1', 300), ...scenarios.stolen_key[0]].sort(byTime)
  const half = Math.floor(events.length / 2)
  const original = new UsageTracker({ cooldown_ms: HOUR })
  original.observeMany(events.slice(0, half))
  const snapshot = original.snapshot()
  assert.equal(typeof snapshot, 'string')
  JSON.parse(snapshot)
  const restored = UsageTracker.restore(snapshot)
  assert.deepEqual(restored.stats(), original.stats())
  assert.deepEqual(restored.config(), original.config())
  // A restored tracker raises the alerts the original would have.
  const rest = original.observeMany(events.slice(half))
  assert.ok(rest.length > 0)
  assert.deepEqual(restored.observeMany(events.slice(half)), rest)
  assert.deepEqual(restored.stats(), original.stats())
})

test('merge', () => {
  const a = new UsageTracker()
  const b = new UsageTracker()
  a.observeMany(benign('human-1', 300))
  b.observeMany(scenarios.extraction_sweep[0])
  const merged = UsageTracker.restore(a.snapshot())
  merged.merge(b.snapshot())
  const stats = merged.stats()
  assert.equal(stats.accounts, 2)
  assert.equal(stats.events, a.stats().events + b.stats().events)
  assert.throws(() => merged.merge('{}'), { code: 'ERR_ANOMALY_SNAPSHOT' })
})

test('stats and config', () => {
  const tracker = new UsageTracker({ max_accounts: 1000, cooldown_ms: 60_000 })
  const config = tracker.config()
  assert.equal(config.max_accounts, 1000)
  assert.equal(config.cooldown_ms, 60_000)
  assert.equal(new UsageTracker(JSON.stringify({ max_accounts: 7 })).config().max_accounts, 7)
  assert.deepEqual(new UsageTracker(null).config(), new UsageTracker().config())
  tracker.observeMany(benign('human-1', 300))
  const stats = tracker.stats()
  assert.deepEqual(Object.keys(stats).sort(), [
    'accounts',
    'approxBytes',
    'bytesPerAccount',
    'events',
    'evictedAccounts',
    'indexEntries',
    'keys',
  ])
  assert.equal(stats.events, 300)
  assert.equal(stats.accounts, 1)
  // The target: at most 4 KB per active account.
  assert.ok(stats.bytesPerAccount > 0 && stats.bytesPerAccount <= 4096)
  const capped = new UsageTracker({ max_accounts: 10 })
  capped.observeMany(range(100).map((i) => ({ ts: T0 + i, account: `a${i}`, prompt: 'hi' })))
  assert.ok(capped.stats().accounts <= 10 && capped.stats().evictedAccounts >= 90)
})

describe('bad events throw ERR_ANOMALY_EVENT and leave the state unchanged', () => {
  const cases = [
    [{ ts: 1, account: '' }, /event account must not be empty/],
    [{ ts: 'yesterday', account: 'a' }, /ts 'yesterday' is not an rfc 3339 timestamp/],
    [{ ts: '2026-02-30T00:00:00Z', account: 'a' }, /day out of range/],
    [{ ts: 1.5, account: 'a' }, /`ts` must be an integer/],
    [{ tss: 1, account: 'a' }, /unknown field `tss`, expected one of `ts`, `account`/],
    [{ account: 'a' }, /missing field `ts`/],
    [{ ts: 1 }, /missing field `account`/],
    [{ ts: 1, ts_ms: 1, account: 'a' }, /both `ts` and `ts_ms`/],
    [{ ts: 1, account: 'a', ip: '10.0.0.999' }, /ip '10\.0\.0\.999' is not an ipv4 or ipv6 address/],
    [{ ts: 1, account: 'a', prompt_tokens: -1 }, /invalid event/],
    [{ ts: 1, account: 'a', promptTokens: 5 }, /unknown field `promptTokens`/],
    [{ ts: 1, account: 'a', fingerprint: { words: 1 } }, /invalid event/],
  ]
  for (const [event, message] of cases) {
    test(JSON.stringify(event), () => {
      const tracker = new UsageTracker()
      assert.throws(() => tracker.observe(event), { code: 'ERR_ANOMALY_EVENT', message })
      assert.equal(tracker.stats().events, 0)
    })
  }
  test('an RFC 3339 ts gives the same state as milliseconds', () => {
    const asMs = new UsageTracker()
    const asText = new UsageTracker()
    for (let i = 0; i < 60; i++) {
      const prompt = `Give the population of country ${i % 8} in year ${1900 + i}.`
      asMs.observe({ ts: T0 + i * 60_000, account: 'a', prompt })
      const stamp = new Date(T0 + i * 60_000).toISOString()
      asText.observe({ ts: stamp, account: 'a', prompt })
    }
    assert.equal(asMs.snapshot(), asText.snapshot())
  })
  test('the core time field is accepted', () => {
    assert.deepEqual(new UsageTracker().observe({ ts_ms: T0, account: 'a', prompt: 'hi' }), [])
  })
  test('a prompt too large', () => {
    const tracker = new UsageTracker({ max_prompt_bytes: 10 })
    assert.throws(() => tracker.observe({ ts: 1, account: 'a', prompt: 'ééé é é' }), {
      code: 'ERR_ANOMALY_EVENT',
      message: /prompt of 12 bytes exceeds the maximum of 10/,
    })
  })
  test('in a batch, the message names the event', async () => {
    const tracker = new UsageTracker()
    const events = benign('u', 5)
    const missing = [...events.slice(0, 3), { ts: 1 }, ...events.slice(3)]
    assert.throws(() => tracker.observeMany(missing), { code: 'ERR_ANOMALY_EVENT', message: /^event 3: invalid event: missing field `account`/ })
    assert.throws(() => tracker.observeManyAsync(missing), { code: 'ERR_ANOMALY_EVENT' })
    // A malformed event is found before any is observed ...
    assert.equal(tracker.stats().events, 0)
    // ... an event the tracker rejects stops the batch there.
    const badIp = [...events.slice(0, 3), { ...events[3], ip: 'nope' }, ...events.slice(4)]
    assert.throws(() => tracker.observeMany(badIp), { code: 'ERR_ANOMALY_EVENT', message: /^event 3: ip 'nope'/ })
    assert.equal(tracker.stats().events, 3)
    await assert.rejects(tracker.observeManyAsync(badIp), { code: 'ERR_ANOMALY_EVENT', message: /^event 3: ip 'nope'/ })
    assert.equal(tracker.stats().events, 6)
    assert.throws(() => tracker.observeMany('not events'))
    assert.throws(() => tracker.observe('not an event'), { code: 'ERR_ANOMALY_EVENT' })
  })
})

describe('bad configs throw ERR_ANOMALY_CONFIG', () => {
  const cases = [
    [{ max_accounts: 0 }, /config field 'max_accounts': must be at least 1, found 0/],
    [{ cooldown_ms: -1 }, /config field 'cooldown_ms'/],
    [{ extraction_template_rate: 1.5 }, /must be between 0 and 1, found 1\.5/],
    [{ max_acounts: 5 }, /unknown field `max_acounts`/],
    [{ maxAccounts: 5 }, /unknown field `maxAccounts`/],
    [{ max_accounts: 'many' }, /invalid tracker config/],
    [[1, 2], /object or JSON text/],
  ]
  for (const [config, message] of cases) {
    test(JSON.stringify(config), () => {
      assert.throws(() => new UsageTracker(config), { code: 'ERR_ANOMALY_CONFIG', message })
    })
  }
})

test('bad snapshots throw ERR_ANOMALY_SNAPSHOT', () => {
  const good = new UsageTracker().snapshot()
  for (const [data, message] of [
    ['{}', /snapshot: invalid json: missing field `version`/],
    ['not json', /snapshot: invalid json/],
    [good.replace('"version":1', '"version":99'), /version 99 is not the supported version/],
  ]) {
    assert.throws(() => UsageTracker.restore(data), { code: 'ERR_ANOMALY_SNAPSHOT', message })
    assert.throws(() => new UsageTracker().merge(data), { code: 'ERR_ANOMALY_SNAPSHOT', message })
  }
})

test('every event field index.d.ts declares is accepted', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const body = /export interface UsageEvent \{([^}]*)\}/.exec(dts)[1]
  const fields = [...body.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1])
  const event = {
    ts: T0,
    account: 'a',
    prompt: 'hello there',
    key: 'k',
    ip: '::1',
    prompt_tokens: 1,
    completion_tokens: 2,
    max_tokens: 3,
    model: 'm',
    logprobs: true,
  }
  assert.deepEqual(new UsageTracker().observe(event), [])
  const { prompt, ...rest } = event
  assert.deepEqual(new UsageTracker().observe({ ...rest, fingerprint: UsageTracker.fingerprint(prompt) }), [])
  assert.deepEqual(fields.sort(), [...Object.keys(event), 'fingerprint'].sort())
})
