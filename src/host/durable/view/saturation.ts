/**
 * Whether this thread's event loop is saturated (over 70 % busy, sampled every 250 ms or more):
 * the signal the view writer yields on. The view's writes belong to no request, so while the
 * engine's thread has no time to spare they wait; the view runs on a worker thread of its own
 * (view-thread.ts), which samples the main thread here and tells the writer.
 */
import { performance } from 'node:perf_hooks';

export function eventLoopSaturation(threshold = 0.7, everyMs = 250): () => boolean {
  let mark = performance.eventLoopUtilization();
  let saturated = false;
  return () => {
    const sample = performance.eventLoopUtilization(mark);
    if (sample.idle + sample.active >= everyMs) {
      saturated = sample.utilization > threshold;
      mark = performance.eventLoopUtilization();
    }
    return saturated;
  };
}
