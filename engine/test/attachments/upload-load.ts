import type { AttachmentSlot, VisitorDialogView } from '@hotline/protocol';
import { call, connectVisitor } from '../support/clients';
import { put } from './support';

const MB = 1024 * 1024;

export interface UploadLoadResult {
  visitors: number;
  mbEach: number;
  seconds: number;
  mbPerSecond: number;
  /** Highest RSS of this process (engine and clients) above the RSS before the uploads, in MB. */
  peakRssGrowthMb: number;
  /** How many RSS samples were taken (one per MB sent by each visitor: counted, not timed). */
  samples: number;
}

/**
 * `visitors` visitors of `siteId` (which must take files of `mbEach` MB) each upload a PDF of `mbEach` MB
 * at once through the engine at `url`. The bodies are generated a MB at a time as they are sent, so the
 * clients hold almost nothing; RSS is sampled at every MB each client sends.
 */
export async function runUploadLoad(
  url: string,
  options: { visitors: number; mbEach: number; siteId: string },
): Promise<UploadLoadResult> {
  const slots: AttachmentSlot[] = [];
  for (let i = 0; i < options.visitors; i++) {
    const visitor = await connectVisitor(url, { siteId: options.siteId });
    await call<VisitorDialogView>(visitor, 'dialog:start', {
      choice: { groupId: 'support' },
      page: { url: 'http://shop.test/' },
    });
    slots.push(
      await call<AttachmentSlot>(visitor, 'attachment:prepare', {
        name: `scan-${i}.pdf`,
        size: options.mbEach * MB,
        type: 'application/pdf',
      }),
    );
  }
  const chunk = Buffer.alloc(MB, 0x20);
  chunk.write('%PDF-1.4\n');
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let samples = 0;
  const body = () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === options.mbEach) return controller.close();
        // A fresh copy per MB: what is held is what the pipeline holds, not one shared buffer.
        controller.enqueue(new Uint8Array(chunk));
        sent++;
        samples++;
        peak = Math.max(peak, process.memoryUsage.rss());
      },
    });
  };
  const started = performance.now();
  const results = await Promise.all(slots.map((slot) => put(url, slot.uploadUrl, body())));
  const seconds = (performance.now() - started) / 1000;
  const failed = results.filter((r) => r.status !== 201);
  if (failed.length) throw new Error(`${failed.length} uploads failed: ${JSON.stringify(failed[0])}`);
  const total = options.visitors * options.mbEach;
  return {
    visitors: options.visitors,
    mbEach: options.mbEach,
    seconds,
    mbPerSecond: total / seconds,
    peakRssGrowthMb: (peak - baseline) / MB,
    samples,
  };
}
