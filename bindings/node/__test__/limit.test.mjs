// The rate limiter from Node: the shared testdata/limit/scenarios.jsonl vectors, reserve and
// settle, error codes, concurrent async checks, the Redis store (when SHIELDWALL_REDIS_URL is
// set) and the Express middleware (with node:http and with fake req/res/next).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'

const require = createRequire(import.meta.url)
const { RateLimiter, Decision, Reservation } = require('../index.js')
const { rateLimit, defaultKey } = require('../express.js')

const testdata = new URL('../../../testdata/limit/', import.meta.url)
const jsonl = (name) =>
  readFileSync(new URL(name, testdata), 'utf8')
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trimStart().startsWith('//'))
    .map(({ line, number }) => ({ number, ...JSON.parse(line) }))

const scenarios = jsonl('scenarios.jsonl')

const TPM = { limits: [{ name: 'tpm', unit: 'tokens', quota: { rate: 1000, period: '1m' } }] }
const HOURLY = {
  limits: [
    { name: 'rph', quota: { rate: 100, period: '1h', burst: 50 } },
    { name: 'acct', scope: 'account', quota: { rate: 1000, period: '1h', burst: 80 } },
  ],
}

/** Seconds (from whole nanoseconds) to milliseconds rounded up, as the core serialises. */
const ceilMs = (seconds) => Math.ceil(Math.round(seconds * 1e9) / 1e6)

/** The error code, without the `ERR_LIMIT_` prefix, in the vectors' snake case. */
const kindOf = (code) =>
  ({
    ERR_LIMIT_CONFIG: 'invalid_config',
    ERR_LIMIT_MISSING_SCOPE: 'missing_scope',
    ERR_LIMIT_UNKNOWN_LIMIT: 'unknown_limit',
    ERR_LIMIT_STORE_FULL: 'store_full',
    ERR_LIMIT_UNAVAILABLE: 'unavailable',
  })[code] ?? code

/** Check, or reserve + settle with `actual_tokens`; the decision's JSON form or `{ error }`. */
function replayStep(limiter, step) {
  const options = { tokens: step.tokens ?? 0, requests: step.requests ?? 1, scopes: step.scopes }
  let decision
  try {
    if (step.actual_tokens !== undefined) {
      const reservation = limiter.reserve(step.key, options)
      decision = reservation.decision
      limiter.settle(reservation, step.actual_tokens)
    } else {
      decision = limiter.check(step.key, options)
    }
  } catch (err) {
    return { error: kindOf(err.code) }
  }
  assert.ok(decision instanceof Decision)
  const got = decision.toJSON()
  assert.equal(decision.status, got.status)
  assert.equal(decision.allowed, got.status === 'allowed')
  assert.deepEqual([decision.remaining, decision.limit, decision.bound], [got.remaining, got.limit, got.bound])
  if (decision.retryAfter === null || decision.retryAfter === undefined) assert.equal(got.retry_after_ms, null)
  else assert.equal(ceilMs(decision.retryAfter), got.retry_after_ms)
  assert.equal(ceilMs(decision.resetAfter), got.reset_after_ms)
  return got
}

test('the scenario file is complete', () => {
  assert.ok(scenarios.length >= 8, 'the scenario file lost lines')
})

describe('limit/scenarios.jsonl', () => {
  for (const s of scenarios) {
    test(`line ${s.number}: ${s.name}`, () => {
      if (s.error !== undefined) {
        assert.throws(() => new RateLimiter(s.policy, { clock: 'manual' }), (err) => {
          assert.equal(kindOf(err.code), s.error)
          return true
        })
        return
      }
      const limiter = new RateLimiter(s.policy, { clock: 'manual' })
      let now = 0
      s.steps.forEach((step, i) => {
        limiter.advance(step.t_ms - now)
        now = step.t_ms
        const got = replayStep(limiter, step)
        for (const [field, want] of Object.entries(step.expect)) {
          assert.deepEqual(got[field], want, `step ${i}: field ${field}: got ${JSON.stringify(got)}`)
        }
      })
    })
  }
})

test('the limit-sim example replays', () => {
  const policy = JSON.parse(readFileSync(new URL('policy.json', testdata), 'utf8'))
  const limiter = new RateLimiter(policy, { clock: 'manual' })
  let now = 0
  const statuses = jsonl('requests.jsonl').map((step) => {
    limiter.advance(step.t_ms - now)
    now = step.t_ms
    const got = replayStep(limiter, step)
    return got.status ?? got.error
  })
  assert.deepEqual(statuses, ['allowed', 'allowed', 'allowed', 'limited', 'over_capacity', 'missing_scope'])
})

test('unknown policy fields and bad options: ERR_LIMIT_CONFIG naming them', () => {
  for (const [policy, field] of [
    [{ ...TPM, burst_mode: 'x' }, 'burst_mode'],
    [{ limits: [{ ...TPM.limits[0], scopes: 'key' }] }, 'scopes'],
    [{ limits: [{ name: 'a', quota: { rate: 1, period: '1s', brust: 2 } }] }, 'brust'],
  ]) {
    assert.throws(() => new RateLimiter(policy), (err) => {
      assert.equal(err.code, 'ERR_LIMIT_CONFIG')
      assert.match(err.message, new RegExp(`unknown field \`${field}\``))
      return true
    })
  }
  for (const [options, message] of [
    [{ failureMode: 'sometimes' }, /invalid failureMode 'sometimes'/],
    [{ clock: 'sundial' }, /invalid clock 'sundial'/],
    [{ redisUrl: 'not a url' }, /invalid redis url/],
    [{ redisUrl: 'redis://127.0.0.1:1/', redisPrefix: 'a b' }, /name 'a b' must be/],
  ]) {
    assert.throws(() => new RateLimiter(TPM, options), { code: 'ERR_LIMIT_CONFIG', message })
  }
  const limiter = new RateLimiter(TPM)
  assert.throws(() => limiter.check('k', { tokens: -1 }), { code: 'ERR_LIMIT_CONFIG', message: /tokens must be/ })
  assert.throws(() => limiter.advance(10), { code: 'ERR_LIMIT_CONFIG', message: /clock: 'manual'/ })
})

test('a missing scope: ERR_LIMIT_MISSING_SCOPE, thrown or rejected', async () => {
  const limiter = new RateLimiter({ limits: [{ name: 'acct', scope: 'account', quota: { rate: 1, period: '1s' } }] })
  assert.throws(() => limiter.check('k'), { code: 'ERR_LIMIT_MISSING_SCOPE', message: /needs the scope 'account'/ })
  await assert.rejects(limiter.checkAsync('k'), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'ERR_LIMIT_MISSING_SCOPE')
    return true
  })
  assert.equal((await limiter.checkAsync('k', { scopes: { account: 'acme' } })).allowed, true)
})

test('decision fields and headers', () => {
  const limiter = new RateLimiter(
    {
      limits: [
        { name: 'rpm', quota: { rate: 60, period: '1m', burst: 2 } },
        { name: 'tpm', unit: 'tokens', quota: { rate: 1000, period: '1m' } },
      ],
    },
    { clock: 'manual' },
  )
  const first = limiter.check('k', { tokens: 100 })
  assert.deepEqual([first.status, first.source, first.retryAfter], ['allowed', 'store', null])
  assert.deepEqual([first.bound, first.limit, first.remaining], ['rpm', 2, 1])
  assert.equal(first.resetAfter, 1)
  assert.deepEqual(first.limits.map((l) => l.name), ['rpm', 'tpm'])
  assert.equal(first.limits[1].remaining, 900)
  const headers = first.headers()
  assert.equal(headers['x-ratelimit-remaining-tokens'], '900')
  assert.equal(headers['x-ratelimit-limit-requests'], '2')
  assert.equal(headers['retry-after'], undefined)
  limiter.check('k')
  const denied = limiter.check('k')
  assert.deepEqual([denied.allowed, denied.status, denied.bound, denied.retryAfter], [false, 'limited', 'rpm', 1])
  assert.equal(denied.headers()['retry-after'], '1')
  assert.equal(JSON.parse(JSON.stringify(denied)).retry_after_ms, 1000)
  assert.deepEqual(limiter.policy.limits[0].quota, { rate: 60, period: '1m', burst: 2 })
})

test('reserve, settle, cancel (sync and async)', async () => {
  const limiter = new RateLimiter(TPM, { clock: 'manual' })
  const reservation = limiter.reserve('k', { tokens: 800 })
  assert.ok(reservation instanceof Reservation)
  assert.equal(reservation.decision.remaining, 200)
  assert.equal(reservation.settled, false)
  limiter.settle(reservation, 100)
  assert.equal(reservation.settled, true)
  assert.equal(limiter.peek('k').remaining, 900)
  assert.throws(() => limiter.settle(reservation, 100), { code: 'ERR_LIMIT_SETTLED' })
  // An under-estimate is charged in full, even into debt.
  limiter.settle(limiter.reserve('k', { tokens: 100 }), 1500)
  assert.equal(limiter.check('k', { tokens: 1 }).status, 'limited')
  limiter.advance(120_000)
  const r = await limiter.reserveAsync('k', { tokens: 600 })
  assert.equal(r.decision.remaining, 400)
  await limiter.settleAsync(r, 50)
  assert.equal(limiter.peek('k').remaining, 950)
  // Misuse throws at once, as a bad argument does; only the store's errors reject.
  assert.throws(() => limiter.settleAsync(r, 50), { code: 'ERR_LIMIT_SETTLED' })
  const c = limiter.reserve('k', { tokens: 300 })
  limiter.cancel(c)
  assert.equal(limiter.peek('k').remaining, 950)
  assert.throws(() => limiter.cancel(c), { code: 'ERR_LIMIT_SETTLED' })
})

test('overrides', () => {
  const limiter = new RateLimiter(TPM, { clock: 'manual' })
  limiter.setOverride('tpm', 'vip', { rate: 50000, period: '1m' })
  assert.equal(limiter.check('vip', { tokens: 40_000 }).allowed, true)
  assert.equal(limiter.check('pleb', { tokens: 40_000 }).status, 'over_capacity')
  assert.equal(limiter.removeOverride('tpm', 'vip'), true)
  assert.equal(limiter.removeOverride('tpm', 'vip'), false)
  assert.throws(() => limiter.setOverride('nope', 'vip', { rate: 1, period: '1s' }), { code: 'ERR_LIMIT_UNKNOWN_LIMIT' })
  assert.throws(() => limiter.setOverride('tpm', 'vip', { rate: 0, period: '1s' }), { code: 'ERR_LIMIT_CONFIG' })
})

test('concurrent checkAsync on the thread pool never over-admit', async () => {
  // 400 checks in flight at once on one key: the burst of 50 (then 100 an hour) bounds them.
  const limiter = new RateLimiter(HOURLY)
  const start = performance.now()
  const decisions = await Promise.all(
    Array.from({ length: 400 }, () => limiter.checkAsync('shared', { scopes: { account: 'acme' } })),
  )
  const elapsed = (performance.now() - start) / 1000
  const admitted = decisions.filter((d) => d.allowed).length
  assert.ok(admitted >= 50 && admitted <= 50 + Math.floor((100 * elapsed) / 3600) + 1, `${admitted} admitted`)
  // Different keys, one account: the account's burst of 80 bounds them together.
  const manual = new RateLimiter(HOURLY, { clock: 'manual' })
  const spread = await Promise.all(
    Array.from({ length: 400 }, (_, i) => manual.checkAsync(`key-${i % 8}`, { scopes: { account: 'acme' } })),
  )
  assert.equal(spread.filter((d) => d.allowed).length, 80)
})

test('an unreachable Redis applies the failure mode', async () => {
  // Nothing listens on port 1: every check fails to connect.
  for (const [failureMode, status, source] of [
    ['open', 'allowed', 'fail_open'],
    ['closed', 'limited', 'fail_closed'],
  ]) {
    const limiter = new RateLimiter(TPM, { redisUrl: 'redis://127.0.0.1:1/', failureMode })
    const d = await limiter.checkAsync('k', { tokens: 10 })
    assert.deepEqual([d.status, d.source], [status, source])
  }
  const strict = new RateLimiter(TPM, { redisUrl: 'redis://127.0.0.1:1/', failureMode: 'error' })
  await assert.rejects(strict.checkAsync('k'), { code: 'ERR_LIMIT_UNAVAILABLE' })
  assert.throws(() => strict.check('k'), { code: 'ERR_LIMIT_UNAVAILABLE' })
})

const redisUrl = process.env.SHIELDWALL_REDIS_URL
const redisSkip = redisUrl ? false : 'SHIELDWALL_REDIS_URL is not set (scripts/test starts a redis-server and sets it)'
const uniquePrefix = (name) => `sw-node-${name}-${process.pid}-${Date.now()}`

describe('Redis store', { skip: redisSkip }, () => {
  test('decisions, reserve and settle', async () => {
    const limiter = new RateLimiter(
      {
        limits: [
          { name: 'rpm', quota: { rate: 60, period: '1m', burst: 5 } },
          { name: 'tpd', unit: 'tokens', scope: 'account', quota: { rate: 1000, period: '1d' } },
        ],
      },
      { redisUrl, redisPrefix: uniquePrefix('basic'), failureMode: 'error' },
    )
    const options = { tokens: 100, scopes: { account: 'acme' } }
    for (let left = 4; left >= 0; left--) {
      const d = await limiter.checkAsync('k', options)
      assert.deepEqual([d.status, d.source, d.limits[0].remaining], ['allowed', 'store', left])
    }
    const d = await limiter.checkAsync('k', options)
    assert.deepEqual([d.status, d.bound], ['limited', 'rpm'])
    assert.ok(d.retryAfter > 0.9 && d.retryAfter <= 1, `${d.retryAfter}`)
    const r = await limiter.reserveAsync('k2', { tokens: 400, scopes: { account: 'acme' } })
    assert.equal(r.decision.limits[1].remaining, 100)
    await limiter.settleAsync(r, 150)
    assert.equal(limiter.peek('k2', { account: 'acme' }).limits[1].remaining, 350)
  })

  test('two limiters sharing a key never exceed the limit', async () => {
    const prefix = uniquePrefix('shared')
    const limiters = [0, 1].map(() => new RateLimiter(HOURLY, { redisUrl, redisPrefix: prefix, failureMode: 'error' }))
    const start = performance.now()
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, i) => limiters[i % 2].checkAsync('shared', { scopes: { account: 'acme' } })),
    )
    const elapsed = (performance.now() - start) / 1000
    const admitted = decisions.filter((d) => d.allowed).length
    assert.ok(admitted >= 50 && admitted <= 50 + Math.floor((100 * elapsed) / 3600) + 1, `${admitted} admitted`)
  })
})

describe('Express middleware', () => {
  const policy = { limits: [{ name: 'rpm', quota: { rate: 60, period: '1m', burst: 2 } }] }

  test('with a node:http server', async () => {
    const limiter = new RateLimiter(policy, { clock: 'manual' })
    const middleware = rateLimit(limiter, { key: (req) => req.headers['x-api-key'] })
    const server = http.createServer((req, res) => {
      middleware(req, res, (err) => {
        if (err) {
          res.statusCode = 500
          res.end(String(err.code))
          return
        }
        res.end(`ok ${req.rateLimit.remaining}`)
      })
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${server.address().port}/`
      const get = (key) => fetch(url, { headers: { 'x-api-key': key } })
      for (const remaining of ['1', '0']) {
        const res = await get('sk-1')
        assert.equal(res.status, 200)
        assert.equal(await res.text(), `ok ${remaining}`)
        assert.equal(res.headers.get('x-ratelimit-remaining-requests'), remaining)
        assert.ok(res.headers.get('ratelimit-policy'))
      }
      const denied = await get('sk-1')
      assert.equal(denied.status, 429)
      assert.equal(denied.headers.get('retry-after'), '1')
      assert.deepEqual(await denied.json(), { error: 'rate_limited', status: 'limited', bound: 'rpm', retryAfter: 1 })
      assert.equal((await get('sk-2')).status, 200)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('with fake req/res/next', async () => {
    const limiter = new RateLimiter(
      { limits: [{ name: 'acct', scope: 'account', unit: 'tokens', quota: { rate: 100, period: '1m' } }] },
      { clock: 'manual' },
    )
    const middleware = rateLimit(limiter, {
      tokens: (req) => req.body.max_tokens,
      scopes: (req) => (req.account ? { account: req.account } : {}),
    })
    const run = (req) =>
      new Promise((resolve) => {
        const res = {
          headers: {},
          statusCode: 200,
          setHeader(name, value) {
            this.headers[name] = value
          },
          end(body) {
            resolve({ res: this, body, next: false })
          },
        }
        middleware(req, res, (err) => resolve({ res, err, next: true }))
      })
    const req = (account, maxTokens) => ({
      headers: { authorization: 'Bearer sk-7' },
      account,
      body: { max_tokens: maxTokens },
    })
    const ok = await run(req('acme', 60))
    assert.deepEqual([ok.next, ok.err, ok.res.headers['x-ratelimit-remaining-tokens']], [true, undefined, '40'])
    const denied = await run(req('acme', 60))
    assert.deepEqual([denied.next, denied.res.statusCode], [false, 429])
    assert.equal(JSON.parse(denied.body).status, 'limited')
    const over = await run(req('acme', 500))
    assert.equal(JSON.parse(over.body).status, 'over_capacity')
    const missing = await run(req(undefined, 1))
    assert.equal(missing.next, true)
    assert.equal(missing.err.code, 'ERR_LIMIT_MISSING_SCOPE')
    assert.equal(defaultKey({ headers: { authorization: 'Bearer sk-7' } }), 'sk-7')
    assert.equal(defaultKey({ headers: {}, ip: '203.0.113.9' }), '203.0.113.9')
  })
})
