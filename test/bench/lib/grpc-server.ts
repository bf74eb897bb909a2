// How the bare gRPC baselines (fixtures/) run: on 127.0.0.1:$PORT, saying `listening <port>` once
// bound (what the bench waits for), stopped by SIGTERM.
import * as grpc from '@grpc/grpc-js';

export function serveUntilTerminated(server: grpc.Server): void {
  const port = process.env.PORT;
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) throw error;
    process.stdout.write(`listening ${port}\n`);
  });
  process.on('SIGTERM', () => {
    server.forceShutdown();
    process.exit(0);
  });
}
