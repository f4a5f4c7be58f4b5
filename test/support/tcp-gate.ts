import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpGate {
  /** The gate's own endpoint, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** Resets every open connection and stops listening: new connections are refused, as by a dead process. */
  cut(): Promise<void>;
  /** Listens again on the same port and forwards to the target. */
  open(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A TCP forwarder to `127.0.0.1:targetPort` that can be cut and reopened: it lets a fault last
 * exactly as long as the test says while the process behind it restarts (a JVM whose start time
 * varies with the machine's load), instead of as long as the restart takes.
 */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        const address = next.address();
        if (typeof address === 'object' && address) port = address.port;
        server = next;
        resolve();
      });
    });
  const close = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  return { endpoint: `http://127.0.0.1:${port}`, cut: close, open: listen, stop: close };
}
