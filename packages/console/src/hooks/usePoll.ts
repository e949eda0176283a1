import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ApiError, asApiError } from '../api/client.ts';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Load again now (after an action changed what is shown). */
  refresh(): void;
}

/** Loads `load()` now and every `intervalMs` while the view is shown; the last error is kept until a load succeeds. */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const next = await load();
        if (stopped) return;
        setData(next);
        setError(undefined);
      } catch (caught) {
        if (stopped) return;
        setError(asApiError(caught));
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, generation]);

  const refresh = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, refresh };
}
