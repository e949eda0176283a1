import { useEffect, useRef } from 'preact/hooks';

/** Slack under which a scroll box counts as scrolled to its end. */
const NEAR_END_PX = 40;

/**
 * Keeps a scroll box at its end as content is added (like a terminal), unless the reader scrolled up.
 * Attach `ref` and `onScroll` to the box; `size` changes when content is added.
 */
export function useStickToBottom(size: number) {
  const ref = useRef<HTMLElement>(null);
  const atEnd = useRef(true);
  useEffect(() => {
    if (ref.current && atEnd.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [size]);
  const onScroll = () => {
    const box = ref.current;
    if (box) atEnd.current = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_END_PX;
  };
  return { ref, onScroll };
}
