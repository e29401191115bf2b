/** The search bar: typed or pasted identifiers and Digital Link URLs, QR codes from the camera or an image file. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { identify } from '../identify.js';
import { go } from '../router.js';
import { scanCamera, scanImageFile, type CameraScan } from '../scan.js';

export function SearchBar({ current }: { current: string }) {
  const [text, setText] = useState(current);
  const [message, setMessage] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const camera = useRef<CameraScan | null>(null);

  useEffect(() => setText(current), [current]);
  useEffect(() => () => camera.current?.stop(), []);

  const open = (value: string) => {
    const found = identify(value);
    if (!found.ok) {
      setMessage(found.message);
      return;
    }
    setMessage(null);
    setText(found.lookup.id);
    go(found.lookup.view, { id: found.lookup.id });
  };

  const fromFile = async (file: File | undefined) => {
    if (!file) return;
    setMessage('Reading the QR code…');
    try {
      const decoded = await scanImageFile(file);
      if (decoded) open(decoded);
      else setMessage('No QR code found in that image.');
    } catch (err) {
      setMessage(`Could not read that image: ${(err as Error).message}`);
    }
  };

  const startCamera = async () => {
    setScanning(true);
    setMessage('Point the camera at the QR code.');
    try {
      camera.current = await scanCamera(video.current!, (decoded) => {
        setScanning(false);
        open(decoded);
      });
    } catch (err) {
      setScanning(false);
      setMessage(`Camera unavailable: ${(err as Error).message}`);
    }
  };

  const stopCamera = () => {
    camera.current?.stop();
    setScanning(false);
    setMessage(null);
  };

  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        open(text);
      }}
    >
      <label for="search-input">Identifier, Digital Link URL or ear tag</label>
      <div class="search-row">
        <input id="search-input" name="q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="https://id.gs1.org/01/… or UK 123450 600001" autoComplete="off" spellcheck={false} aria-describedby="search-message" />
        <button type="submit">Search</button>
        {scanning ? (
          <button type="button" class="secondary" onClick={stopCamera}>Stop camera</button>
        ) : (
          <button type="button" class="secondary" onClick={() => void startCamera()}>Scan QR</button>
        )}
        <label class="file-button secondary">
          QR from image
          <input id="qr-file" type="file" accept="image/*" class="visually-hidden" onChange={(e) => void fromFile(e.currentTarget.files?.[0])} />
        </label>
      </div>
      <video ref={video} class={scanning ? 'camera' : 'camera hidden'} muted aria-label="Camera preview for QR scanning" />
      <p id="search-message" class="message" role="status">{message}</p>
    </form>
  );
}
