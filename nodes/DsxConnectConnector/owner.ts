import { ownerKey } from '../../lib/state/registry';

interface OwnerContext {
	getWorkflow(): { id?: string };
	getNode(): { id?: string; name: string };
	getMode(): string;
}

/**
 * This node of this workflow in process memory. The test webhook (manual mode) is another owner,
 * and so another connector uuid at dsx-connect: testing never re-points the active connector.
 */
export function ownerOf(context: OwnerContext): string {
	const node = context.getNode();
	return ownerKey(context.getWorkflow().id, node.id ?? node.name, context.getMode() === 'manual');
}
