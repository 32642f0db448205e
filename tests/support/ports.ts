import { createServer } from "node:net";

/** A database server the tests started (tests/support/redis.ts, postgres.ts): its URL, emptying, stopping. */
export type LocalServer = { url: string; flush: () => Promise<void>; stop: () => Promise<void> };

/** A TCP port free on 127.0.0.1 right now, for a server the tests start that cannot take port 0 itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
