/** Downloads the proof bundle of an answer's records (with the answer: proving each identifier it visited complete), and says how to check it offline. */
import { useState } from 'preact/hooks';
import { ApiFailure, postForBlob } from '../api.js';

export interface BundleAnswer {
  query: { kind: string } & Record<string, unknown>;
  identifiers: string[];
}

export function BundleButton({ recordHashes, name, answer }: { recordHashes: string[]; name: string; answer?: BundleAnswer }) {
  const [message, setMessage] = useState<string | null>(null);
  const hashes = [...new Set(recordHashes)];
  const download = async () => {
    setMessage('Building the proof bundle…');
    try {
      const { blob, headers } = await postForBlob('/explorer/api/bundle', { records: hashes, ...(answer && answer.identifiers.length > 0 ? answer : {}) });
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
