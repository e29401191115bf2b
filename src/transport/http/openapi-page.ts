/**
 * The documentation page of the node's own /openapi.json, rendered on the server as plain HTML
 * (no script, no asset from anywhere but this node): every operation by tag, with its parameters,
 * request body and responses. The style sheet is served beside it at /openapi/style.css.
 */
import { escapeHtml } from './passport-page.js';

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

export const OPENAPI_PAGE_STYLE = `:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;background:#f7f7f5;color:#1b1b1b}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 4rem}
a{color:#0b5394}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:2px solid #ccc}
nav ul{columns:2;padding-left:1.2rem}
section.op{background:#fff;border:1px solid #ddd;border-radius:6px;margin:.75rem 0;padding:.5rem 1rem}
section.op h3{font-size:1rem;margin:.25rem 0;font-family:ui-monospace,monospace;word-break:break-all}
.method{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
.get{color:#0b6b2b}.post{color:#8a4b00}.delete{color:#a1001b}.options{color:#555}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.25rem 0 .5rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace;font-size:.9em}
.muted{color:#555}
:focus-visible{outline:3px solid #0b5394;outline-offset:2px}
`;

function text(value: unknown): string {
  return typeof value === 'string' ? escapeHtml(value) : '';
}

function anchorOf(method: string, path: string): string {
  return `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

/** A schema's short name: a $ref's last segment, else its type. */
function schemaName(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return '';
  const s = schema as Json;
  if (typeof s['$ref'] === 'string') return s['$ref'].split('/').pop() ?? '';
  if (s['type'] === 'array') return `array of ${schemaName(s['items']) || 'values'}`;
  return typeof s['type'] === 'string' ? s['type'] : '';
}

/** `#/components/parameters/X` references resolved against the document. */
function resolve(doc: Json, value: unknown): Json {
  const ref = typeof value === 'object' && value !== null ? (value as Json)['$ref'] : undefined;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return (value ?? {}) as Json;
  let at: unknown = doc;
  for (const part of ref.slice(2).split('/')) at = typeof at === 'object' && at !== null ? (at as Json)[part] : undefined;
  return (at ?? {}) as Json;
}

function parametersTable(doc: Json, parameters: unknown[]): string {
  if (parameters.length === 0) return '';
  const rows = parameters.map((p) => {
    const param = resolve(doc, p);
    return `<tr><td><code>${text(param['name'])}</code>${param['required'] === true ? ' (required)' : ''}</td><td>${text(param['in'])}</td><td>${escapeHtml(schemaName(param['schema']))}</td><td>${text(param['description'])}</td></tr>`;
  });
  return `<table><caption class="muted">Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">type</th><th scope="col">description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function contentTypes(body: Json): string {
  const content = (body['content'] ?? {}) as Json;
  return Object.entries(content)
    .map(([type, media]) => `<code>${escapeHtml(type)}</code>${schemaName((media as Json)['schema']) ? ` (${escapeHtml(schemaName((media as Json)['schema']))})` : ''}`)
    .join(', ');
}

function responsesTable(doc: Json, responses: Json): string {
  const rows = Object.entries(responses).map(([status, r]) => {
    const response = resolve(doc, r);
    return `<tr><td>${escapeHtml(status)}</td><td>${text(response['description'])}</td><td>${contentTypes(response)}</td></tr>`;
  });
  return `<table><caption class="muted">Responses</caption><thead><tr><th scope="col">status</th><th scope="col">description</th><th scope="col">content</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface Operation {
  method: string;
  path: string;
  op: Json;
  parameters: unknown[];
}

function operationSection(doc: Json, { method, path, op, parameters }: Operation): string {
  const body = op['requestBody'] ? resolve(doc, op['requestBody']) : undefined;
  return `<section class="op" id="${anchorOf(method, path)}" aria-labelledby="${anchorOf(method, path)}-h">
<h3 id="${anchorOf(method, path)}-h"><span class="method ${method}">${method}</span> ${escapeHtml(path)}</h3>
${op['summary'] ? `<p>${text(op['summary'])}</p>` : ''}${op['description'] && op['description'] !== op['summary'] ? `<p class="muted">${text(op['description'])}</p>` : ''}
${parametersTable(doc, parameters)}
${body ? `<p>Request body: ${contentTypes(body) || 'any'}</p>` : ''}
${responsesTable(doc, (op['responses'] ?? {}) as Json)}
</section>`;
}

/** Operations grouped by their first tag, in the document's order. */
function operationsByTag(doc: Json): Map<string, Operation[]> {
  const byTag = new Map<string, Operation[]>();
  for (const [path, item] of Object.entries((doc['paths'] ?? {}) as Json)) {
    const pathItem = item as Json;
    const shared = Array.isArray(pathItem['parameters']) ? pathItem['parameters'] : [];
    for (const method of METHODS) {
      const op = pathItem[method] as Json | undefined;
      if (!op) continue;
      const tag = Array.isArray(op['tags']) && typeof op['tags'][0] === 'string' ? op['tags'][0] : 'Other';
      const own = Array.isArray(op['parameters']) ? op['parameters'] : [];
      const list = byTag.get(tag) ?? [];
      list.push({ method, path, op, parameters: [...shared, ...own] });
      byTag.set(tag, list);
    }
  }
  return byTag;
}

/** The whole page for an OpenAPI 3 document. */
export function openApiPage(doc: Json): string {
  const info = (doc['info'] ?? {}) as Json;
  const byTag = operationsByTag(doc);
  const tagId = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const toc = [...byTag.keys()].map((tag) => `<li><a href="#${tagId(tag)}">${escapeHtml(tag)}</a> (${byTag.get(tag)!.length})</li>`).join('');
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="${tagId(tag)}">${escapeHtml(tag)}</h2>\n${ops.map((o) => operationSection(doc, o)).join('\n')}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${text(info['title'])} — API reference</title><link rel="stylesheet" href="/openapi/style.css"></head>
<body><main id="main">
<h1>${text(info['title'])}</h1>
<p class="muted">Version ${text(info['version'])} · OpenAPI ${text(doc['openapi'])} · the machine-readable document: <a href="/openapi.json">/openapi.json</a></p>
${info['description'] ? `<p>${text(info['description'])}</p>` : ''}
<nav aria-label="Operations by tag"><ul>${toc}</ul></nav>
${sections}
</main></body></html>`;
}
