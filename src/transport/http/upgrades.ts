/**
 * HTTP upgrade requests (WebSocket handshakes) through the express app: the server's `upgrade`
 * event hands the request to the app's routes like any other, with a response written on the
 * raw socket, so version headers, authentication and problem details are the usual ones. A route
 * that accepts the upgrade takes the socket with `upgradeOf(req)`; one that does not answers
 * normally and the connection closes after its answer.
 */
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

export interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

const UPGRADE = Symbol('upgrade');
const ENABLED = Symbol('upgrades enabled');

type WithUpgrade = IncomingMessage & { [UPGRADE]?: Upgrade };

/** The socket of an upgrade request still waiting for an answer, taken once; undefined for any other request. */
export function upgradeOf(req: IncomingMessage): Upgrade | undefined {
  const r = req as WithUpgrade;
  const upgrade = r[UPGRADE];
  delete r[UPGRADE];
  return upgrade;
}

/** Makes every server the app listens on route upgrade requests through the app (once per app). */
export function enableUpgrades(app: Express): void {
  const marked = app as Express & { [ENABLED]?: true };
  if (marked[ENABLED]) return;
  marked[ENABLED] = true;
  const listen = app.listen.bind(app) as (...args: unknown[]) => Server;
  (app as { listen: (...args: unknown[]) => Server }).listen = (...args: unknown[]) => {
    const server = listen(...args);
    server.on('upgrade', (req: WithUpgrade, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      req[UPGRADE] = { socket, head };
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as never);
      res.on('finish', () => {
        // Not taken by a route: the answer was an ordinary one.
        if (upgradeOf(req)) socket.end();
      });
      app(req as never, res as never);
    });
    return server;
  };
}
