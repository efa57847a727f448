// The redactor from Node: the shared testdata/redact/*.jsonl vectors, vault, streaming, async
// tasks, error codes, and the logging helpers.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { inspect } from 'node:util'
import { describe, test } from 'node:test'

const require = createRequire(import.meta.url)
const { Redactor, Vault, StreamRedactor } = require('../index.js')
const logging = require('../logging.js')

const load = (name) =>
  readFileSync(new URL(`../../../testdata/redact/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trimStart().startsWith('//'))
    .map(({ line, number }) => ({ number, ...JSON.parse(line) }))

const detectorVectors = load('detectors.jsonl')
const redactVectors = load('redact.jsonl')
const redactor = new Redactor()

/** Concatenated output of a stream fed `chunks`. */
const streamed = (stream, chunks) => chunks.map((c) => stream.push(c)).join('') + stream.finish()

test('the vector files are complete', () => {
  assert.ok(detectorVectors.length >= 200, 'detectors.jsonl lost lines')
  assert.ok(redactVectors.length >= 10, 'redact.jsonl lost lines')
  assert.deepEqual(new Set(detectorVectors.map((v) => v.detector)), new Set(redactor.detectorIds()))
})

describe('redact/detectors.jsonl', () => {
  for (const v of detectorVectors) {
    test(`line ${v.number}: ${v.detector} ${v.match === null ? 'false' : 'true'}`, () => {
      const found = redactor.find(v.text)
      // Spans are UTF-16 units: slicing the JavaScript string gives the matched text.
      const values = found.filter((f) => f.detector === v.detector).map((f) => v.text.slice(f.start, f.end))
      if (v.match === null) {
        assert.deepEqual(values, [], v.why)
      } else {
        assert.ok(values.includes(v.match), JSON.stringify(found.map((f) => [f.detector, v.text.slice(f.start, f.end)])))
      }
    })
  }
})

describe('redact/redact.jsonl', () => {
  for (const v of redactVectors) {
    test(`line ${v.number}: ${v.name}`, async () => {
      const r = v.config === undefined ? new Redactor() : new Redactor(v.config)
      const out = r.redact(v.text)
      assert.equal(out.text, v.redacted)
      if (v.kinds !== undefined) assert.deepEqual(out.findings.map((f) => f.kind), v.kinds)
      if (v.config !== undefined) assert.deepEqual(new Redactor(JSON.stringify(v.config)).redact(v.text), out)
      assert.deepEqual(await r.redactAsync(v.text), out)
      // Streamed in every split of two and in chunks of 3, cut between code points (a chunk
      // crosses the boundary as a string, so it must not end inside a surrogate pair): the
      // same output.
      const points = Array.from(v.text)
      for (let cut = 0; cut <= points.length; cut++) {
        const chunks = [points.slice(0, cut).join(''), points.slice(cut).join('')]
        assert.equal(streamed(r.stream(), chunks), out.text, `cut at code point ${cut}`)
      }
      const threes = []
      for (let i = 0; i < points.length; i += 3) threes.push(points.slice(i, i + 3).join(''))
      assert.equal(streamed(r.stream(), threes), out.text)
    })
  }
})

test('spans are UTF-16 units beyond the BMP', () => {
  const text = '😀 é 中 write to ann@corp.io 😀'
  const [f, ...rest] = redactor.find(text)
  assert.deepEqual(rest, [])
  assert.equal(Object.getPrototypeOf(f), Object.prototype)
  assert.equal(f.detector, 'email')
  assert.equal(f.kind, 'email')
  assert.equal(f.start, text.indexOf('ann'))
  assert.equal(text.slice(f.start, f.end), 'ann@corp.io')
  assert.ok(f.confidence > 0 && f.confidence <= 1)
  const hidden = 'token ghp_8fK2mQx9\u200bLz1Rt5Vb7Nc3Hj6\u200dPw4Sd0Ya2Ue8o!'
  const [g] = redactor.find(hidden)
  assert.equal(hidden.slice(g.start, g.end), hidden.slice(6, -1))
})

test('vault: numbering across calls, restore, bound', () => {
  const vault = new Vault(100)
  assert.equal(redactor.redactReversible('from ann@corp.io', vault).text, 'from [EMAIL_1]')
  const b = redactor.redactReversible('to bob@corp.io and ann@corp.io', vault)
  assert.equal(b.text, 'to [EMAIL_2] and [EMAIL_1]')
  assert.equal(vault.restore(b.text), 'to bob@corp.io and ann@corp.io')
  assert.equal(vault.restore('[EMAIL_3] [x] [EMAIL_2]'), '[EMAIL_3] [x] bob@corp.io')
  assert.equal(vault.size, 2)
  assert.equal(vault.get('[EMAIL_1]'), 'ann@corp.io')
  assert.equal(vault.get('[EMAIL_9]'), null)
  vault.clear()
  assert.equal(vault.size, 0)
  assert.equal(vault.restore('[EMAIL_1]'), '[EMAIL_1]')

  const small = new Vault(2)
  const out = redactor.redactReversible('a@corp.io b@corp.io c@corp.io', small)
  assert.equal(out.text, '[EMAIL_1] [EMAIL_2] [EMAIL_3]')
  assert.equal(small.restore(out.text), '[EMAIL_1] b@corp.io c@corp.io')
  assert.equal(new Vault().size, 0)
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => new Vault(bad), { code: 'ERR_REDACT_CONFIG', message: /maxEntries/ })
  }
})

test('a stream with a vault shares its numbering and restores', () => {
  const vault = new Vault()
  redactor.redactReversible('from ann@corp.io', vault)
  const stream = redactor.stream(vault)
  assert.ok(stream instanceof StreamRedactor)
  const out = streamed(stream, ['Call +44 20 79', '46 0958 or mail bo', 'b@corp.io, cc ann@co', 'rp.io.'])
  assert.equal(out, 'Call [PHONE_1] or mail [EMAIL_2], cc [EMAIL_1].')
  assert.equal(vault.restore(out), 'Call +44 20 7946 0958 or mail bob@corp.io, cc ann@corp.io.')
  assert.equal(streamed(stream, ['bob@corp.io']), '[EMAIL_2]')
})

test('a stream equals the whole on a long text', () => {
  const unit = 'Grüße ann@corp.io 😀 call +44 7911 123456, card 4539 1488 0343 6467. '.repeat(4)
  const text = (unit + 'x'.repeat(500) + ' ').repeat(400)
  const expected = redactor.redact(text).text
  for (const size of [1000, 7919, 65536, 200000]) {
    const chunks = []
    // Cut on code points (a JavaScript string may not end inside a surrogate pair here).
    const points = Array.from(text)
    for (let i = 0; i < points.length; i += size) chunks.push(points.slice(i, i + size).join(''))
    assert.equal(streamed(redactor.stream(), chunks), expected, `chunks of ${size}`)
  }
  const stream = redactor.stream()
  assert.ok(stream.push(text).length > expected.length / 2, 'the stream holds back a bounded tail')
})

test('redactMany and the async tasks equal redact', async () => {
  const texts = detectorVectors.map((v) => v.text)
  const expected = texts.map((t) => redactor.redact(t))
  assert.deepEqual(redactor.redactMany(texts), expected)
  assert.deepEqual(redactor.redactMany([]), [])
  const [many, one] = await Promise.all([redactor.redactManyAsync(texts), redactor.redactAsync(texts[0])])
  assert.deepEqual(many, expected)
  assert.deepEqual(one, expected[0])
  assert.throws(() => redactor.redactMany('not an array'))
  assert.throws(() => redactor.find(42))
})

const configErrors = [
  [{ nope: 1 }, 'ERR_REDACT_PARSE', /unknown field `nope`/],
  [{ disable: ['no_such_detector'] }, 'ERR_REDACT_CONFIG', /no_such_detector/],
  [{ min_confidence: 2 }, 'ERR_REDACT_CONFIG', /min_confidence 2/],
  [{ operators: { email: { op: 'hash' } } }, 'ERR_REDACT_CONFIG', /hash_key/],
  [{ allow_patterns: ['('] }, 'ERR_REDACT_CONFIG', /allow pattern '\('/],
  [{ min_confidence: 'high' }, 'ERR_REDACT_PARSE', /invalid type/],
  [{ detectors: [{ id: 't', kind: 'ticket', keywords: ['T-'], pattern: 'T-[0-9]{3}', validator: 'nope' }] }, 'ERR_REDACT_DETECTOR',
    /detector 't': unknown validator 'nope'/],
  ['{"disable": [', 'ERR_REDACT_PARSE', /cannot parse redactor config/],
  [['email'], 'ERR_REDACT_CONFIG', /must be an object or JSON text, got an array/],
  [42, 'ERR_REDACT_CONFIG', /got a number/],
]

test('config errors carry stable codes and name the value', () => {
  for (const [config, code, message] of configErrors) {
    assert.throws(() => new Redactor(config), (err) => {
      assert.ok(err instanceof Error)
      assert.equal(err.code, code, JSON.stringify(config))
      assert.match(err.message, message)
      return true
    })
  }
  assert.equal(new Redactor(null).redact('ann@corp.io').text, '[EMAIL_1]')
  // camelCase is not the config's spelling: the field names are the config file's.
  assert.throws(() => new Redactor({ minConfidence: 0.9 }), { code: 'ERR_REDACT_PARSE', message: /unknown field `minConfidence`/ })
})

test('custom detector, operators and allow-list through the config', () => {
  const r = new Redactor({
    detectors: [{ id: 'ticket', kind: 'ticket_id', keywords: ['TCK-'], pattern: 'TCK-[0-9]{6}' }],
    disable: ['ip_address'],
    allow: ['support@example.com'],
    operators: { email: { op: 'mask', keep_last: 4 } },
  })
  assert.equal(
    r.redact('TCK-482913 from 10.1.2.3, ann@corp.io, support@example.com').text,
    '[TICKET_ID_1] from 10.1.2.3, *******p.io, support@example.com',
  )
  assert.ok(r.detectorIds().includes('ticket'))
})

test('no secret shows when objects are inspected', () => {
  const r = new Redactor({ hash_key: 'pepper-123', operators: { email: { op: 'hash' } } })
  const vault = new Vault()
  r.redactReversible('key ghp_8fK2mQx9Lz1Rt5Vb7Nc3Hj6Pw4Sd0Ya2Ue8o', vault)
  const stream = r.stream(vault)
  stream.push('mail ann@corp.io')
  for (const obj of [r, vault, stream]) {
    const shown = inspect(obj, { showHidden: true, depth: 5 }) + JSON.stringify(obj)
    for (const secret of ['ghp_', 'ann@', 'pepper']) assert.ok(!shown.includes(secret), shown)
  }
})

describe('logging helpers (pino-style hooks, no pino needed)', () => {
  test('redactValue walks objects, arrays and errors, and cuts cycles', () => {
    const err = new Error('no user ann@corp.io')
    err.code = 'E_USER'
    const obj = { user: { email: 'ann@corp.io', tags: ['x', 'bob@corp.io'], n: 3, ok: true, none: null }, err }
    obj.self = obj
    const out = logging.redactValue(redactor, obj)
    assert.deepEqual(out.user, { email: '[EMAIL_1]', tags: ['x', '[EMAIL_1]'], n: 3, ok: true, none: null })
    assert.equal(out.err.type, 'Error')
    assert.equal(out.err.message, 'no user [EMAIL_1]')
    assert.equal(out.err.code, 'E_USER')
    assert.ok(!out.err.stack.includes('ann@corp.io'))
    assert.equal(out.self, '[Circular]')
    assert.equal(obj.user.email, 'ann@corp.io', 'the input is not changed')
    const date = new Date(0)
    assert.equal(logging.redactValue(redactor, { date }).date, date)
    const deep = logging.redactValue(redactor, { a: { b: { c: 'ann@corp.io' } } }, { maxDepth: 2 })
    assert.deepEqual(deep, { a: { b: '[Too deep]' } })
    // The same object twice (not a cycle) is redacted twice.
    const shared = { e: 'ann@corp.io' }
    assert.deepEqual(logging.redactValue(redactor, [shared, shared]), [{ e: '[EMAIL_1]' }, { e: '[EMAIL_1]' }])
  })

  test('pino hooks: formatters.log and hooks.logMethod redact a log call', () => {
    const { formatters, hooks } = logging.pinoOptions(redactor)
    // What pino does: hooks.logMethod(args, method) with `this` the logger, then
    // formatters.log(mergedObject) when it serialises the line.
    const lines = []
    const logger = {
      info(obj, msg, ...args) {
        const line = formatters.log({ ...obj })
        line.msg = msg.replace(/%s/g, () => args.shift())
        lines.push(JSON.stringify(line))
      },
    }
    hooks.logMethod.call(logger, [{ user: 'ann@corp.io' }, 'login with key %s', 'AKIAZ3MHQ4X7PL2RTYVN'], logger.info)
    assert.deepEqual(lines, ['{"user":"[EMAIL_1]","msg":"login with key [API_KEY_1]"}'])
    assert.deepEqual(formatters.log({ card: '4539 1488 0343 6467', level: 30 }), { card: '[PAYMENT_CARD_1]', level: 30 })
  })

  test('redactingSerializer, and a redactor is required', () => {
    const serialize = logging.redactingSerializer(new Redactor({ enable: ['email'] }))
    assert.deepEqual(serialize({ to: 'ann@corp.io', ip: '203.0.113.77' }), { to: '[EMAIL_1]', ip: '203.0.113.77' })
    assert.equal(serialize('mail bob@corp.io'), 'mail [EMAIL_1]')
    assert.throws(() => logging.redactingSerializer(), TypeError)
    assert.throws(() => logging.pinoOptions({}), TypeError)
  })

  test('package.json ships the helpers', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    for (const f of ['logging.js', 'logging.d.ts']) assert.ok(pkg.files.includes(f), f)
  })
})
