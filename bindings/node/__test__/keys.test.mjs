// API keys from Node: the shared testdata/keys/*.jsonl vectors, the key life cycle, error
// codes, UTF-16 spans, and no key material when an issued key is logged.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { inspect } from 'node:util'
import { crc32 } from 'node:zlib'
import { describe, test } from 'node:test'

const require = createRequire(import.meta.url)
const { Keyring, IssuedKey, checkKey, scanKeys, scanKeysAsync } = require('../index.js')

const PEPPER = Buffer.from('node-test pepper, at least 32 bytes long')
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function load(name) {
  const file = new URL(`../../../testdata/keys/${name}`, import.meta.url)
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trimStart().startsWith('//'))
    .map(({ line, number }) => ({ number, ...JSON.parse(line) }))
}

const formatVectors = load('format.jsonl')
const scanVectors = load('scan.jsonl')
const scopeVectors = load('scopes.jsonl')

/** Vector offsets are code points; JavaScript strings count UTF-16 units. */
const utf16 = (text, codePoints) => Array.from(text).slice(0, codePoints).join('').length

/** A key built by hand (zlib CRC32, big-endian base62), independently of the library. */
function assemble(prefix, env, id, secret) {
  const body = `${prefix}_${env}_${id}_${secret}`
  let crc = crc32(body)
  let digits = ''
  for (let i = 0; i < 6; i++) {
    digits = B62[crc % 62] + digits
    crc = Math.floor(crc / 62)
  }
  return body + digits
}

function assertNoWindowOf(secret, haystack, width = 8) {
  for (let i = 0; i + width <= secret.length; i++) {
    assert.ok(!haystack.includes(secret.slice(i, i + width)), `key material in ${haystack}`)
  }
}

/** The request's fields as the vectors spell them (snake_case) in JavaScript (camelCase). */
const jsRequest = (r) => {
  const { max_tokens: maxTokens, ...rest } = r
  return maxTokens === undefined ? rest : { ...rest, maxTokens }
}

test('the vector files are complete', () => {
  assert.ok(formatVectors.length >= 20, 'format.jsonl lost lines')
  assert.ok(scanVectors.length >= 10, 'scan.jsonl lost lines')
  assert.ok(scopeVectors.length >= 30, 'scopes.jsonl lost lines')
})

describe('format.jsonl vectors', () => {
  for (const v of formatVectors) {
    test(`line ${v.number}: ${v.name}`, () => {
      const result = checkKey(v.candidate, v.expected_prefix)
      if (v.valid) {
        assert.deepEqual(result, { valid: true, prefix: v.prefix, environment: v.environment, id: v.id })
        return
      }
      assert.equal(result.valid, false)
      assert.equal(result.kind, v.error, result.error)
      assert.equal(result.part, v.part, result.error)
      assert.equal(result.id, undefined)
      assertNoWindowOf(v.candidate, result.error)
    })
  }
})

describe('scan.jsonl vectors', () => {
  for (const v of scanVectors) {
    test(`line ${v.number}: ${v.name}`, async () => {
      const found = scanKeys(v.text, v.prefix)
      assert.deepEqual(await scanKeysAsync(v.text, v.prefix), found)
      const want = v.matches.map((m) => ({ start: utf16(v.text, m.start), end: utf16(v.text, m.end), id: m.id }))
      assert.deepEqual(
        found.map(({ start, end, id }) => ({ start, end, id })),
        want,
      )
      for (const m of found) {
        assert.equal(checkKey(v.text.slice(m.start, m.end), v.prefix).id, m.id)
      }
    })
  }
})

describe('scopes.jsonl vectors', () => {
  for (const v of scopeVectors) {
    test(`line ${v.number}: ${v.name}`, () => {
      const keyring = new Keyring(PEPPER, { prefix: 'sw' })
      const created = v.created ?? 0
      const now = v.now ?? created + 1
      const issued = keyring.issue({
        scopes: v.scopes,
        expiresIn: v.expires === undefined ? undefined : v.expires - created,
        now: created,
      })
      assert.equal(issued.record.expires, v.expires)
      const decision = keyring.authorize(issued.key, jsRequest(v.request), now)
      assert.equal(decision.allowed ? 'allow' : decision.reason, v.expect, JSON.stringify(decision))
      for (const [field, want] of Object.entries(v.grant ?? {})) {
        assert.equal(decision.grant[field], want, field)
      }
      if (decision.allowed) {
        assert.equal(decision.denial, undefined)
      } else {
        assert.equal(decision.grant, undefined)
        assert.equal(decision.denial.reason, decision.reason)
      }
    })
  }
})

test('hand-built keys check; every single-character typo does not', () => {
  const key = assemble('acme', 'test', 'Zy9Xw8Vu7Ts6', 'q'.repeat(32))
  assert.equal(checkKey(key).id, 'Zy9Xw8Vu7Ts6')
  for (let i = 0; i < key.length; i++) {
    const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1)
    assert.equal(checkKey(typo).valid, false, `position ${i}`)
    assert.deepEqual(scanKeys(typo, 'acme'), [])
  }
})

test('life cycle: issue, verify, rotate, revoke', () => {
  const keyring = new Keyring(PEPPER, { prefix: 'acme', touchInterval: 0 })
  assert.equal(keyring.prefix, 'acme')
  const issued = keyring.issue({ env: 'test', scopes: { max_tokens: 10 }, expiresIn: 1000, now: 100 })
  assert.ok(issued instanceof IssuedKey)
  assert.ok(issued.key.startsWith(`acme_test_${issued.id}_`))
  assert.equal(issued.redacted, `acme_test_${issued.id}_…`)
  const record = issued.record
  assert.equal(record.id, issued.id)
  assert.equal(record.created, 100)
  assert.equal(record.expires, 1100)
  assert.deepEqual(record.scopes, { max_tokens: 10 })
  assert.equal(record.hash.length, 64)
  assert.equal(keyring.size, 1)

  assert.equal(keyring.verify(issued.key, 150).allowed, true)
  assert.equal(keyring.record(issued.id).last_used, 150)
  assert.equal(keyring.verify(issued.key, 1100).reason, 'expired')

  const successor = keyring.rotate(issued.id, 50, 200)
  assert.equal(successor.record.predecessor, issued.id)
  assert.equal(successor.record.expires, 1200)
  assert.equal(keyring.record(issued.id).successor, successor.id)
  assert.equal(keyring.verify(issued.key, 249).grant.superseded_until, 250)
  assert.deepEqual(keyring.verify(issued.key, 250).denial, {
    reason: 'superseded',
    id: issued.id,
    successor: successor.id,
    at: 250,
  })
  assert.equal(keyring.verify(successor.key, 250).allowed, true)

  assert.equal(keyring.revoke(successor.id, 300).revoked, 300)
  assert.equal(keyring.verify(successor.key, 300).reason, 'revoked')
  assert.equal(keyring.record('AAAAAAAAAAAA'), null)
})

test('wrong secret, unknown key, other prefix, other pepper', () => {
  const keyring = new Keyring(PEPPER)
  const issued = keyring.issue({ now: 0 })
  const forged = assemble('sw', 'live', issued.id, 'Z'.repeat(32))
  assert.deepEqual(keyring.verify(forged, 1).denial, { reason: 'wrong_secret', id: issued.id })
  assert.equal(keyring.verify(assemble('sw', 'live', 'AAAAAAAAAAAA', 'Z'.repeat(32)), 1).reason, 'unknown_key')
  assert.deepEqual(keyring.verify(assemble('acme', 'live', issued.id, 'Z'.repeat(32)), 1).denial, {
    reason: 'malformed',
    part: 'prefix',
  })
  const other = new Keyring(Buffer.from('another pepper of at least 32 bytes!'), { records: keyring.records() })
  assert.equal(other.verify(issued.key, 1).reason, 'wrong_secret')
})

test('records round-trip through JSON and reload', () => {
  const keyring = new Keyring(PEPPER)
  const scopes = {
    models: ['gpt-4o*'],
    endpoints: ['/v1/*'],
    max_tokens: 4096,
    limiter_policy: 'pro',
    ip_allow: ['10.0.0.0/8', '2001:db8::/32'],
  }
  const issued = keyring.issue({ scopes, now: 5 })
  assert.deepEqual(issued.record.scopes, scopes)
  const stored = JSON.parse(JSON.stringify(keyring.records()))
  assertNoWindowOf(issued.key.slice(21), JSON.stringify(stored))
  const reloaded = new Keyring(PEPPER, { records: stored })
  const decision = reloaded.authorize(issued.key, { endpoint: '/v1/chat', model: 'gpt-4o', ip: '10.1.2.3' }, 6)
  assert.deepEqual(decision, {
    allowed: true,
    grant: { id: issued.id, environment: 'live', limiter_policy: 'pro', max_tokens: 4096 },
  })
  assert.equal(reloaded.authorize(issued.key, { endpoint: '/v1/chat' }, 6).reason, 'ip')
  assert.equal(reloaded.authorize(issued.key, { endpoint: '/v1/chat', maxTokens: 4097, ip: '10.0.0.1' }, 6).reason,
    'max_tokens')
  assert.throws(() => new Keyring(PEPPER, { records: [{ id: 'x' }] }), { code: 'ERR_KEY_CONFIG' })
  assert.throws(() => new Keyring(PEPPER, { records: [stored[0], stored[0]] }), { code: 'ERR_KEY_EXISTS' })
})

test('no key material when an issued key or a decision is logged', () => {
  const keyring = new Keyring(PEPPER)
  const issued = keyring.issue({ env: 'test', now: 0 })
  const secret = issued.key.slice(21)
  const typo = issued.key.slice(0, 40) + (issued.key[40] === 'x' ? 'y' : 'x') + issued.key.slice(41)
  const outputs = [
    inspect(issued),
    String(issued),
    `${issued}`,
    JSON.stringify(issued),
    inspect(keyring),
    JSON.stringify(keyring.records()),
    JSON.stringify(keyring.verify(typo, 1)),
    JSON.stringify(checkKey(typo)),
    JSON.stringify(checkKey(issued.key.slice(0, 50))),
    JSON.stringify(scanKeys(`x ${issued.key} y`, 'sw')),
  ]
  for (const out of outputs) {
    assertNoWindowOf(secret, out)
    assert.ok(!out.includes(PEPPER.toString()), out)
  }
  assert.equal(String(issued), `sw_test_${issued.id}_…`)
})

test('errors carry stable codes', () => {
  const keyring = new Keyring(PEPPER)
  const cases = [
    [() => new Keyring(Buffer.from('short')), 'ERR_KEY_CONFIG', /5 bytes is shorter/],
    [() => new Keyring(PEPPER, { prefix: 'Bad' }), 'ERR_KEY_CONFIG', /invalid key prefix/],
    [() => new Keyring(PEPPER, { prefx: 'sw' }), 'ERR_INVALID_CONFIG', /unknown option `prefx`/],
    [() => new Keyring(PEPPER, { touchInterval: -1 }), 'ERR_INVALID_CONFIG', /touchInterval/],
    [() => keyring.issue({ env: 'prod' }), 'ERR_KEY_CONFIG', /invalid environment/],
    [() => keyring.issue({ scopes: { ip_allow: ['10.0.0.1/8'] } }), 'ERR_KEY_CONFIG', /host bits set/],
    [() => keyring.issue({ scopes: { modles: [] } }), 'ERR_KEY_CONFIG', /modles/],
    [() => keyring.issue({ expiresIn: -5 }), 'ERR_INVALID_CONFIG', /expiresIn/],
    [() => keyring.issue({ expires_in: 5 }), 'ERR_INVALID_CONFIG', /unknown option `expires_in`/],
    [() => keyring.revoke('AAAAAAAAAAAA'), 'ERR_KEY_NOT_FOUND', /no key with id AAAAAAAAAAAA/],
    [() => keyring.rotate('short', 1), 'ERR_KEY_FORMAT', /key id/],
    [() => keyring.authorize('x', { endpoint: '/x', modle: 'gpt' }), 'ERR_INVALID_CONFIG', /unknown option `modle`/],
    [() => keyring.authorize('x', { endpoint: '/x', ip: 'not an ip' }), 'ERR_INVALID_CONFIG', /not an ipv4/],
    [() => keyring.verify('x', -1), 'ERR_INVALID_CONFIG', /now/],
    [() => checkKey('x', 'B'), 'ERR_KEY_CONFIG', /invalid key prefix/],
  ]
  for (const [call, code, message] of cases) {
    assert.throws(call, (err) => {
      assert.ok(err instanceof Error)
      assert.equal(err.code, code, err.message)
      assert.match(err.message, message)
      return true
    })
  }
  const issued = keyring.issue({ now: 0 })
  keyring.rotate(issued.id, 5, 1)
  assert.throws(() => keyring.rotate(issued.id, 5, 2), { code: 'ERR_KEY_STATE', message: /already been rotated/ })
  assert.throws(() => new Keyring('a string pepper of at least 32 bytes'))
})

test('now defaults to the clock', () => {
  const keyring = new Keyring(PEPPER)
  const issued = keyring.issue({ expiresIn: 3600 })
  assert.ok(issued.record.created > 1_700_000_000)
  assert.equal(issued.record.expires, issued.record.created + 3600)
  assert.equal(keyring.verify(issued.key).allowed, true)
  assert.equal(keyring.verify(issued.key, issued.record.created + 3600).reason, 'expired')
})

test('scan offsets are UTF-16 units', () => {
  const key = new Keyring(PEPPER).issue({ env: 'test' }).key
  const text = `«clé» ${key} ✓ 😀${key}`
  const found = scanKeys(text, 'sw')
  assert.deepEqual(found.map((m) => [m.start, m.end]), [[6, 65], [70, 129]])
  for (const m of found) assert.equal(text.slice(m.start, m.end), key)
  assert.equal(found[0].environment, 'test')
})

test('every option and request field index.d.ts declares is accepted', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const fields = (name) => {
    const body = new RegExp(`export interface ${name} \\{([^}]*)\\}`).exec(dts)[1]
    return [...body.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1])
  }
  assert.deepEqual(fields('KeyringOptions'), ['prefix', 'touchInterval', 'records'])
  assert.deepEqual(fields('IssueOptions'), ['env', 'scopes', 'expiresIn', 'account', 'now'])
  assert.deepEqual(fields('KeyRequest'), ['endpoint', 'model', 'maxTokens', 'ip'])
  const keyring = new Keyring(PEPPER, { prefix: 'sw', touchInterval: 1, records: [] })
  const issued = keyring.issue({ env: 'live', scopes: {}, expiresIn: 10, account: 'acme', now: 0 })
  assert.equal(issued.record.account, 'acme')
  assert.ok(keyring.authorize(issued.key, { endpoint: '/x', model: 'm', maxTokens: 1, ip: '::1' }, 1).allowed)
})

test('scanKeysAsync scans a big log off the main thread', async () => {
  const key = new Keyring(PEPPER).issue().key
  const line = `2026-01-01 GET /v1/chat ✓ 200 user=😀 ${'x'.repeat(200)}\n`
  const log = line.repeat(20_000) + `leaked: ${key}\n` + line.repeat(1000)
  const [a, b] = await Promise.all([scanKeysAsync(log, 'sw'), scanKeysAsync(log, 'acme')])
  assert.equal(a.length, 1)
  assert.equal(log.slice(a[0].start, a[0].end), key)
  assert.deepEqual(a, scanKeys(log, 'sw'))
  assert.deepEqual(b, [])
})
