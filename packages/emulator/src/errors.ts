/**
 * The emulator's own option error. It deliberately does not import core's error family (the emulator shares
 * only plain constants with core), but it carries the same stable code string, so callers that match
 * `err.code === 'BULKPIPE_INVALID_OPTION'` treat both alike.
 */
export const EMULATOR_INVALID_OPTION = 'BULKPIPE_INVALID_OPTION';

export class EmulatorOptionError extends Error {
  override name = 'EmulatorOptionError';
  readonly code = EMULATOR_INVALID_OPTION;
  /** The name of the option that was invalid, e.g. `settings.rateLimitCalls`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** Coded error for a bad option value; names the option and shows the value it got. */
export function invalidOption(option: string, expected: string, got: unknown): EmulatorOptionError {
  let shown: string;
  try {
    shown = typeof got === 'function' ? '[function]' : JSON.stringify(got) ?? String(got);
  } catch {
    shown = String(got);
  }
  return new EmulatorOptionError(option, `Invalid option ${option}: expected ${expected}, got ${shown}`);
}
