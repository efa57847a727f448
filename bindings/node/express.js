// Express middleware for shieldwall (plain JavaScript, no dependency on Express): `rateLimit`
// for a RateLimiter, `guardMiddleware` for a Guard.
//
// Both also work with a bare `node:http` server: call them as `(req, res, next)` with `next`
// running your handler (and receiving an error, if any).
//
// rateLimit only uses `req.headers`, `req.ip` / `req.socket.remoteAddress`, `res.setHeader`,
// `res.statusCode` and `res.end`:
//
//   const express = require('express')
//   const { RateLimiter } = require('shieldwall')
//   const { rateLimit } = require('shieldwall/express')
//
//   const limiter = new RateLimiter({ limits: [{ name: 'rpm', quota: { rate: 60, period: '1m' } }] })
//   app.use(rateLimit(limiter, { key: (req) => req.get('x-api-key') }))
//
// Each request is checked with `checkAsync` (on the thread pool, so a Redis round trip does
// not block the event loop). The `ratelimit*`, `x-ratelimit-*` and `retry-after` headers are
// set on every response; a denied request gets `429 Too Many Requests` and a JSON body, an
// admitted one goes on with the decision in `req.rateLimit`. Limiter errors (a missing scope,
// Redis down with failure mode 'error') go to `next(err)`.
//
// guardMiddleware puts a Guard in front of an LLM endpoint, with the behaviour, status codes
// and error bodies of the axum layer (crates/shieldwall-axum):
//
//   const { Guard } = require('shieldwall')
//   const { guardMiddleware } = require('shieldwall/express')
//
//   app.post('/v1/chat/completions', guardMiddleware(Guard.fromFile('policy.toml')), async (req, res) => {
//     // req.body is the redacted body: forward it to the model, write the answer to res
//   })
//
// - the caller: key from `Authorization: Bearer ...` or `x-api-key`, account from
//   `x-shieldwall-account`, IP from the peer address (`options.identify(req)` replaces it);
// - the JSON body is read (at most `maxBodyBytes`, default 4 MiB: else 413 `too_large`), or
//   taken from `req.body` when a body parser ran; `checkRequestAsync` checks it on the thread
//   pool; 400 `invalid_json` / `invalid_body` (with the JSON path), 403 `blocked` and 429
//   `rate_limited` (with the rate-limit headers) answer `{"error": {"type", "message",
//   "reasons"}}`; 401 `unauthorized` (with `WWW-Authenticate: Bearer`, no reasons, so a
//   client cannot probe for key ids) when the guard's key stage refuses the API key; the
//   request's path is passed as the `endpoint` for the key's endpoint scopes;
// - an allowed request goes on with `req.body` = the redacted body (the request stream is
//   consumed: the handler must forward `req.body`, not re-read the stream) and
//   `req.shieldwall` = the RequestDecision (alerts, reasons...);
// - the answer goes back through the guard: `application/json` (2xx) answers are buffered and
//   checked with `checkResponse` (403 `blocked_output` when blocked; content-length fixed),
//   `text/event-stream` answers go through an `SseStream` chunk by chunk as they are written
//   (content-length removed), other answers pass unchanged (as do answers the handler already
//   checked with `guard.checkResponse(req.shieldwall, ...)`); the rate-limit headers are added.
'use strict'

/** The bearer token of the `Authorization` header, else the client's address. */
function defaultKey(req) {
  const auth = req.headers.authorization || ''
  if (auth) return auth.replace(/^Bearer\s+/i, '').trim()
  return req.ip || (req.socket && req.socket.remoteAddress) || 'anonymous'
}

/**
 * @param {import('./index').RateLimiter} limiter
 * @param {{ key?: (req: any) => string, tokens?: (req: any) => number,
 *           scopes?: (req: any) => Record<string, string> }} [options]
 * @returns {(req: any, res: any, next: (err?: unknown) => void) => void}
 */
function rateLimit(limiter, options = {}) {
  const { key = defaultKey, tokens, scopes } = options
  return function shieldwallRateLimit(req, res, next) {
    let pending
    try {
      pending = limiter.checkAsync(key(req), {
        tokens: tokens ? tokens(req) : 0,
        scopes: scopes ? scopes(req) : undefined,
      })
    } catch (err) {
      next(err)
      return
    }
    pending.then((decision) => {
      for (const [name, value] of Object.entries(decision.headers())) res.setHeader(name, value)
      req.rateLimit = decision
      if (decision.allowed) {
        next()
        return
      }
      res.statusCode = 429
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          error: 'rate_limited',
          status: decision.status,
          bound: decision.bound,
          retryAfter: decision.retryAfter,
        }),
      )
    }, next)
  }
}

/** Largest request body read by default (as the axum layer's `DEFAULT_MAX_BODY_BYTES`). */
const DEFAULT_MAX_BODY_BYTES = 4 << 20

/** Largest JSON answer buffered for its check; a larger one is refused with 502. */
const MAX_ANSWER_BYTES = 16 << 20

/**
 * The default caller identity, as the axum layer: the API key from `Authorization: Bearer`
 * or `x-api-key`, the account from `x-shieldwall-account`, the IP from the peer address.
 */
function defaultIdentity(req) {
  const header = (name) => {
    const v = req.headers[name]
    const s = (Array.isArray(v) ? v[0] : v || '').trim()
    return s === '' ? undefined : s
  }
  const auth = header('authorization')
  const bearer = auth !== undefined && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined
  return {
    key: bearer !== undefined ? bearer : header('x-api-key'),
    account: header('x-shieldwall-account'),
    ip: (req.socket && req.socket.remoteAddress) || undefined,
  }
}

/** The path of the request (Express's `originalUrl`, else `url`), without the query. */
function requestPath(req) {
  const url = req.originalUrl || req.url
  if (typeof url !== 'string' || url === '') return undefined
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** Sends a JSON error answer `{"error": {"type", "message", ...extra}}`. */
function sendError(res, status, type, message, extra, headers) {
  const body = JSON.stringify({ error: { type, message, ...extra } })
  res.statusCode = status
  for (const [name, value] of Object.entries(headers || {})) res.setHeader(name, value)
  res.setHeader('content-type', 'application/json')
  res.setHeader('content-length', Buffer.byteLength(body))
  res.end(body)
}

/** Reads the request body: a Buffer, or null after answering 413. */
function readBody(req, res, max, done) {
  const tooLarge = () =>
    sendError(res, 413, 'too_large', `request body over ${max} bytes`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) {
    req.resume()
    tooLarge()
    return
  }
  const chunks = []
  let size = 0
  let over = false
  req.on('data', (chunk) => {
    if (over) return
    size += chunk.length
    if (size > max) {
      over = true
      chunks.length = 0
      tooLarge()
      return
    }
    chunks.push(chunk)
  })
  req.on('end', () => {
    if (!over) done(null, Buffer.concat(chunks))
  })
  req.on('error', (err) => {
    if (!over) {
      over = true
      done(err)
    }
  })
}

/** A chunk given to `res.write` / `res.end` as a Buffer. */
function toBuffer(chunk, encoding) {
  if (chunk === undefined || chunk === null) return Buffer.alloc(0)
  if (Buffer.isBuffer(chunk)) return chunk
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  return Buffer.from(String(chunk))
}

/** Splits `(chunk, encoding, callback)` of `res.write` / `res.end` into its parts. */
function args(chunk, encoding, callback) {
  if (typeof chunk === 'function') return { chunk: undefined, encoding: undefined, callback: chunk }
  if (typeof encoding === 'function') return { chunk, encoding: undefined, callback: encoding }
  return { chunk, encoding, callback }
}

/**
 * Rewrites the answer written to `res` through the guard (see the top of this file). Headers
 * written with `writeHead` are kept on `res` until the mode is known; the head then goes out
 * with the first write.
 */
function guardResponse(guard, decision, res) {
  // Node's own write/end send the head through `res.writeHead` (the wrapper below): while
  // they run (`inner`), the wrapper passes calls through.
  let inner = false
  const writeHead = res.writeHead.bind(res)
  const setHeader = res.setHeader.bind(res)
  const through = (fn) =>
    function (...a) {
      inner = true
      try {
        return fn.apply(res, a)
      } finally {
        inner = false
      }
    }
  const write = through(res.write)
  const end = through(res.end)
  let mode // 'json' | 'sse' | 'pass'
  let sse = null
  let buffered = []
  let bufferedBytes = 0
  let overflow = false

  let ended = false

  const start = () => {
    if (mode !== undefined) return
    for (const [name, value] of Object.entries(decision.headers)) setHeader(name, value)
    const type = String(res.getHeader('content-type') || '').toLowerCase()
    if (!decision.hasContext) {
      // the handler checked the answer itself (guard.checkResponse(req.shieldwall, ...))
      mode = 'pass'
    } else if (type.startsWith('text/event-stream')) {
      mode = 'sse'
      res.removeHeader('content-length')
      sse = guard.streamSse(decision)
      res.on('close', () => {
        // the client went away before the end: the audit and settlement still happen
        if (sse !== null) {
          sse.finish()
          sse = null
        }
      })
    } else if (type.startsWith('application/json') && res.statusCode >= 200 && res.statusCode < 300) {
      mode = 'json'
    } else {
      mode = 'pass'
    }
  }

  res.setHeader = function (name, value) {
    if (mode !== undefined && mode !== 'pass' && String(name).toLowerCase() === 'content-length') return this
    return setHeader(name, value)
  }

  res.writeHead = function (status, message, headers) {
    if (inner) return writeHead(status, message, headers)
    if (typeof message !== 'string') {
      headers = message
      message = undefined
    }
    res.statusCode = status
    if (message !== undefined) res.statusMessage = message
    if (Array.isArray(headers)) {
      // [name, value, name, value, ...] or [[name, value], ...]
      if (headers.length > 0 && Array.isArray(headers[0])) for (const [n, v] of headers) res.setHeader(n, v)
      else for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1])
    } else if (headers) {
      for (const [n, v] of Object.entries(headers)) res.setHeader(n, v)
    }
    start()
    // a JSON answer's head waits for its check; the others go out now (flushHeaders works)
    if (mode !== 'json') through(writeHead)(res.statusCode, res.statusMessage)
    return this
  }

  res.write = function (chunk, encoding, callback) {
    const a = args(chunk, encoding, callback)
    start()
    if (mode === 'pass' || ended) return write(a.chunk, a.encoding, a.callback)
    const bytes = toBuffer(a.chunk, a.encoding)
    if (mode === 'sse') {
      const out = sse === null ? '' : sse.push(bytes)
      if (out !== '') return write(out, a.callback)
      if (a.callback) process.nextTick(a.callback)
      return true
    }
    if (!overflow) {
      bufferedBytes += bytes.length
      if (bufferedBytes > MAX_ANSWER_BYTES) {
        overflow = true
        buffered = []
      } else {
        buffered.push(bytes)
      }
    }
    if (a.callback) process.nextTick(a.callback)
    return true
  }

  res.end = function (chunk, encoding, callback) {
    const a = args(chunk, encoding, callback)
    start()
    if (mode === 'pass' || ended) return end(a.chunk, a.encoding, a.callback)
    if (a.chunk !== undefined && a.chunk !== null) res.write(a.chunk, a.encoding)
    ended = true
    if (mode === 'sse') {
      let rest = ''
      if (sse !== null) {
        rest = sse.finish().events
        sse = null
      }
      return rest !== '' ? end(rest, a.callback) : end(a.callback)
    }
    // json
    const clear = () => {
      for (const name of res.getHeaderNames()) res.removeHeader(name)
    }
    if (overflow) {
      clear()
      const body = JSON.stringify({
        error: { type: 'upstream_error', message: 'the upstream answer could not be read' },
      })
      res.statusCode = 502
      setHeader('content-length', Buffer.byteLength(body))
      return end(body, a.callback)
    }
    const raw = Buffer.concat(buffered)
    buffered = []
    let answer
    try {
      answer = JSON.parse(raw.toString('utf8'))
    } catch {
      answer = undefined
    }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
      // not a JSON object: sent as it came (as the axum layer does with bodies it cannot read)
      setHeader('content-length', raw.length)
      return end(raw, a.callback)
    }
    const checked = guard.checkResponse(decision, answer)
    if (!checked.allowed) {
      clear()
      const body = JSON.stringify({
        error: {
          type: 'blocked_output',
          message: 'the answer was blocked by the guard policy',
          reasons: checked.audit.reasons,
        },
      })
      res.statusCode = 403
      setHeader('content-type', 'application/json')
      setHeader('content-length', Buffer.byteLength(body))
      return end(body, a.callback)
    }
    const body = JSON.stringify(checked.body)
    res.removeHeader('etag') // computed over the upstream's body
    setHeader('content-length', Buffer.byteLength(body))
    return end(body, a.callback)
  }
}

/**
 * A middleware that puts `guard` in front of an LLM endpoint (see the top of this file).
 *
 * @param {import('./index').Guard} guard
 * @param {{ identify?: (req: any) => { key?: string, account?: string, ip?: string },
 *           maxBodyBytes?: number }} [options]
 * @returns {(req: any, res: any, next: (err?: unknown) => void) => void}
 */
function guardMiddleware(guard, options = {}) {
  const { identify = defaultIdentity, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`)
  }
  return function shieldwallGuard(req, res, next) {
    const check = (body) => {
      let who
      let pending
      try {
        who = identify(req) || {}
        pending = guard.checkRequestAsync(body, {
          key: who.key,
          account: who.account,
          ip: who.ip,
          endpoint: requestPath(req),
        })
      } catch (err) {
        pending = Promise.reject(err)
      }
      pending.then(
        (decision) => {
          const reasons = decision.audit.reasons
          if (decision.outcome === 'unauthorized') {
            sendError(res, 401, 'unauthorized', 'a valid API key is required', {}, {
              'www-authenticate': 'Bearer',
            })
            return
          }
          if (decision.outcome === 'rate_limited') {
            sendError(res, 429, 'rate_limited', 'rate limit exceeded', { reasons }, decision.headers)
            return
          }
          if (decision.outcome === 'block') {
            sendError(
              res,
              403,
              'blocked',
              'the request was blocked by the guard policy',
              { reasons },
              decision.headers,
            )
            return
          }
          req.body = decision.body
          req._body = true // body parsers that run later leave req.body alone
          req.shieldwall = decision
          delete req.headers['content-length']
          guardResponse(guard, decision, res)
          next()
        },
        (err) => {
          if (err && err.code === 'ERR_GUARD_JSON') sendError(res, 400, 'invalid_json', err.message)
          else if (err && err.code === 'ERR_GUARD_BODY') sendError(res, 400, 'invalid_body', err.message)
          else next(err)
        },
      )
    }
    const body = req.body
    if (body !== undefined && (req._body === true || req.readableEnded)) {
      // a body parser ran: its result (an object, or the raw text / bytes)
      if (Buffer.isBuffer(body) || ArrayBuffer.isView(body)) {
        const bytes = toBuffer(body)
        if (bytes.length > maxBodyBytes) return sendError(res, 413, 'too_large', `request body over ${maxBodyBytes} bytes`)
        return check(bytes.toString('utf8'))
      }
      if (typeof body === 'string' && Buffer.byteLength(body) > maxBodyBytes) {
        return sendError(res, 413, 'too_large', `request body over ${maxBodyBytes} bytes`)
      }
      return check(body)
    }
    readBody(req, res, maxBodyBytes, (err, bytes) => {
      if (err) next(err)
      else check(bytes.toString('utf8'))
    })
  }
}

module.exports = { rateLimit, defaultKey, guardMiddleware, defaultIdentity, DEFAULT_MAX_BODY_BYTES }
