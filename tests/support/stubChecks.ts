import { afterEach } from 'vitest';
import { openStubs } from './stubAnthropic.ts';

/**
 * Set up in every test file (vitest `setupFiles`): after each test, the replies it queued on a stub Messages
 * API with `enqueue` must all have been asked for. One left over would answer the next test's request, so the
 * test that left it fails here, and the reply is dropped.
 */
afterEach(() => {
  const left = [...openStubs].flatMap((stub) => stub.endTest());
  if (left.length > 0) {
    throw new Error(
      `this test queued ${left.length} stub ${left.length === 1 ? 'reply' : 'replies'} no request asked for (${left.map((reply) => JSON.stringify(reply).slice(0, 80)).join('; ')}): ` +
        'wait for the request that takes it, or key it to its prompt with stub.enqueueFor',
    );
  }
});
