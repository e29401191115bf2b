/**
 * QR codes from an image file or the device camera, decoded in the page with jsQR (loaded only
 * when a scan starts). The camera needs a secure context (https or localhost) and the user's consent.
 */
type Decoder = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

let decoder: Promise<Decoder> | undefined;
function loadDecoder(): Promise<Decoder> {
  decoder ??= import('jsqr').then((m) => (m.default as unknown as Decoder));
  return decoder;
}

function decodeCanvas(decode: Decoder, canvas: HTMLCanvasElement): string | null {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return decode(image.data, image.width, image.height)?.data ?? null;
}

/** Text of the QR code in an image file, or null when none is found. */
export async function scanImageFile(file: Blob): Promise<string | null> {
  const decode = await loadDecoder();
  const bitmap = await createImageBitmap(file);
  // Large photos are scaled down: jsQR is quick on ~1000 px and a QR code survives it.
  const scale = Math.min(1, 1200 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return decodeCanvas(decode, canvas);
}

export interface CameraScan {
  stop(): void;
}

/** Scans frames from the camera into `video` until a QR code is read (onText) or stop() is called. */
export async function scanCamera(video: HTMLVideoElement, onText: (text: string) => void): Promise<CameraScan> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives no camera access here (it needs https or localhost)');
  const decode = await loadDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', 'true');
  await video.play();
  const canvas = document.createElement('canvas');
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  };
  const tick = () => {
    if (!running) return;
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext('2d')!.drawImage(video, 0, 0);
      const text = decodeCanvas(decode, canvas);
      if (text) {
        stop();
        onText(text);
        return;
      }
    }
    setTimeout(tick, 150);
  };
  tick();
  return { stop };
}
