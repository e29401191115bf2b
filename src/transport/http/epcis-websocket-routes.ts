/**
 * Query subscriptions over WebSocket (GS1 openapi.json, GET /queries/{queryName}/events with
 * `Upgrade: websocket` and `stream=true` or a schedule): the handshake is checked like any query
 * route (API token, named query, controls; problem details when refused), then each delivery is
 * one text message, an EPCISQueryDocument with the subscriptionID. The server closes with 1008
 * when the subscription ends (revoked token, deleted query), the reason in the close frame.
 */
import type { Express } from 'express';
import { WebSocketServer } from 'ws';
import type { SocketSubscriptions } from '../../services/query/socket-subscriptions.js';
import type { ReadServices } from '../../services/read-services.js';
import { binding, queryParameters, route } from './epcis-query-http.js';
import { enableUpgrades, upgradeOf } from './upgrades.js';
import { readContext } from './requests.js';

/** Longest reason a close frame carries (RFC 6455 section 5.5: 125-byte control payload, 2 for the code). */
const MAX_CLOSE_REASON = 123;

/** Mounted before GET /queries/{queryName}/events (which answers every request without an upgrade); `sockets` is read per request. */
export function mountQuerySockets(app: Express, reads: ReadServices, sockets: () => SocketSubscriptions): { close(): void } {
  enableUpgrades(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  app.get(
    '/queries/:queryName/events',
    (req, _res, next) => (req.headers.upgrade?.toLowerCase() === 'websocket' ? next() : next('route')),
    binding(['json']),
    route(async (req, res) => {
      const opened = await sockets().open(await readContext(reads, req), String(req.params['queryName']), queryParameters(req));
      const upgrade = upgradeOf(req);
      // A WebSocket handshake sent to a server not listening for upgrades (a test app without listen()).
      if (!upgrade) {
        res.status(426).setHeader('Upgrade', 'websocket');
        res.json({ type: 'about:blank', title: 'Upgrade Required', status: 426, detail: 'this server does not accept WebSocket upgrades' });
        return;
      }
      wss.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => {
        const running = opened.start({
          send: (message) => ws.send(message),
          end: (reason) => ws.close(1008, Buffer.from(reason).subarray(0, MAX_CLOSE_REASON).toString()),
        });
        ws.on('close', () => running.stop());
        ws.on('error', () => running.stop());
        // The subscriber may send nothing but control frames; any message is ignored.
      });
    }),
  );
  return {
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
