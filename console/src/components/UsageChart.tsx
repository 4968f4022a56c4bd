// A stacked bar chart of requests per hour or UTC day, successes below and failures on top, drawn
// as SVG at the width it is given (no library). Every bucket can be pointed at or reached with the
// keyboard (one tab stop, arrow keys between bars) and then shows its figures in a tooltip; the
// same figures are in a table under the chart.
import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Granularity, UsagePoint } from '../types';
import { axisLabels, bucketName, countTicks, describeSeries, failureRate, formatCount, formatLatency, localSpanOfDay, reasonsOf, reasonsText } from '../usage';

const HEIGHT = 220;
const MARGIN = { top: 10, right: 6, bottom: 38 };
/** Room each label under the bars needs, in pixels. */
const LABEL_ROOM = 64;

/** The chart's width follows its container, so text is drawn at its real size at 375 px as at 1440 px. */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) return;
    setWidth(Math.floor(node.clientWidth) || fallback);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width) || fallback);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [fallback]);
  return { ref, width };
}

/** A bucket's figures in one sentence: the accessible name of its bar. */
function pointSentence(point: UsagePoint, granularity: Granularity): string {
  const reasons = reasonsText(point);
  return (
    `${bucketName(point.start, granularity)}${granularity === 'day' ? ' (UTC day)' : ''}: ${formatCount(point.requests)} requests, ` +
    `${formatCount(point.successes)} successes, ${formatCount(point.failures)} failures${reasons ? ` (${reasons})` : ''}`
  );
}

export function UsageChart({ series, granularity, title }: { series: UsagePoint[]; granularity: Granularity; title: string }) {
  const { ref, width } = useWidth(600);
  const [active, setActive] = useState<number | null>(null);
  const [focusIndex, setFocusIndex] = useState(series.length - 1);
  const bars = useRef<Array<SVGRectElement | null>>([]);
  const focused = useRef(false);
  const hintId = useId();

  // A new series (the other granularity, a refresh) starts again at its latest bucket.
  useEffect(() => {
    setFocusIndex(series.length - 1);
    setActive((current) => (current !== null && current < series.length ? current : null));
  }, [series]);

  const max = Math.max(0, ...series.map((point) => point.requests));
  const ticks = countTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const left = Math.max(28, formatCount(top).length * 7.5 + 12);
  const plotWidth = Math.max(10, width - left - MARGIN.right);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const band = plotWidth / Math.max(1, series.length);
  const barWidth = band >= 4 ? band * 0.72 : Math.max(1, band - 0.5);
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const labels = axisLabels(
    series.map((point) => point.start),
    granularity,
    Math.floor(plotWidth / LABEL_ROOM),
  );
  const summary = describeSeries(series, granularity);

  const move = (event: KeyboardEvent<SVGRectElement>, index: number) => {
    const last = series.length - 1;
    const target =
      event.key === 'ArrowLeft' ? index - 1
      : event.key === 'ArrowRight' ? index + 1
      : event.key === 'Home' ? 0
      : event.key === 'End' ? last
      : event.key === 'PageUp' ? index - 6
      : event.key === 'PageDown' ? index + 6
      : null;
    // Escape hides the tooltip first (WCAG 1.4.13); a second Escape reaches the dialog around the chart.
    if (event.key === 'Escape') {
      if (active !== null) {
        event.stopPropagation();
        setActive(null);
      }
      return;
    }
    if (target === null) return;
    event.preventDefault();
    const next = Math.min(last, Math.max(0, target));
    setFocusIndex(next);
    setActive(next);
    bars.current[next]?.focus();
  };

  const shown = active === null ? undefined : series[active];
  const tooltip = active === null ? undefined : tooltipPlace(left + (active + 0.5) * band, band, width);

  return (
    <div className="chart" ref={ref}>
      <p className="visually-hidden" id={hintId}>
        The arrow keys move from one {granularity === 'hour' ? 'hour' : 'day'} to the next; the table under the chart has the same figures.
      </p>
      <svg
        width={width}
        height={HEIGHT}
        viewBox={`0 0 ${width} ${HEIGHT}`}
        role="group"
        aria-label={`${title}. ${summary}`}
        aria-describedby={hintId}
        onMouseLeave={() => {
          if (!focused.current) setActive(null);
        }}
      >
        {ticks.map((tick) => (
          <g key={tick} className="chart-grid">
            <line x1={left} x2={left + plotWidth} y1={y(tick)} y2={y(tick)} />
            <text x={left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {labels.map((label) => {
          const x = left + (label.index + 0.5) * band;
          // The labels at either end stay inside the chart.
          const half = (Math.max(label.text.length, label.date?.length ?? 0) * 6.6) / 2;
          const anchor = x + half > width ? 'end' : x - half < 0 ? 'start' : 'middle';
          return (
            <text key={label.index} className="chart-axis-label" x={x} y={HEIGHT - MARGIN.bottom + 16} textAnchor={anchor}>
              {label.text}
              {label.date && (
                <tspan x={x} dy="1.15em" className="chart-axis-date">
                  {label.date}
                </tspan>
              )}
            </text>
          );
        })}
        {shown && <rect className="chart-highlight" x={left + (active as number) * band} y={MARGIN.top} width={band} height={plotHeight} />}
        {series.map((point, index) => {
          const x = left + index * band + (band - barWidth) / 2;
          return (
            <g key={point.start}>
              {point.successes > 0 && <rect className="bar-success" x={x} width={barWidth} y={y(point.successes)} height={y(0) - y(point.successes)} />}
              {point.failures > 0 && <rect className="bar-failure" x={x} width={barWidth} y={y(point.requests)} height={y(point.successes) - y(point.requests)} />}
            </g>
          );
        })}
        <line className="chart-baseline" x1={left} x2={left + plotWidth} y1={y(0)} y2={y(0)} />
        {series.map((point, index) => (
          <rect
            key={point.start}
            ref={(node) => {
              bars.current[index] = node;
            }}
            className="chart-hit"
            x={left + index * band}
            y={MARGIN.top}
            width={band}
            height={plotHeight}
            role="img"
            aria-label={pointSentence(point, granularity)}
            tabIndex={index === focusIndex ? 0 : -1}
            onMouseEnter={() => setActive(index)}
            onFocus={() => {
              focused.current = true;
              setFocusIndex(index);
              setActive(index);
            }}
            onBlur={() => {
              focused.current = false;
              setActive(null);
            }}
            onKeyDown={(event) => move(event, index)}
          />
        ))}
      </svg>
      {shown && tooltip && (
        <div className="chart-tooltip" aria-hidden="true" style={tooltip}>
          <Tooltip point={shown} granularity={granularity} />
        </div>
      )}
    </div>
  );
}

const TOOLTIP_WIDTH = 230;

/** Beside the bar, right or left, where there is room; else under the chart, so no bar is hidden. */
function tooltipPlace(x: number, band: number, width: number) {
  const tooltipWidth = Math.min(TOOLTIP_WIDTH, width);
  const gap = band / 2 + 8;
  if (x + gap + tooltipWidth <= width) return { left: x + gap, top: 0, width: tooltipWidth };
  if (x - gap - tooltipWidth >= 0) return { left: x - gap - tooltipWidth, top: 0, width: tooltipWidth };
  return { left: Math.max(0, Math.min(width - tooltipWidth, x - tooltipWidth / 2)), top: HEIGHT + 4, width: tooltipWidth };
}

function Tooltip({ point, granularity }: { point: UsagePoint; granularity: Granularity }) {
  const span = granularity === 'day' ? localSpanOfDay(point.start) : null;
  return (
    <>
      <p className="chart-tooltip-title">
        {bucketName(point.start, granularity)}
        {granularity === 'day' && ' (UTC day)'}
      </p>
      {span && <p className="chart-tooltip-note">{span} your time</p>}
      <dl>
        <dt>Requests</dt>
        <dd>{formatCount(point.requests)}</dd>
        <dt>
          <span className="swatch swatch-success" /> Successes
        </dt>
        <dd>{formatCount(point.successes)}</dd>
        <dt>
          <span className="swatch swatch-failure" /> Failures
        </dt>
        <dd>
          {formatCount(point.failures)}
          {point.requests > 0 && ` (${failureRate(point)})`}
        </dd>
        {reasonsOf(point).map(({ reason, count }) => (
          <div key={reason} className="chart-tooltip-reason">
            <dt>
              <code>{reason}</code>
            </dt>
            <dd>{formatCount(count)}</dd>
          </div>
        ))}
        {point.requests > 0 && (
          <>
            <dt>Latency p50</dt>
            <dd>{formatLatency(point.latency_ms.p50)}</dd>
            <dt>Latency p95</dt>
            <dd>{formatLatency(point.latency_ms.p95)}</dd>
          </>
        )}
      </dl>
    </>
  );
}

/** The chart's figures as a table, newest first, behind a disclosure under the chart. */
export function UsageTable({ series, granularity }: { series: UsagePoint[]; granularity: Granularity }) {
  const rows = [...series].reverse();
  return (
    <details className="usage-table">
      <summary>Show the figures as a table</summary>
      <div className="table-scroll">
        <table className="data-table compact numeric">
          <caption className="visually-hidden">Requests per {granularity === 'hour' ? 'hour' : 'UTC day'}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">{granularity === 'hour' ? 'Hour' : 'Day (UTC)'}</th>
              <th scope="col">Requests</th>
              <th scope="col">Successes</th>
              <th scope="col">Failures</th>
              <th scope="col">Failure rate</th>
              <th scope="col">Failure reasons</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((point) => (
              <tr key={point.start} className={point.requests === 0 ? 'quiet' : undefined}>
                <th scope="row" title={granularity === 'day' ? (localSpanOfDay(point.start) ?? undefined) : undefined}>
                  <time dateTime={point.start}>{bucketName(point.start, granularity)}</time>
                </th>
                <td>{formatCount(point.requests)}</td>
                <td>{formatCount(point.successes)}</td>
                <td>{formatCount(point.failures)}</td>
                <td>{failureRate(point)}</td>
                <td>{reasonsText(point) || '—'}</td>
                <td>{formatLatency(point.latency_ms.p50)}</td>
                <td>{formatLatency(point.latency_ms.p95)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
