/**
 * The GS1 Digital Link resolver (GS1-Conformant Resolver Standard 1.1/1.2): `GET /01/{gtin}[/10/{lot}][/21/{serial}]`
 * and the other primary-key paths. Trade items with a published passport resolve to it: a browser
 * gets the passport page (gs1:pip, the default link), a JSON client the same data (gs1:traceability),
 * and `?linkType=all` (or Accept: application/linkset+json) the RFC 9264 linkset. Every answer names
 * the linkset in a Link header; keys this node publishes nothing for answer 404, as a resolver does.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import { IdentifierError, parseDigitalLink, type Gs1Identifier } from '../../core/identifiers/index.js';
import { PassportError, type PublicPassport } from '../../services/passport.js';
import type { ReadServices } from '../../services/read-services.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import { renderNoPassportPage, renderPassportPage } from './passport-page.js';
import { readContext, readsOf } from './requests.js';

/** GS1 primary keys a Digital Link path may start with (GS1 Digital Link URI Syntax 1.2, numeric and 1.0 short names). */
const PRIMARY_KEY_PATH = /^\/(01|00|414|253|255|401|402|417|8003|8004|8006|8010|8013|8017|8018|gtin|sscc|gln)\/[^/]+(\/.*)?$/;

export const LINKSET_TYPE = 'application/linkset+json';
const GS1_VOC = 'https://gs1.org/voc/';
const PIP = ['gs1:pip', `${GS1_VOC}pip`];
const TRACEABILITY = ['gs1:traceability', `${GS1_VOC}traceability`];
const ALL = ['all', 'linkset'];

interface Links {
  self: string;
  pip: string;
  json: string;
  linkset: string;
}

function linksOf(req: Request): Links {
  const self = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.path}`;
  return { self, pip: `${self}?linkType=gs1:pip`, json: `${self}?linkType=gs1:traceability`, linkset: `${self}?linkType=all` };
}

/** RFC 9264 linkset of one anchor, with GS1 link types as relation URIs. */
export function linksetOf(links: Links, passport: PublicPassport): { linkset: Record<string, unknown>[] } {
  const title = `Product passport: ${passport.brandOwner}`;
  const html = { href: links.pip, title, type: 'text/html', hreflang: ['en'] };
  return {
    linkset: [
      {
        anchor: links.self,
        [`${GS1_VOC}defaultLink`]: [html],
        [`${GS1_VOC}pip`]: [html],
        [`${GS1_VOC}traceability`]: [{ href: links.json, title: `${title} (origin, dates, cold chain, verification)`, type: 'application/json', hreflang: ['en'] }],
      },
    ],
  };
}

function identifierOf(req: Request): Gs1Identifier {
  try {
    return parseDigitalLink(`https://resolver.invalid${req.path}`);
  } catch (err) {
    if (err instanceof IdentifierError && err.code === 'UNSUPPORTED') throw new ApiError(404, 'NO_LINKS', `this resolver publishes nothing for ${req.path}`);
    throw new ApiError(400, 'INVALID_IDENTIFIER', (err as Error).message, { path: req.path });
  }
}

type Wanted = 'linkset' | 'html' | 'json';

function wanted(req: Request): Wanted {
  const linkType = typeof req.query.linkType === 'string' ? req.query.linkType : '';
  if (ALL.includes(linkType)) return 'linkset';
  if (PIP.includes(linkType)) return 'html';
  if (TRACEABILITY.includes(linkType)) return 'json';
  // Any other link type resolves to the default link, content negotiated.
  const best = req.accepts(['text/html', 'application/json', LINKSET_TYPE, 'application/ld+json']);
  return best === LINKSET_TYPE ? 'linkset' : best === 'application/json' || best === 'application/ld+json' ? 'json' : 'html';
}

async function resolve(reads: ReadServices, req: Request, res: Response): Promise<void> {
  const links = linksOf(req);
  res.vary('Accept');
  res.set('Link', `<${links.linkset}>; rel="linkset"; type="${LINKSET_TYPE}"`);
  res.set('Cache-Control', 'no-cache');
  const want = wanted(req);
  let passport: PublicPassport;
  try {
    passport = await reads.explorer.publicPassport(await readContext(reads, req), identifierOf(req).canonical);
  } catch (err) {
    const status = err instanceof PassportError ? (err.code === 'INVALID_IDENTIFIER' ? 400 : 404) : err instanceof ApiError ? err.status : 0;
    if (status === 0) throw err;
    const code = err instanceof PassportError ? err.code : (err as ApiError).code;
    const message = (err as Error).message;
    if (want === 'html') res.status(status).type('html').send(renderNoPassportPage(message));
    else res.status(status).json({ error: { code, message } });
    return;
  }
  if (want === 'linkset') res.type(LINKSET_TYPE).send(JSON.stringify(linksetOf(links, passport)));
  else if (want === 'json') res.json(passport);
  else res.type('html').send(renderPassportPage(passport, { json: links.json, linkset: links.linkset }));
}

/** Resolver description file (GS1-Conformant Resolver Standard §6.5): where a client learns what this resolver serves. */
function description(req: Request) {
  const root = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return {
    name: 'Provenant node: product passports',
    resolverRoot: root,
    supportedPrimaryKeys: ['01'],
    linkTypeDefaultCanBeLinkset: false,
    supportedContextValuesEnumerated: [],
  };
}

export function mountDigitalLink(app: Express, ctx: AppContext): void {
  const reads = readsOf(ctx);
  // Public by design, like the pack's printed label: middleware rather than routes, beside the members-only API.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/.well-known/gs1resolver') return void res.json(description(req));
    if (!PRIMARY_KEY_PATH.test(req.path)) return next();
    resolve(reads, req, res).catch(next);
  });
}
