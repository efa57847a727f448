// The shared middleware vectors (testdata/guard/http.jsonl) through guardMiddleware on a real
// node:http server: the same cases run through the axum layer and the Starlette middleware,
// so the three behave the same. A case with `keys` turns the key stage on: its records go to a
// file, its pepper to an environment variable of its own, and a `[keys]` section naming both is
// appended to its policy.
import assert from 'node:assert/strict'
import http from 'node:http'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const require = createRequire(import.meta.url)
const { Guard } = require('../index.js')
const { guardMiddleware } = require('../express.js')

const cases = readFileSync(new URL('../../../testdata/guard/http.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('//'))
  .map((l) => JSON.parse(l))

async function listen(server) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${server.address().port}`
}

/** The answer's text as the client sees it: JSON text slots, or SSE text deltas in order. */
function visibleText(body) {
  try {
    const v = JSON.parse(body)
    return (
      (v.choices?.[0]?.message?.content ?? '') +
      (v.content?.[0]?.text ?? '') +
      (v.output?.[0]?.content?.[0]?.text ?? '')
    )
  } catch {
    let out = ''
    for (const line of body.split('\n')) {
      if (!line.startsWith('data: ')) continue
      let v
      try {
        v = JSON.parse(line.slice(6))
      } catch {
        continue
      }
      if (v.type === 'content_block_delta') out += v.delta?.text ?? ''
      else if (v.type === 'response.output_text.delta') out += v.delta ?? ''
      else out += v.choices?.[0]?.delta?.content ?? ''
    }
    return out
  }
}

/**
 * The case's policy, plus the `[keys]` section of its `keys` (records written to a file in
 * `dir`, the pepper set in the case's environment variable).
 */
function casePolicy(c, index, dir) {
  if (c.keys === undefined) return c.policy
  const records = join(dir, 'keys.jsonl')
  writeFileSync(records, c.keys.records.map((r) => JSON.stringify(r) + '\n').join(''))
  const env = `SHIELDWALL_HTTP_VECTORS_PEPPER_${index}`
  process.env[env] = c.keys.pepper
  return (
    (c.policy ?? '') +
    '\n[keys]\nenabled = true\n' +
    `prefix = ${JSON.stringify(c.keys.prefix ?? 'sw')}\n` +
    `records = ${JSON.stringify(records)}\npepper_env = ${JSON.stringify(env)}\n`
  )
}

/** The keys to send, one request each: `key` is a string, `null` (no `authorization` header) or a list of these. */
const caseKeys = (c) => (Array.isArray(c.key) ? c.key : [c.key])

for (const [index, c] of cases.entries()) {
  test(c.name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shieldwall-http-vectors-'))
    const guard = new Guard(casePolicy(c, index, dir))
    const seen = []
    // the fake model: the case's canned answer, SSE written chunk by chunk
    const upstream = http.createServer(async (req, res) => {
      const chunks = []
      for await (const b of req) chunks.push(b)
      seen.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      if (c.upstream.sse) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        for (const piece of c.upstream.sse) {
          res.write(piece)
          await new Promise((r) => setImmediate(r))
        }
        res.end()
        return
      }
      const text = JSON.stringify(c.upstream.json)
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    })
    const upUrl = await listen(upstream)
    const mw = guardMiddleware(guard)
    const guarded = http.createServer((req, res) => {
      mw(req, res, async (err) => {
        if (err) {
          res.statusCode = 500
          res.end(String(err))
          return
        }
        const up = await fetch(upUrl + req.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(req.body),
        })
        res.statusCode = up.status
        res.setHeader('content-type', up.headers.get('content-type'))
        for await (const chunk of up.body) res.write(chunk)
        res.end()
      })
    })
    const url = await listen(guarded)
    try {
      let r
      let body
      for (let i = 0; i < (c.repeat ?? 1); i++) {
        for (const key of caseKeys(c)) {
          const headers = { 'content-type': 'application/json' }
          if (key !== null) headers.authorization = `Bearer ${key}`
          r = await fetch(url + '/v1/chat/completions', { method: 'POST', headers, body: JSON.stringify(c.body) })
          body = await r.text()
        }
      }
      const want = c.expect
      assert.equal(r.status, want.status, body)
      if (want.upstream_calls !== undefined) assert.equal(seen.length, want.upstream_calls)
      if (want.upstream_called === false) assert.equal(seen.length, 0)
      for (const check of want.upstream_saw ?? []) {
        const path = check.pointer.split('/').slice(1)
        assert.deepEqual(path.reduce((v, k) => v?.[k], seen[0]), check.value)
      }
      if (want.error_type) {
        const v = JSON.parse(body)
        assert.equal(v.error.type, want.error_type)
        if (want.message) assert.equal(v.error.message, want.message)
        if (want.reason_guard) assert.equal(v.error.reasons[0].guard, want.reason_guard)
      }
      if (want.json !== undefined) assert.deepEqual(JSON.parse(body), want.json)
      if (want.text !== undefined) assert.equal(visibleText(body), want.text, body)
      for (const s of want.not_contains ?? []) assert.ok(!body.includes(s), body)
      for (const h of want.headers ?? []) assert.ok(r.headers.has(h), `no ${h}`)
      for (const [h, v] of Object.entries(want.header_values ?? {})) assert.equal(r.headers.get(h), v)
      if (want.sse_done) assert.ok(body.endsWith('data: [DONE]\n\n'), body)
    } finally {
      await Promise.all([upstream, guarded].map((s) => new Promise((done) => s.close(done))))
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('every shared case ran', () => assert.equal(cases.length, 20))
