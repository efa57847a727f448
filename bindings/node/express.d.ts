// Types for `shieldwall/express` (hand-written; the module is plain JavaScript with no
// dependency on Express, so requests and responses are typed by what it uses of them: a
// `node:http` IncomingMessage / ServerResponse, or Express's, fit).
import type { Decision, Guard, RateLimiter, RequestDecision } from './index'

/** What the middlewares read and set on a request. */
export interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>
  /** The (redacted) JSON body, set by `guardMiddleware`; read when a body parser set it. */
  body?: any
  /** Set by `guardMiddleware` on an allowed request: the guard's decision. */
  shieldwall?: RequestDecision
  /** Set by `rateLimit`: the limiter's decision. */
  rateLimit?: Decision
  [other: string]: any
}

/** A middleware: `(req, res, next)`, as Express (and a bare node:http server) call it. */
export type Middleware = (req: GuardedRequest, res: any, next: (err?: unknown) => void) => void

export interface RateLimitOptions {
  /** The limiter key of a request (default: the bearer token, else the client's address). */
  key?: (req: any) => string
  /** The request's cost in tokens (default 0). */
  tokens?: (req: any) => number
  /** Other scope values of the request, e.g. `{ account: 'acme' }`. */
  scopes?: (req: any) => Record<string, string>
}

/**
 * A middleware checking each request with `limiter.checkAsync`: rate-limit headers on every
 * response, `429` with a JSON body when denied; the decision in `req.rateLimit`.
 */
export declare function rateLimit(limiter: RateLimiter, options?: RateLimitOptions): Middleware
/** The bearer token of the `Authorization` header, else the client's address. */
export declare function defaultKey(req: any): string

/** Who is calling: what the limits are kept per and what the audit log names. */
export interface Identity {
  key?: string
  account?: string
  ip?: string
}

export interface GuardMiddlewareOptions {
  /**
   * Who is calling (default `defaultIdentity`); e.g. to trust a proxy's `x-forwarded-for`.
   */
  identify?: (req: any) => Identity
  /** Largest request body read (default 4 MiB, `DEFAULT_MAX_BODY_BYTES`); larger: 413. */
  maxBodyBytes?: number
}

/**
 * The caller as the axum layer identifies it: the key from `Authorization: Bearer` or
 * `x-api-key`, the account from `x-shieldwall-account`, the IP from the peer address.
 */
export declare function defaultIdentity(req: any): Identity

/** The default `maxBodyBytes`: 4 MiB. */
export declare const DEFAULT_MAX_BODY_BYTES: number

/**
 * A middleware putting `guard` in front of an LLM endpoint, with the axum layer's behaviour:
 * 400 `invalid_json` / `invalid_body`, 413 `too_large`, 403 `blocked`, 429 `rate_limited`
 * (`{"error": {"type", "message", "reasons"}}`), 401 `unauthorized` with
 * `WWW-Authenticate: Bearer` when the guard's key stage refuses the API key (the request's
 * path is the `endpoint` for key scopes); an allowed request goes on with `req.body`
 * set to the redacted body (forward `req.body`: the request stream is consumed) and
 * `req.shieldwall` to the decision; the answer written to `res` is checked (JSON answers
 * through `checkResponse`, 403 `blocked_output` when blocked; `text/event-stream` answers
 * event by event through an `SseStream`) and gets the rate-limit headers. Throws a
 * `RangeError` for a bad `maxBodyBytes`.
 */
export declare function guardMiddleware(guard: Guard, options?: GuardMiddlewareOptions): Middleware
