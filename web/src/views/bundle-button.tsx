/**
 * Downloads the proof bundle of an answer, and says how to check it offline. With its query the
 * node answers it again under the viewer's read policy and proves each identifier shown complete
 * (v2); without, the records alone (v1).
 */
import { useState } from 'preact/hooks';
import { ApiFailure, postForBlob } from '../api.js';

export type BundleQuery = { kind: 'trace'; identifier: string; direction: string } | { kind: 'recall' | 'cargo'; identifier: string };

export function BundleButton({ recordHashes, name, query }: { recordHashes: string[]; name: string; query?: BundleQuery }) {
  const [message, setMessage] = useState<string | null>(null);
  const hashes = [...new Set(recordHashes)];
  const download = async () => {
    setMessage('Building the proof bundle…');
    try {
      const { blob, headers } = await postForBlob('/explorer/api/bundle', query ? { query } : { records: hashes });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${name}.proof-bundle.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      const omitted = Number(headers.get('X-Provenant-Omitted-Records') ?? '0');
      setMessage(omitted > 0 ? `Saved. ${omitted} record(s) you may not read in full were left out.` : 'Saved.');
    } catch (err) {
      setMessage(err instanceof ApiFailure ? err.message : 'The bundle could not be made.');
    }
  };
  return (
    <div class="bundle">
      <button type="button" class="secondary" onClick={() => void download()} disabled={hashes.length === 0}>
        Download proof bundle ({hashes.length} records)
      </button>
      <p class="muted">
        Check it offline, without this node: <code>npx provenant verify-bundle {name}.proof-bundle.json --genesis HASH</code>, with the genesis hash of the consortium you trust.
      </p>
      <p role="status" class="muted">{message}</p>
    </div>
  );
}
