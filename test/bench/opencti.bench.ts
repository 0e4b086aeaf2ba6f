/**
 * HTTP requests per report (counted by the fake OpenCTI) after warm-up, on 6.9.7+ where files
 * travel inside reportAdd, and on 6.5 (importPush per file) as the baseline measured in the
 * same run. Goal: p6_requests_per_report <= 1 (the version, author and markings never cost a
 * request per report once the client is warm).
 */
import { mapEmailToReport, OpenCtiClient, selectReportAttachments } from '../../lib/opencti';
import { start } from '../fakes/opencti';
import { EMAILS, normalizedFixture } from '../fixtures/opencti/emails';

const ROUNDS = 20;

async function measure(version: string) {
	const fake = await start({ version });
	try {
		const plans = await Promise.all(
			EMAILS.map(async (spec) => {
				const { email, binaries } = await normalizedFixture({ ...spec });
				const chosen = selectReportAttachments(email);
				return mapEmailToReport(
					email,
					chosen.map((info) => ({ info, data: binaries[info.binaryProperty!].data })),
				);
			}),
		);
		const client = new OpenCtiClient({
			url: fake.url,
			token: fake.token,
			allowUnencryptedHttp: true, // the fake listens on plain HTTP
		});
		await client.createReport(plans.find((plan) => plan.files.length > 0)!); // warm-up: version + author
		fake.resetCounters();
		const started = process.hrtime.bigint();
		let reports = 0;
		for (let round = 0; round < ROUNDS; round++) {
			for (const plan of plans) {
				// A new name per round, so every report is a create, not an upsert hit.
				await client.createReport({
					...plan,
					input: { ...plan.input, name: `${plan.input.name} #${round}` },
				});
				reports++;
			}
		}
		const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
		const invalid = fake.invalidRequests().length;
		if (invalid) throw new Error(`${invalid} requests failed schema validation`);
		const files = plans.reduce((sum, plan) => sum + plan.files.length, 0) * ROUNDS;
		return { requests: fake.requests.length, reports, files, ms_per_report: elapsedMs / reports };
	} finally {
		await fake.stop();
	}
}

void (async () => {
	const modern = await measure('6.9.7');
	const legacy = await measure('6.5.10');
	const round2 = (value: number) => Math.round(value * 100) / 100;
	const figures = {
		p6_requests_per_report: round2(modern.requests / modern.reports),
		p6_5_requests_per_report: round2(legacy.requests / legacy.reports),
		reports: modern.reports,
		files_per_report: round2(modern.files / modern.reports),
		p6_ms_per_report: round2(modern.ms_per_report),
		p6_5_ms_per_report: round2(legacy.ms_per_report),
	};
	console.error(
		`OpenCTI 6.9.7: ${modern.requests} requests for ${modern.reports} reports (${modern.files} files); ` +
			`6.5.10: ${legacy.requests} requests for the same reports (importPush per file)`,
	);
	console.log(JSON.stringify(figures));
})().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
