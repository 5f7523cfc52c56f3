/**
 * Time as the delivery parts see it: the current time and one-shot timers. The engine uses the
 * system clock; tests of the scheduler and the pump pass a fake one they advance by hand.
 */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}
