/** Recall: everything downstream of an item, where each is now, as a table and as RFC 4180 CSV. */
import { gql, type Session } from '../api.js';
import { downloadText, formatTime } from '../format.js';
import { shortLabel } from '../identify.js';
import { HOP_FIELDS, hopRecordHashes, type Hop } from '../types.js';
import { useAsync } from '../use-async.js';
import { BundleButton } from './bundle-button.js';
import { AsyncBlock, NeedId } from './common.js';

interface RecallRow {
  identifier: string;
  kind: string;
  lastCustodian: string | null;
  lastLocation: string | null;
  lastEventTime: string | null;
  pathLength: number;
}

const PAGE = 50;
const MAX_ROWS = 5000;
const ROWS_QUERY = `query ($c: ID!, $id: String!, $after: String) {
  recall(consortium: $c, from: $id, first: ${PAGE}, after: $after) { __typename ... on Error { message code } ... on QueryRecallConnection {
    edges { node { identifier kind lastCustodian lastLocation lastEventTime pathLength } } pageInfo { hasNextPage endCursor } } } }`;
const CSV_QUERY = `query ($c: ID!, $id: String!) { recallCsv(consortium: $c, from: $id) { __typename ... on Error { message code } ... on RecallCsv { csv rowCount } } }`;
const HOPS_QUERY = `query ($c: ID!, $id: String!) { trace(consortium: $c, id: $id, direction: DOWNSTREAM) { __typename ... on Error { message code } ... on LineageTrace { hops { ${HOP_FIELDS} } } } }`;

interface RowsPage {
  recall: { edges: { node: RecallRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

async function loadRecall(consortium: string, id: string) {
  const rows: RecallRow[] = [];
  let after: string | null = null;
  // The API pages its connections (and limits a query's cost): read page after page.
  for (;;) {
    const page: RowsPage = await gql<RowsPage & Record<string, unknown>>(ROWS_QUERY, { c: consortium, id, after });
    rows.push(...page.recall.edges.map((e) => e.node));
    if (!page.recall.pageInfo.hasNextPage || rows.length >= MAX_ROWS) break;
    after = page.recall.pageInfo.endCursor;
  }
  const [csv, trace] = await Promise.all([
    gql<{ recallCsv: { csv: string; rowCount: number } }>(CSV_QUERY, { c: consortium, id }),
    gql<{ trace: { hops: Hop[] } }>(HOPS_QUERY, { c: consortium, id }),
  ]);
  return { rows, csv: csv.recallCsv, hops: trace.trace.hops };
}

export function RecallView({ session, id }: { session: Session; id: string }) {
  const recall = useAsync(id ? () => loadRecall(session.consortium, id) : null, [id]);
  if (!id) return <NeedId what="the item to recall" />;
  const name = `recall-${shortLabel(id).replace(/\W+/g, '-')}`;
  return (
    <section aria-labelledby="recall-h">
      <h1 id="recall-h">Recall from {shortLabel(id)}</h1>
      <AsyncBlock result={recall} what="affected items">
        {({ rows, csv, hops }) => (
          <>
            <p class="summary">{rows.length} affected item(s), nearest first.</p>
            <p>
              <button type="button" onClick={() => downloadText(`${name}.csv`, csv.csv, 'text/csv')}>Download CSV ({csv.rowCount} rows)</button>
            </p>
            <div class="table-scroll">
              <table data-testid="recall-table">
                <caption class="visually-hidden">Affected items and where each is now</caption>
                <thead><tr><th scope="col">Item</th><th scope="col">Kind</th><th scope="col">Held by</th><th scope="col">Last location</th><th scope="col">Last seen</th><th scope="col">Steps away</th></tr></thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.identifier}>
                      <td title={r.identifier}>{shortLabel(r.identifier)}</td>
                      <td>{r.kind}</td>
                      <td>{r.lastCustodian ?? <span class="muted">in transit or sold</span>}</td>
                      <td>{r.lastLocation ? shortLabel(r.lastLocation) : '—'}</td>
                      <td>{formatTime(r.lastEventTime)}</td>
                      <td>{r.pathLength}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <BundleButton recordHashes={hopRecordHashes(hops)} name={name} query={{ kind: 'recall', identifier: id }} />
          </>
        )}
      </AsyncBlock>
    </section>
  );
}
