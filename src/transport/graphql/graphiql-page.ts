/**
 * GraphiQL served entirely by the node: the page and its scripts, styles and editor workers come
 * from the @graphql-yoga/graphiql package under GRAPHIQL_ASSETS_PATH, never from a CDN, so it works
 * on offline and air-gapped sites.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Express } from 'express';
import type { GraphiQLOptions } from 'graphql-yoga';

export const GRAPHIQL_ASSETS_PATH = '/graphiql-assets';

function assetsDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@graphql-yoga/graphiql/package.json');
  return path.join(path.dirname(pkg), 'dist');
}

/** The options are embedded as JSON inside a script, so "<" is escaped to keep "</script>" out. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? {}).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderLocalGraphiql(options: GraphiQLOptions): string {
  const base = GRAPHIQL_ASSETS_PATH;
  const title = escapeHtml(options.title ?? 'GraphiQL');
  // The package's worker bundle for GraphQL is named "graphql.worker..bundle.js" (two dots).
  const workers = {
    editorWorkerService: `${base}/monacoeditorwork/editor.worker.bundle.js`,
    json: `${base}/monacoeditorwork/json.worker.bundle.js`,
    graphql: `${base}/monacoeditorwork/graphql.worker..bundle.js`,
  };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="${base}/graphiql.css"></head>
<body id="body" class="no-focus-outline"><noscript>You need to enable JavaScript to run GraphiQL.</noscript><div id="root">Loading ${title}…</div>
<script>
const workerUrls = ${scriptJson(workers)};
const workers = {};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workers[label] };
function prepareWorkers() {
  return Promise.all(Object.entries(workerUrls).map(async ([label, url]) => {
    const text = await (await fetch(url)).text();
    workers[label] = URL.createObjectURL(new Blob([text], { type: 'application/javascript' }));
  }));
}
</script>
<script src="${base}/yoga-graphiql.umd.js"></script>
<script>prepareWorkers().finally(() => YogaGraphiQL.renderYogaGraphiQL(root, ${scriptJson(options)}));</script>
</body></html>`;
}

/** Serves the GraphiQL bundle; cached for a day (the files change only with the package version). */
export function mountGraphiqlAssets(app: Express): void {
  app.use(GRAPHIQL_ASSETS_PATH, express.static(assetsDir(), { maxAge: '1d', index: false, fallthrough: false }));
}
