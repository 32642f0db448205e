import { createServer } from "node:net";

/** A database server the tests started (tests/support/redis.ts, postgres.ts): its URL, emptying, stopping. */
export type LocalServer = { url: string; flush: () => Promise<void>; stop: () => Promise<void> };

/**
 * Whether the tests of a server that is not installed are skipped: yes on a developer's machine, never
 * where `NEXUS_REQUIRE_SERVERS` is set (.ci/run sets it after installing them), where they fail instead.
 */
export function skipWithout(server: LocalServer | null): boolean {
  return server === null && process.env.NEXUS_REQUIRE_SERVERS === undefined;
}

/** The server, or the reason its tests cannot run. */
export function required(name: string, server: LocalServer | null): LocalServer {
  if (server === null) {
    throw new Error(`${name} is not installed here: apt-get install redis-server postgresql (.ci/run does)`);
  }
  return server;
}

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
