/**
 * The store's SQL is written once, in SQLite's dialect. On PostgreSQL every statement passes through
 * toPostgres() on its way to the driver (database.ts), which rewrites the few SQLite forms the store
 * uses. This is the one place the dialects differ; a statement it cannot rewrite fails loudly at
 * PostgreSQL rather than running with another meaning.
 *
 * - `?` placeholders become `$1, $2, …` (outside quoted text);
 * - `INSERT OR IGNORE` becomes `INSERT … ON CONFLICT DO NOTHING`; `INSERT OR REPLACE` an upsert on
 *   the table's primary key (REPLACE_KEYS, checked against prisma/schema.prisma by a test);
 * - `json_each(?)` (a JSON array bound as text) becomes `json_array_elements_text(…)`, whose column
 *   is also named `value`; `json_each(x, '$.a.b')` and `json_extract(x, '$.a.b')` follow the path
 *   with `#>` / `#>>` (json_extract gives text: compare it with text, or cast);
 * - `group_concat` becomes `string_agg`, `char(n)` `chr(n)`, `printf('%012d', x)` `lpad`,
 *   `strftime('%Y-%m-%dT%H:%M:%fZ', x)` the migrations' `provenant_utc_millis(x)`, `LIMIT -1`
 *   `LIMIT ALL`, `max(rowid)` the newest row version (`xmin`), `DROP TRIGGER "<Table>_…"` the trigger on that table.
 * Statements that already use `$n` placeholders (Prisma's own) pass through unchanged.
 */

/** Primary keys of the tables the store writes with INSERT OR REPLACE. */
export const REPLACE_KEYS: Readonly<Record<string, readonly string[]>> = {
  Custody: ['consortiumId', 'identifier'],
  IndexLeaf: ['consortiumId', 'key'],
  IndexBucket: ['consortiumId', 'bucket'],
  IndexState: ['consortiumId'],
  // Tamper tests replace a whole record row the way an editor of the SQLite file would.
  LedgerRecord: ['hash'],
};

export class DialectError extends Error {
  override readonly name = 'DialectError';
}

const CACHE_LIMIT = 2048;
const cache = new Map<string, string>();

/** The statement in PostgreSQL's dialect (cached: the store uses a few hundred shapes). */
export function toPostgres(sql: string): string {
  if (typeof sql !== 'string') throw new TypeError('toPostgres needs SQL text');
  let out = cache.get(sql);
  if (out === undefined) {
    out = translate(sql);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(sql, out);
  }
  return out;
}

function translate(sql: string): string {
  if (/\$\d/.test(sql)) return sql;
  let out = sql;
  out = out.replace(/\bjson_each\(\s*\?\s*\)/gi, 'json_array_elements_text(CAST(? AS json))');
  out = out.replace(/\bjson_each\(([^,()]+),\s*'([^']*)'\)/gi, (_m, expr: string, p: string) => `json_array_elements_text(CAST(${expr} AS json) #> '${jsonPath(p)}')`);
  out = out.replace(/\bjson_extract\(([^,()]+),\s*'([^']*)'\)/gi, (_m, expr: string, p: string) => `(CAST(${expr} AS json) #>> '${jsonPath(p)}')`);
  out = out.replace(/\bgroup_concat\(/gi, 'string_agg(');
  out = out.replace(/\bchar\((\d+)\)/gi, 'chr($1)');
  out = out.replace(/\bprintf\('%0(\d+)d',\s*([^()]+?)\)/gi, (_m, width: string, expr: string) => `lpad(CAST(${expr} AS text), ${width}, '0')`);
  out = out.replace(/\bstrftime\('%Y-%m-%dT%H:%M:%fZ',\s*([^()]+?)\)/gi, 'provenant_utc_millis($1)');
  out = out.replace(/\bLIMIT\s+-1\b/gi, 'LIMIT ALL');
  out = out.replace(/\bmax\(\s*rowid\s*\)/gi, 'max(CAST(CAST(xmin AS text) AS bigint))');
  // The migrations name every trigger after its table ("<Table>_…"); PostgreSQL drops it from that table.
  out = out.replace(/^\s*DROP\s+TRIGGER\s+(IF\s+EXISTS\s+)?"([A-Za-z]+)_(\w+)"\s*;?\s*$/i, (_m, ifExists: string | undefined, table: string, rest: string) => `DROP TRIGGER ${ifExists ?? ''}"${table}_${rest}" ON "${table}"`);
  out = insertOr(out);
  return placeholders(out);
}

/** `$.a."b:c".d` as a PostgreSQL text-array path `{a,b:c,d}`. */
function jsonPath(path: string): string {
  if (!path.startsWith('$')) throw new DialectError(`JSON path ${path} does not start at $`);
  const keys = [...path.slice(1).matchAll(/\.(?:"([^"]*)"|([^."[]+))/g)].map((m) => m[1] ?? m[2]!);
  if (keys.join('').length === 0 && path !== '$') throw new DialectError(`JSON path ${path} is not a plain member path`);
  return `{${keys.map((k) => (/[,{}\s"]/.test(k) ? `"${k}"` : k)).join(',')}}`;
}

function insertOr(sql: string): string {
  const m = /^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+"(\w+)"\s*\(([^)]*)\)/i.exec(sql);
  if (!m) {
    if (/\bINSERT\s+OR\b/i.test(sql)) throw new DialectError(`cannot rewrite for PostgreSQL: ${sql.slice(0, 80)}`);
    return sql;
  }
  const body = sql.replace(/\bINSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\b/i, 'INSERT INTO').replace(/;?\s*$/, '');
  if (m[1]!.toUpperCase() === 'IGNORE') return `${body} ON CONFLICT DO NOTHING`;
  const table = m[2]!;
  const key = REPLACE_KEYS[table];
  if (!key) throw new DialectError(`INSERT OR REPLACE INTO "${table}": add its primary key to REPLACE_KEYS (src/store/dialect.ts)`);
  const columns = m[3]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  const rest = columns.filter((c) => !key.includes(c));
  const action = rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}`;
  return `${body} ON CONFLICT (${key.map((c) => `"${c}"`).join(', ')}) ${action}`;
}

/** `?` outside quoted text and identifiers becomes `$n`. */
function placeholders(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') out += `$${++n}`;
    else out += ch;
  }
  return out;
}
