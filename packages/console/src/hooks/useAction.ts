import { useState } from 'preact/hooks';
import { ApiError, asApiError } from '../api/client.ts';

export interface Action<A extends unknown[]> {
  run(...args: A): Promise<void>;
  /** True while it runs: buttons are disabled so one click is one request. */
  busy: boolean;
  /** Why the last run failed, until the next run. */
  error: ApiError | undefined;
}

/** Something a button does (sign in, start a session, approve …), with its busy state and its error. */
export function useAction<A extends unknown[]>(act: (...args: A) => Promise<void>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      await act(...args);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}
