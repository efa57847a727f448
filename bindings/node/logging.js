// Log redaction helpers for Node loggers (pino and the like), in plain JavaScript over
// `Redactor`. No logger is a dependency: the helpers only use the hooks pino documents
// (`formatters.log`, `hooks.logMethod`, `serializers`), and work with any logger that takes a
// function from a log object to a log object.
//
//   const pino = require('pino')
//   const { Redactor } = require('shieldwall')
//   const { pinoOptions } = require('shieldwall/logging')
//   const logger = pino(pinoOptions(new Redactor()))
//   logger.info({ user: 'ann@corp.io' }, 'login with key %s', key) // both redacted
//
// Every string in a log object (nested objects and arrays too, up to `maxDepth` levels) and
// every string argument of a log call is replaced by its redacted text. Placeholders are
// numbered per string. Errors become plain objects `{ type, message, stack }` with the
// message and stack redacted. Cycles are cut (`'[Circular]'`).
'use strict'

const DEFAULT_MAX_DEPTH = 16

function check(redactor) {
  if (!redactor || typeof redactor.redact !== 'function') {
    throw new TypeError('a shieldwall Redactor is required')
  }
}

/**
 * A copy of `value` with every string redacted: plain objects, arrays and errors are walked
 * (to `maxDepth` levels; deeper values are replaced by `'[Too deep]'`), other values are
 * returned as they are.
 */
function redactValue(redactor, value, { maxDepth = DEFAULT_MAX_DEPTH } = {}) {
  check(redactor)
  const seen = new WeakSet()
  const walk = (v, depth) => {
    if (typeof v === 'string') return redactor.redact(v).text
    if (v === null || typeof v !== 'object') return v
    if (seen.has(v)) return '[Circular]'
    if (depth >= maxDepth) return '[Too deep]'
    seen.add(v)
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1))
      if (v instanceof Error) {
        const out = { type: v.name, message: walk(v.message, depth + 1), stack: walk(v.stack, depth + 1) }
        for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1)
        return out
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return v
      const out = {}
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1)
      return out
    } finally {
      seen.delete(v)
    }
  }
  return walk(value, 0)
}

/** A serializer (pino `serializers` entry, or any `value => value` hook) that redacts. */
function redactingSerializer(redactor, options) {
  check(redactor)
  return (value) => redactValue(redactor, value, options)
}

/** pino `formatters.log`: redacts the log object (the merged bindings and the object argument). */
function redactingFormatters(redactor, options) {
  check(redactor)
  return { log: (object) => redactValue(redactor, object, options) }
}

/**
 * pino `hooks.logMethod`: redacts the arguments of a log call (the message, its
 * interpolation arguments and the object argument) before pino formats them.
 */
function redactingHooks(redactor, options) {
  check(redactor)
  return {
    logMethod(args, method) {
      return method.apply(this, args.map((a) => redactValue(redactor, a, options)))
    },
  }
}

/** pino options with both hooks: `pino(pinoOptions(redactor))`. */
function pinoOptions(redactor, options) {
  return { formatters: redactingFormatters(redactor, options), hooks: redactingHooks(redactor, options) }
}

module.exports = { redactValue, redactingSerializer, redactingFormatters, redactingHooks, pinoOptions }
