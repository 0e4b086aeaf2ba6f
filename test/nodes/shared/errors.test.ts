import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import { MailIntelError } from '../../../lib/errors';
import { authError, networkError, statusError } from '../../../lib/opencti/errors';
import { toNodeError } from '../../../nodes/shared/errors';

/**
 * What the user reads in n8n, through n8n-workflow's real NodeApiError / NodeOperationError
 * (2.8): our words survive n8n's message heuristics, and the description names the field.
 */
const node: INode = {
	id: '1',
	name: 'OpenCTI',
	type: 'n8n-nodes-email-intel.openCti',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const refused = new MailIntelError(
	'connection to the IMAP server at imap.example.org:993 was refused (ECONNREFUSED)',
	{
		source: 'imap',
		code: 'REFUSED',
		field: 'port',
		retryable: true,
		hint: 'Check Host and Port (993 for TLS, 143 for STARTTLS/none) and that the server is running.',
	},
);

test("n8n's own classes would replace the host:port message with a generic sentence", () => {
	// The behaviour toNodeError guards against: if n8n stops doing this, this test says so.
	expect(new NodeOperationError(node, refused.message).message).toBe(
		'The service refused the connection - perhaps it is offline',
	);
	expect(
		new NodeApiError(node, { message: refused.message }, { message: refused.message }).message,
	).toBe('The service refused the connection - perhaps it is offline');
});

test('an IMAP refusal keeps host:port and names the Port field', () => {
	const error = toNodeError(node, refused, 3);
	expect(error).toBeInstanceOf(NodeOperationError);
	expect(error.message).toBe(
		'connection to the IMAP server at imap.example.org:993 was refused (ECONNREFUSED)',
	);
	expect(error.description).toBe(
		'Check Host and Port (993 for TLS, 143 for STARTTLS/none) and that the server is running. — Field to check: port',
	);
	expect(error.context.itemIndex).toBe(3);
});

test('an unreachable OpenCTI keeps its URL through NodeApiError', () => {
	const cause = Object.assign(new TypeError('fetch failed'), {
		cause: { code: 'ECONNREFUSED' },
	});
	const error = toNodeError(node, networkError(cause, 'http://opencti:8080/graphql'));
	expect(error).toBeInstanceOf(NodeApiError);
	expect(error.message).toBe('Cannot reach OpenCTI at http://opencti:8080/graphql: ECONNREFUSED');
	expect(error.description).toContain('Field to check: url');
});

test.each([
	[401, 'OpenCTI rejected the API token (HTTP 401: {"errors":[{"message":"expired"}]})'],
	[
		403,
		'OpenCTI refused the operation: the token\'s user lacks a capability (HTTP 403: {"errors":[{"message":"no"}]})',
	],
])('an OpenCTI %i keeps its words and names the credential field', (status, message) => {
	const body =
		status === 401 ? '{"errors":[{"message":"expired"}]}' : '{"errors":[{"message":"no"}]}';
	const error = toNodeError(node, statusError(status, body)) as NodeApiError;
	expect(error).toBeInstanceOf(NodeApiError);
	// Not n8n's "Authorization failed - please check your credentials" nor "Forbidden - ...".
	expect(error.message).toBe(message);
	expect(error.httpCode).toBe(String(status));
	expect(error.description).toMatch(/Credential field to check: token$/);
	expect(authError(401, 'x').field).toBe('token');
});

test('a 401 that no field was blamed for still points at the credential', () => {
	const error = toNodeError(
		node,
		new MailIntelError('Graph answered 401', { source: 'graph', status: 401 }),
	);
	expect(error.message).toBe('Graph answered 401');
	expect(error.description).toBe(
		"The service refused the node's credential (HTTP 401): check the credential's token or secret and its permissions",
	);
});

test('a plain Error keeps its words too (e.g. a socket error that escaped the core)', () => {
	const error = toNodeError(node, new Error('connect ETIMEDOUT 10.0.0.5:993'));
	expect(error.message).toBe('connect ETIMEDOUT 10.0.0.5:993');
});
