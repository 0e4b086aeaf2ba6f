// Resident memory of an n8n process tree, read from /proc (Linux). The harness starts every n8n
// as the leader of its own process group (processes.ts), and n8n's task runner is its child in
// that group, so the group's summed VmRSS is what the n8n deployment costs in memory.
import fs from 'node:fs';

/** Summed RSS in MB of every process whose process group is `pgid`; 0 when none is left. */
export function groupRssMb(pgid: number): number {
	let kb = 0;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			// /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[2]) !== pgid) continue;
			const rss = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'));
			if (rss) kb += Number(rss[1]);
		} catch {
			// The process ended between the listing and the read.
		}
	}
	return kb / 1024;
}
