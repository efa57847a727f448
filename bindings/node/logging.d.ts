// Types for `shieldwall/logging` (hand-written; the module is plain JavaScript).
import type { Redactor } from './index'

export interface RedactValueOptions {
  /** Levels of nested objects and arrays walked (default 16); deeper values become `'[Too deep]'`. */
  maxDepth?: number
}

/** A copy of `value` with every string redacted (plain objects, arrays and errors are walked). */
export declare function redactValue<T>(redactor: Redactor, value: T, options?: RedactValueOptions): unknown
/** A `value => value` serializer (pino `serializers` entry) that redacts every string. */
export declare function redactingSerializer(redactor: Redactor, options?: RedactValueOptions): (value: unknown) => unknown
/** pino `formatters` with a `log` hook that redacts the log object. */
export declare function redactingFormatters(
  redactor: Redactor,
  options?: RedactValueOptions,
): { log: (object: Record<string, unknown>) => Record<string, unknown> }
/** pino `hooks` with a `logMethod` that redacts the arguments of each log call. */
export declare function redactingHooks(
  redactor: Redactor,
  options?: RedactValueOptions,
): { logMethod: (this: unknown, args: unknown[], method: (...args: unknown[]) => void) => void }
/** pino options with both hooks: `pino(pinoOptions(redactor))`. */
export declare function pinoOptions(
  redactor: Redactor,
  options?: RedactValueOptions,
): {
  formatters: ReturnType<typeof redactingFormatters>
  hooks: ReturnType<typeof redactingHooks>
}
