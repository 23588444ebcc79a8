import { html, type SafeHtml } from "../web/html.ts";

/** One bar: its label, its length (0 … `max` of the chart), the text after it, and its colour. */
export type Bar = { label: string; value: number; text: string; color?: string };

const WIDTH = 720;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 120;
const ROW = 22;
const TOP = 28;

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * A horizontal bar chart as inline SVG (no script, no external asset); every text in it is escaped.
 * `max` is the value of a full-length bar (default: the largest value).
 *
 * @example
 * barChart("Resolve rate by task size", [{ label: "1–5 lines", value: 0.5, text: "50% (2/4)" }], { max: 1 });
 */
export function barChart(title: string, bars: readonly Bar[], options: { max?: number } = {}): SafeHtml {
  const max = options.max ?? Math.max(0, ...bars.map((bar) => bar.value));
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = TOP + bars.length * ROW + 8;
  const rows = bars.map((bar, index) => {
    const y = TOP + index * ROW;
    const length = max > 0 ? Math.max(0, Math.min(1, bar.value / max)) * span : 0;
    return html`<g>
<title>${bar.label}: ${bar.text}</title>
<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${shorten(bar.label, 32)}</text>
<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${length.toFixed(1)}" height="${ROW - 6}" fill="${bar.color ?? "#4c78a8"}"></rect>
<text x="${(LABEL_WIDTH + length + 6).toFixed(1)}" y="${y + 15}">${bar.text}</text>
</g>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="system-ui, sans-serif" font-size="12">
<title>${title}</title>
<text x="0" y="16" font-weight="bold" font-size="14">${title}</text>
<line x1="${LABEL_WIDTH}" y1="${TOP}" x2="${LABEL_WIDTH}" y2="${height - 6}" stroke="#999"></line>
${rows}
</svg>`;
}
