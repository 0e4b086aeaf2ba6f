import { DataDeduplicationService } from 'n8n-core';
import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ICheckProcessedContextData,
	IDataDeduplicator,
} from 'n8n-workflow';

/**
 * n8n's deduplication service (what `this.helpers.checkProcessedAndRecord` calls) over an
 * in-memory store, in place of n8n's database-backed one: the node under test goes through
 * n8n-core's real helper and service. The service is process-wide and can be set up once.
 */
class MemoryDeduplicator implements IDataDeduplicator {
	readonly entries = new Map<string, Set<string>>();

	private scopeOf(scope: DeduplicationScope, context: ICheckProcessedContextData): Set<string> {
		const key = `${context.workflow.id}/${scope === 'node' ? (context.node?.id ?? '') : ''}`;
		let set = this.entries.get(key);
		if (!set) this.entries.set(key, (set = new Set()));
		return set;
	}

	async checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
	) {
		const set = this.scopeOf(scope, context);
		const result = {
			new: [] as DeduplicationItemTypes[],
			processed: [] as DeduplicationItemTypes[],
		};
		for (const item of items) {
			if (set.has(String(item))) result.processed.push(item);
			else {
				set.add(String(item));
				result.new.push(item);
			}
		}
		return result;
	}

	async removeProcessed(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
	) {
		const set = this.scopeOf(scope, context);
		for (const item of items) set.delete(String(item));
	}

	async clearAllProcessedItems(scope: DeduplicationScope, context: ICheckProcessedContextData) {
		this.scopeOf(scope, context).clear();
	}

	async getProcessedDataCount(scope: DeduplicationScope, context: ICheckProcessedContextData) {
		return this.scopeOf(scope, context).size;
	}
}

let deduplicator: MemoryDeduplicator | undefined;

/** Sets up n8n's deduplication service once per process; returns its store. */
export async function memoryDeduplication(): Promise<MemoryDeduplicator> {
	if (!deduplicator) {
		deduplicator = new MemoryDeduplicator();
		await DataDeduplicationService.init(deduplicator);
	}
	return deduplicator;
}
