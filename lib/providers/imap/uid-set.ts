/** Compact UID set for a command line: `1:5,7,9:12`. */
export function uidSet(uids: number[]): string {
	const sorted = [...uids].sort((a, b) => a - b);
	const parts: string[] = [];
	for (let i = 0; i < sorted.length; i++) {
		const start = sorted[i];
		while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
		parts.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
	}
	return parts.join(',');
}
