/** Ctrl+B, then `d`: detach (like tmux). Ctrl+B twice sends one Ctrl+B to the session. */
const DETACH_PREFIX = '\x02';
const DETACH_KEY = 'd';
export const DETACH_CHORD_NAME = 'Ctrl+B d';

/**
 * Watches keystrokes for the detach chord: `feed` returns what to forward to the session, and whether
 * the chord was typed (then nothing after it is forwarded). The prefix may end one chunk and the key
 * start the next.
 */
export class DetachChord {
  private prefixPending = false;

  feed(keys: string): { forward: string; detach: boolean } {
    let forward = '';
    for (const key of keys) {
      if (this.prefixPending) {
        this.prefixPending = false;
        if (key === DETACH_KEY) return { forward, detach: true };
        forward += key === DETACH_PREFIX ? DETACH_PREFIX : DETACH_PREFIX + key;
      } else if (key === DETACH_PREFIX) {
        this.prefixPending = true;
      } else {
        forward += key;
      }
    }
    return { forward, detach: false };
  }
}
