import net from 'node:net';

/**
 * A TCP relay in front of Dovecot that misbehaves the way networks do, for fault tests:
 * - `bytesPerSecond`: passes the server's bytes on at a fixed rate, so a large FETCH is certain
 *   to be still on the wire when a test breaks the session (on loopback a 30 MB FETCH is read in
 *   well under the time `doveadm kick` takes to start, so a fault aimed "mid-FETCH" would
 *   otherwise sometimes land after it);
 * - `cutAfterBytes`: cuts the connection once the server has sent that many bytes to the
 *   client, so a download is certain to break off in the middle, whatever the machine's speed.
 * - `cutOnClientData`: cuts the connection, before forwarding, when the client sends bytes that
 *   match (a command), so a test can drop a session exactly between two steps of a client.
 * When either side closes, both do, as a dropped connection would.
 */
export interface Relay {
	host: string;
	port: number;
	/** Connections cut by `cutAfterBytes` so far. */
	cuts: number;
	close(): Promise<void>;
}

export interface RelayOptions {
	bytesPerSecond?: number;
	cutAfterBytes?: number;
	cutOnClientData?: RegExp;
}

export async function startRelay(
	target: { host: string; port: number },
	options: RelayOptions,
): Promise<Relay> {
	const sockets = new Set<net.Socket>();
	const relay: Relay = { host: '127.0.0.1', port: 0, cuts: 0, close: async () => undefined };
	const server = net.createServer((client) => {
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
		if (options.cutOnClientData) {
			const pattern = options.cutOnClientData;
			client.on('data', (chunk: Buffer) => {
				if (pattern.test(chunk.toString('latin1'))) {
					relay.cuts++;
					client.destroy();
					upstream.destroy();
					return;
				}
				upstream.write(chunk);
			});
		} else client.pipe(upstream);
		upstream.on('data', (chunk: Buffer) => {
			if (options.cutAfterBytes !== undefined && sent + chunk.length >= options.cutAfterBytes) {
				client.write(chunk.subarray(0, Math.max(0, options.cutAfterBytes - sent)));
				relay.cuts++;
				client.destroy();
				upstream.destroy();
				return;
			}
			sent += chunk.length;
			client.write(chunk);
			if (options.bytesPerSecond) {
				upstream.pause();
				setTimeout(() => upstream.resume(), (chunk.length / options.bytesPerSecond) * 1000);
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	relay.port = (server.address() as net.AddressInfo).port;
	relay.close = () =>
		new Promise<void>((resolve) => {
			for (const socket of sockets) socket.destroy();
			server.close(() => resolve());
		});
	return relay;
}
