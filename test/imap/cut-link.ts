import net from 'node:net';

/**
 * A TCP relay in front of Dovecot that cuts the connection (both sides, as a dropped link
 * does) once the server has sent `cutAfterBytes` to the client: a download is then certain to
 * break off in the middle, whatever the machine's speed.
 */
export interface CutLink {
	host: string;
	port: number;
	/** Connections cut so far. */
	cuts: number;
	close(): Promise<void>;
}

export async function startCutLink(
	target: { host: string; port: number },
	cutAfterBytes: number,
): Promise<CutLink> {
	const sockets = new Set<net.Socket>();
	const link: CutLink = { host: '127.0.0.1', port: 0, cuts: 0, close: async () => undefined };
	const relay = net.createServer((client) => {
		const upstream = net.connect(target.port, target.host);
		let sent = 0;
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('close', () => {
				sockets.delete(socket);
				client.destroy();
				upstream.destroy();
			});
			socket.on('error', () => undefined);
		}
		client.pipe(upstream);
		upstream.on('data', (chunk: Buffer) => {
			if (sent + chunk.length >= cutAfterBytes) {
				client.write(chunk.subarray(0, Math.max(0, cutAfterBytes - sent)));
				link.cuts++;
				client.destroy();
				upstream.destroy();
				return;
			}
			sent += chunk.length;
			client.write(chunk);
		});
	});
	await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
	link.port = (relay.address() as net.AddressInfo).port;
	link.close = () =>
		new Promise<void>((resolve) => {
			for (const socket of sockets) socket.destroy();
			relay.close(() => resolve());
		});
	return link;
}
