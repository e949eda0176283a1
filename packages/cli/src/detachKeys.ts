import { UsageError } from './errors.ts';

/**
 * The default key sequence that detaches `mission attach`: Ctrl+] then d. Neither tmux (Ctrl+B) nor screen (Ctrl+A)
 * uses Ctrl+], and Claude Code does not either.
 */
export const DEFAULT_DETACH_KEYS = 'ctrl-],d';

/** `--detach-keys` in `mission help attach` and `mission help spawn`. */
export const DETACH_KEYS_HELP = `  --detach-keys KEYS  The keys that detach, leaving the session running: comma-separated, each a character or
                      ctrl-<letter> (as docker attach takes them), e.g. ctrl-p,ctrl-q. Default: MISSION_DETACH_KEYS,
                      else ${DEFAULT_DETACH_KEYS} (Ctrl+] then d). Keys that start the sequence reach the session when
                      the next key does not go on with it.`;

const CONTROL_PUNCTUATION: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/**
 * A detach sequence written as `docker attach --detach-keys` takes it: keys separated by commas, each a single
 * character or `ctrl-<x>` (x a letter or one of @ [ \ ] ^ _), e.g. `ctrl-p,ctrl-q`. Gives the characters to watch for.
 */
export function parseDetachKeys(spec: string): string[] {
  const keys = spec.split(',').map((item) => {
    const key = item.trim().toLowerCase();
    const control = /^ctrl-(.)$/.exec(key)?.[1];
    if (control !== undefined) {
      if (/^[a-z]$/.test(control)) return String.fromCharCode(control.charCodeAt(0) - 96);
      if (control in CONTROL_PUNCTUATION) return String.fromCharCode(CONTROL_PUNCTUATION[control]!);
    } else if ([...item.trim()].length === 1 && item.trim() >= ' ') {
      return item.trim();
    }
    throw new UsageError(
      `--detach-keys: '${item}' is not a key: use a character or ctrl-<letter> (or ctrl-@ [ \\ ] ^ _), comma-separated, e.g. ctrl-p,ctrl-q`,
      'attach',
    );
  });
  return keys;
}

/** `ctrl-],d` as people read it: `Ctrl+] d`. */
export function detachKeysName(spec: string): string {
  return spec
    .split(',')
    .map((item) => item.trim().replace(/^ctrl-(.)$/i, (_, key: string) => `Ctrl+${key.toUpperCase()}`))
    .join(' ');
}

/**
 * Watches keystrokes for the detach sequence: `feed` returns what to forward to the session, and whether the sequence
 * was typed (then nothing after it is forwarded). Keys that begin the sequence are held back; a key that does not go
 * on with it sends them on (as docker attach does). The sequence may be split across chunks.
 */
export class DetachSequence {
  private matched = 0;

  constructor(private readonly keys: string[]) {}

  feed(input: string): { forward: string; detach: boolean } {
    let forward = '';
    for (const key of input) {
      if (key !== this.keys[this.matched] && this.matched > 0) {
        forward += this.keys.slice(0, this.matched).join('');
        this.matched = 0;
      }
      if (key === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) return { forward, detach: true };
      } else {
        forward += key;
      }
    }
    return { forward, detach: false };
  }
}
