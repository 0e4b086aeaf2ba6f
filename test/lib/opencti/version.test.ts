import { supportsFilesInAdd } from '../../../lib/opencti';

describe('which platforms take files inside reportAdd (6.9.7+)', () => {
	test.each([
		['6.5.10', false],
		['6.9.6', false],
		['6.9.7', true],
		['6.9.17', true],
		['6.10.0', true],
		['7.260817.0', true],
		['5.12.3', false],
	])('%s -> %s', (version, expected) => {
		expect(supportsFilesInAdd(version)).toBe(expected);
	});
});
