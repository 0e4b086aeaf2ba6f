import type { IDataObject } from 'n8n-workflow';

import type { CreatedReport } from '../../../../../lib/opencti';

/** The item a report operation emits: what a later node needs to find or extend the report. */
export function reportOutput(report: CreatedReport): IDataObject {
	return {
		id: report.id,
		standard_id: report.standard_id,
		name: report.name,
		...(report.published ? { published: report.published } : {}),
		files: report.files.map((file) => ({ ...file })),
		uploadMode: report.uploadMode,
	};
}
