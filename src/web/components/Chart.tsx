// A uPlot time-series chart that keeps one plot alive and feeds it new data on each refresh, so a
// live dashboard does not rebuild canvases every few seconds.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  fill?: boolean;
}

export function TimeChart(props: {
  title: string;
  times: number[];
  series: ChartSeries[];
  yLabel?: string;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('|');
  const latest = useRef(props);
  latest.current = props;

  // The plot is rebuilt only when the set of series changes; new points go through setData.
  // biome-ignore lint/correctness/useExhaustiveDependencies: shape stands for the series' identity
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const p = latest.current;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: p.height ?? 220,
      series: [
        {},
        ...p.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: s.fill ? `${s.color}22` : undefined,
          // Dots too: a minute with data between empty ones is otherwise invisible.
          points: { show: true, size: 4 },
        })),
      ],
      axes: [{}, { label: p.yLabel, size: 56 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    const chart = new uPlot(opts, [p.times, ...p.series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(300, el.clientWidth), height: opts.height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.times, props.series]);

  const total = props.series.reduce((n, s) => n + s.values.reduce<number>((a, v) => a + (v ?? 0), 0), 0);
  return (
    <figure className="chart card" data-chart={props.title} data-total={total}>
      <figcaption>{props.title}</figcaption>
      <div ref={holder} role="img" aria-label={`${props.title} chart`} />
    </figure>
  );
}
