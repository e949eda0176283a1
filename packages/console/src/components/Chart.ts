import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: number[];
  color: string;
  /** Bars (one per x) instead of a line. */
  bars?: boolean;
}

/** The width when the card's cannot be measured. */
const WIDTH = 520;
const HEIGHT = 180;

/**
 * A small time chart drawn by uPlot (a ~50 kB canvas library: the console's charts are a few hundred
 * points, and it needs no framework of its own). `x` are Unix seconds. The chart is made once and given
 * new data as the poll brings it.
 */
export function Chart({
  title,
  x,
  series,
  testId,
  format,
}: {
  title: string;
  x: number[];
  series: ChartSeries[];
  testId: string;
  format?: (value: number) => string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.bars ? 'bars' : 'line'}`).join(',');

  useEffect(() => {
    const options: uPlot.Options = {
      // As wide as its card (charts sit side by side in a grid); never wider, or the next card covers it.
      width: container.current!.clientWidth || WIDTH,
      height: HEIGHT,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? s.color : undefined,
          width: s.bars ? 0 : 2,
          ...(s.bars ? { paths: uPlot.paths.bars!({ size: [0.6, 40] }) } : {}),
          ...(format ? { value: (_: uPlot, value: number | null) => (value === null ? '—' : format(value)) } : {}),
        })),
      ],
      axes: [{}, { ...(format ? { values: (_: uPlot, ticks: number[]) => ticks.map(format) } : {}), size: 70 }],
      scales: { y: { range: (_: uPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
    };
    const made = new uPlot(options, [x, ...series.map((s) => s.values)], container.current!);
    chart.current = made;
    // uPlot keeps where the plot is on the page; content loading above it moves it, so look again on entry.
    const measure = () => made.syncRect();
    container.current!.addEventListener('mouseenter', measure);
    // The card's width changes with the window and with the cards beside it: the chart follows it.
    const resized = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (width > 0 && width !== made.width) made.setSize({ width, height: HEIGHT });
    });
    resized.observe(container.current!);
    return () => {
      resized.disconnect();
      container.current?.removeEventListener('mouseenter', measure);
      chart.current?.destroy();
      chart.current = null;
    };
  }, [shape]);

  useEffect(() => {
    chart.current?.setData([x, ...series.map((s) => s.values)]);
  }, [x, series]);

  return html`<section class="card chart" data-testid=${testId}>
    <h2>${title}</h2>
    <div ref=${container}></div>
  </section>`;
}
