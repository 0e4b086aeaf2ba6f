import { SEEDED_MARKINGS, type FakeOpenCtiStore, type StoredReport } from './store';

/**
 * The fake's read-only front page (`GET /`): what arrived, so a newcomer running the demo sees
 * the result of an email → OpenCTI workflow without an OpenCTI platform. Every value comes from
 * email a stranger wrote (subject, file names, body), so every value is HTML-escaped, and the
 * page carries a CSP that forbids scripts: a report's content is shown as text, never rendered.
 */
const TLP_BY_STIX_ID = new Map(
	Object.entries(SEEDED_MARKINGS).map(([definition, stixId]) => [stixId, definition]),
);

/** Text → HTML text or attribute value (all five characters that matter in either). */
export function escapeHtml(value: unknown): string {
	return String(value ?? '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

function marking(stixId: string): string {
	const definition = TLP_BY_STIX_ID.get(stixId);
	const css = definition ? definition.slice(4).toLowerCase().replace('+', '-') : 'other';
	return `<span class="tlp tlp-${css}">${escapeHtml(definition ?? stixId)}</span>`;
}

function kib(bytes: number): string {
	return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function reportSection(report: StoredReport): string {
	const files = report.files.length
		? `<table><thead><tr><th>File</th><th>Type</th><th>Size</th><th>SHA-256</th><th>Markings</th></tr></thead><tbody>${report.files
				.map(
					(file) =>
						`<tr><td class="name">${escapeHtml(file.name)}</td><td>${escapeHtml(file.mimeType)}</td><td>${kib(file.size)}</td><td class="hash">${escapeHtml(file.sha256)}</td><td>${file.markings.map(marking).join(' ')}</td></tr>`,
				)
				.join('')}</tbody></table>`
		: '<p class="none">no files</p>';
	const references = report.externalReferences
		.map((ref) => escapeHtml([ref.source_name, ref.external_id, ref.url].filter(Boolean).join(' ')))
		.join('<br>');
	return `<section class="report">
<h2>${escapeHtml(report.name)}</h2>
<p class="meta">published ${escapeHtml(report.published)} · ${escapeHtml(report.report_types.join(', '))} · ${report.objectMarking.map(marking).join(' ')}${report.upserts > 1 ? ` · sent ${report.upserts} times (one report: OpenCTI upserts on name + published)` : ''}</p>
${references ? `<p class="refs">${references}</p>` : ''}
${report.description ? `<pre class="description">${escapeHtml(report.description)}</pre>` : ''}
${files}
${report.content ? `<details><summary>content (HTML source, not rendered)</summary><pre>${escapeHtml(report.content)}</pre></details>` : ''}
</section>`;
}

export function renderReportsPage(store: FakeOpenCtiStore, version: string): string {
	const reports = [...store.reports.values()].reverse();
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>OpenCTI stand-in: ${reports.length} report(s)</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
header{padding:14px 24px;background:#1e293b;border-bottom:1px solid #334155}
header h1{font-size:18px;margin:0}header p{margin:4px 0 0;color:#94a3b8}
main{padding:16px 24px;max-width:1100px}
.report{background:#1e293b;border:1px solid #334155;border-radius:8px;padding:12px 16px;margin:0 0 14px}
.report h2{font-size:16px;margin:0 0 4px}.meta,.refs{color:#94a3b8;margin:0 0 6px}
pre{white-space:pre-wrap;word-break:break-word;background:#0f172a;padding:8px;border-radius:6px;margin:6px 0}
table{border-collapse:collapse;width:100%;margin-top:6px}th,td{text-align:left;padding:4px 8px;border-top:1px solid #334155}
th{color:#94a3b8;font-weight:600}.hash{font-family:monospace;font-size:11px;color:#94a3b8}
.tlp{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;background:#000}
.tlp-clear{color:#fff}.tlp-green{color:#33ff00}.tlp-amber,.tlp-amber-strict{color:#ffc000}.tlp-red{color:#ff2b2b}
.none{color:#64748b}
</style></head>
<body><header><h1>OpenCTI stand-in — reports received</h1>
<p>${reports.length} report(s) · answers as OpenCTI ${escapeHtml(version)} · read-only, refreshes every 5 s · GraphQL endpoint at /graphql</p></header>
<main>${reports.length ? reports.map(reportSection).join('\n') : '<p class="none">No report yet. Run an example workflow that ends in the OpenCTI node (e.g. “IMAP → OpenCTI”).</p>'}</main>
</body></html>`;
}
