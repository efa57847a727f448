// Express middleware for shieldwall's RateLimiter (plain JavaScript, no dependency on Express).
//
// It also works with a bare `node:http` server: it only uses `req.headers`, `req.ip` /
// `req.socket.remoteAddress`, `res.setHeader`, `res.statusCode` and `res.end`.
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

module.exports = { rateLimit, defaultKey }
