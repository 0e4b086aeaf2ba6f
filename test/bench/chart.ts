/**
 * A horizontal bar chart as a standalone SVG, for the README's performance section: the
 * benchmark that measured the figures draws it, so the picture is never edited by hand.
 * No charting dependency: a handful of bars is a few rectangles and labels.
 */
export interface Bar {
	label: string;
	value: number;
	/** shown after the value, e.g. "= 1.0 × bound" */
	note?: string;
	/** highlighted (our node) or muted (what it is compared with) */
	ours?: boolean;
}

export interface BarChart {
	title: string;
	/** the unit printed after each value, e.g. "messages/s" */
	unit: string;
	bars: Bar[];
	/** a line under the chart: how and on what it was measured */
	caption: string;
}

const WIDTH = 800;
const LABEL_WIDTH = 250;
const BAR_HEIGHT = 28;
const GAP = 14;
const TOP = 52;

/** Text goes into the SVG escaped: labels and captions may carry commit subjects or names. */
function escapeXml(text: string): string {
	return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function barChartSvg(chart: BarChart): string {
	const max = Math.max(...chart.bars.map((bar) => bar.value), 1);
	const span = WIDTH - LABEL_WIDTH - 290;
	const height = TOP + chart.bars.length * (BAR_HEIGHT + GAP) + 40;
	const rows = chart.bars.map((bar, i) => {
		const y = TOP + i * (BAR_HEIGHT + GAP);
		const width = Math.max(2, Math.round((bar.value / max) * span));
		const value = `${Math.round(bar.value).toLocaleString('en')} ${chart.unit}${bar.note ? ` ${bar.note}` : ''}`;
		return [
			`<text x="${LABEL_WIDTH - 10}" y="${y + 19}" text-anchor="end" class="label">${escapeXml(bar.label)}</text>`,
			`<rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" rx="3" class="${bar.ours ? 'ours' : 'other'}"/>`,
			`<text x="${LABEL_WIDTH + width + 8}" y="${y + 19}" class="value">${escapeXml(value)}</text>`,
		].join('\n  ');
	});
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
		'  <style>',
		'    text { font: 14px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #24292f; }',
		'    .title { font-size: 17px; font-weight: 600; }',
		'    .caption { font-size: 12px; fill: #57606a; }',
		'    .ours { fill: #ff6d5a; } .other { fill: #8c959f; }',
		'    @media (prefers-color-scheme: dark) { text { fill: #e6edf3; } .caption { fill: #8d96a0; } }',
		'  </style>',
		`  <text x="16" y="30" class="title">${escapeXml(chart.title)}</text>`,
		`  ${rows.join('\n  ')}`,
		`  <text x="16" y="${height - 14}" class="caption">${escapeXml(chart.caption)}</text>`,
		'</svg>',
		'',
	].join('\n');
}
