import * as fs from 'node:fs';
import * as path from 'node:path';

import type {
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IVersionedNodeType,
} from 'n8n-workflow';

import * as entry from '../index';
import pkg from '../package.json';

/**
 * The example workflows `npm run dev` imports must open in n8n without "unknown parameter"
 * surprises: every pack node exists, every parameter and option it sets is one the node
 * declares, its credentials are the node's own, and connections name real nodes.
 */
const examplesDir = path.resolve(__dirname, '../examples');
const examples = fs.readdirSync(examplesDir).filter((file) => file.endsWith('.json'));

const nodeClasses = Object.values(entry as Record<string, unknown>)
	.filter((value): value is new () => INodeType | IVersionedNodeType => typeof value === 'function')
	.map((Class) => new Class())
	.filter((instance) => 'description' in instance);

function descriptionFor(type: string, version: number): INodeTypeDescription | undefined {
	const name = type.replace(`${pkg.name}.`, '');
	for (const node of nodeClasses) {
		if (node.description.name !== name) continue;
		return 'nodeVersions' in node ? node.getNodeType(version).description : node.description;
	}
	return undefined;
}

function unknownKeys(
	values: Record<string, unknown>,
	properties: INodeProperties[],
	where: string,
): string[] {
	const problems: string[] = [];
	for (const [key, value] of Object.entries(values)) {
		const matches = properties.filter((property) => property.name === key);
		if (matches.length === 0) {
			problems.push(`${where}: unknown parameter "${key}"`);
			continue;
		}
		const collection = matches.find((property) => property.type === 'collection');
		if (collection && value && typeof value === 'object') {
			const options = (collection.options ?? []) as INodeProperties[];
			problems.push(...unknownKeys(value as Record<string, unknown>, options, `${where}.${key}`));
		}
	}
	return problems;
}

describe.each(examples)('examples/%s', (file) => {
	const workflow = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));

	it('uses only declared nodes, parameters, options and credentials', () => {
		const problems: string[] = [];
		for (const node of workflow.nodes) {
			if (!node.type.startsWith(`${pkg.name}.`)) continue;
			const description = descriptionFor(node.type, node.typeVersion);
			if (!description) {
				problems.push(`${node.name}: ${node.type} is not a node of this pack`);
				continue;
			}
			// n8n adds the schedule parameter to every polling node itself.
			const { pollTimes: _schedule, ...withoutSchedule } = node.parameters;
			const parameters = description.polling ? withoutSchedule : node.parameters;
			problems.push(...unknownKeys(parameters, description.properties, node.name));
			const declared = (description.credentials ?? []).map((credential) => credential.name);
			for (const credential of Object.keys(node.credentials ?? {})) {
				if (!declared.includes(credential))
					problems.push(`${node.name}: credential ${credential} is not the node's`);
			}
		}
		expect(problems).toEqual([]);
	});

	it('connects only nodes it has', () => {
		const names = new Set(workflow.nodes.map((node: { name: string }) => node.name));
		for (const [from, outputs] of Object.entries(
			workflow.connections as Record<string, { main: Array<Array<{ node: string }>> }>,
		)) {
			expect(names.has(from)).toBe(true);
			for (const target of outputs.main.flat()) expect(names.has(target.node)).toBe(true);
		}
	});
});
