import { DEFAULT_MIME_TYPES, mimeTypeAllowed } from '../mail/policy';
import type { AttachmentInfo, NormalizedEmail } from '../mail/types';
import { reportContent } from './content';
import { receivedAtText } from './received-at';
import { DEFAULT_TLP, tlpMarkingId } from './tlp';
import type { AuthorSpec, ExternalReferenceSpec, FileUpload, ReportPlan } from './types';

/**
 * The OpenCTI "Email Intel IMAP" connector's email -> report mapping, as a pure function
 * (README, "OpenCTI" > "Operations"; the connector's
 * external-import/email-intel-imap/src/email_intel_imap/converter.py). Everything the
 * connector hard-codes is a default here, so a workflow that keeps the defaults produces the
 * connector's reports field for field.
 */
export const CONNECTOR_AUTHOR_NAME = 'Email Intel IMAP';
export const CONNECTOR_AUTHOR_DESCRIPTION = 'Email Intel IMAP Connector';
export const CONNECTOR_REPORT_TYPES = ['threat-report'];
/** OpenCTI's ReportAddInput.name constraint: at least 2 characters, not blank. */
export const MIN_NAME_LENGTH = 2;
const NAME_PADDING = '_';

export interface EmailReportOptions {
	/** `clear`, `green`, `amber`, `amber+strict` (default) or `red`. */
	tlp?: string;
	/** Attachment MIME types uploaded as report files (default `application/pdf, text/csv, text/plain`). */
	mimeTypes?: string[];
	authorName?: string;
	authorDescription?: string;
	reportTypes?: string[];
	labels?: string[];
	/** 0-100. Unset: the platform's default for the author. */
	confidence?: number;
	externalReference?: ExternalReferenceSpec;
	noTriggerImport?: boolean;
}

export interface AttachmentBytes {
	info: AttachmentInfo;
	data: Buffer;
}

/**
 * The attachments the connector uploads: parts DECLARED `Content-Disposition: attachment`
 * (imap_tools' `content_disposition == "attachment"`; an inline part, or one that only names
 * itself with `Content-Type: ...; name=`, is not one) whose declared Content-Type is on the
 * list. Only those whose bytes the trigger kept (`binaryProperty`) can be sent.
 */
export function isReportFile(attachment: AttachmentInfo, mimeTypes: string[]): boolean {
	return (
		attachment.disposition === 'attachment' && mimeTypeAllowed(attachment.contentType, mimeTypes)
	);
}

export function selectReportAttachments(
	email: NormalizedEmail,
	mimeTypes: string[] = DEFAULT_MIME_TYPES,
): AttachmentInfo[] {
	return email.attachments.filter(
		(attachment) => attachment.binaryProperty !== undefined && isReportFile(attachment, mimeTypes),
	);
}

/**
 * The connector's name: the subject, or `<no subject> from {address}`. A whitespace-only
 * subject counts as none (OpenCTI rejects a blank name). A name shorter than OpenCTI's
 * minimum of 2 characters is padded with `_` (a one-letter subject `X` becomes `X_`), because
 * the platform would refuse the report otherwise.
 */
export function reportName(email: Pick<NormalizedEmail, 'subject' | 'from'>): string {
	const subject = email.subject ?? '';
	return padReportName(
		subject.trim() === '' ? `<no subject> from ${email.from?.address ?? ''}` : subject,
	);
}

/** Pads a name below OpenCTI's 2-character minimum with `_`, which the platform accepts. */
export function padReportName(name: string): string {
	return name.length >= MIN_NAME_LENGTH ? name : name.padEnd(MIN_NAME_LENGTH, NAME_PADDING);
}

/**
 * The connector's description block, byte for byte: Markdown lines ending in two spaces
 * (hard line breaks), then an empty hard-broken line and the pointer to the content tab.
 * `{date}` is the Date header in the email's own offset (received-at.ts), `{n}` the number of
 * files attached to the report.
 */
export function reportDescription(
	from: string,
	date: string,
	name: string,
	attachmentCount: number,
): string {
	return (
		`**Email Received From**: ${from}  \n` +
		`**Email Received At**: ${date}  \n` +
		`**Email Subject**: ${name}  \n` +
		`**Email Attachment Count**: ${attachmentCount}  \n` +
		'  \n' +
		'Please consult the content section to view the email content.'
	);
}

/** The author Organization: the connector's, unless the user names another one. */
export function reportAuthor(name?: string, description?: string): AuthorSpec {
	const authorName = name?.trim() || CONNECTOR_AUTHOR_NAME;
	const authorDescription =
		description ??
		(authorName === CONNECTOR_AUTHOR_NAME ? CONNECTOR_AUTHOR_DESCRIPTION : undefined);
	return { name: authorName, ...(authorDescription ? { description: authorDescription } : {}) };
}

export function mapEmailToReport(
	email: NormalizedEmail,
	attachments: AttachmentBytes[],
	options: EmailReportOptions = {},
): ReportPlan {
	const marking = tlpMarkingId(options.tlp ?? DEFAULT_TLP);
	const allowed = options.mimeTypes ?? DEFAULT_MIME_TYPES;
	const files: FileUpload[] = attachments
		.filter(({ info }) => isReportFile(info, allowed))
		.map(({ info, data }) => ({
			name: info.filename,
			mimeType: info.contentType,
			data,
			markings: [marking],
		}));
	const name = reportName(email);
	const published = email.date;
	return {
		input: {
			name,
			description: reportDescription(
				email.from?.address ?? '',
				receivedAtText(email),
				name,
				files.length,
			),
			content: reportContent(email),
			published,
			report_types: options.reportTypes?.length ? options.reportTypes : CONNECTOR_REPORT_TYPES,
			objectMarking: [marking],
			...(options.confidence === undefined ? {} : { confidence: options.confidence }),
		},
		author: reportAuthor(options.authorName, options.authorDescription),
		labels: options.labels ?? [],
		...(options.externalReference ? { externalReference: options.externalReference } : {}),
		files,
		noTriggerImport: options.noTriggerImport ?? false,
	};
}
