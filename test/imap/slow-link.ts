import net from 'node:net';

/**
 * A TCP relay in front of Dovecot that passes the server's bytes on at a fixed rate, so a
 * large FETCH is certain to be still on the wire when a test breaks the session. On loopback
 * a 30 MB FETCH is read in well under the time `doveadm kick` takes to start, so a fault
 * aimed "mid-FETCH" would otherwise sometimes land after it. When either side closes, both
 * do, as a dropped connection would.
 */
export interface SlowLink {
	host: string;
	port: number;
	close(): Promise<void>;
}

export async function startSlowLink(
	target: { host: string; port: number },
	bytesPerSecond: number,
): Promise<SlowLink> {
	const sockets = new Set<net.Socket>();
	const relay = net.createServer((client) => {
		const upstream = net.connect(target.port, target.host);
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
			upstream.pause();
			client.write(chunk);
			setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000);
		});
	});
	await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
	const { port } = relay.address() as net.AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				relay.close(() => resolve());
			}),
	};
}
