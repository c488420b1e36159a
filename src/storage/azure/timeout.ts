/**
 * Client-side time bounds. The SDK's `tryTimeoutInMs` only asks the *server* to give up (the
 * `timeout=` query parameter), so a server that accepts a connection and never answers would
 * hang a request forever. Every request therefore runs under {@link withTimeout}.
 */
export class RequestTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'RequestTimeout';
  }
}

/**
 * Runs `op` with a signal that aborts after `ms`, or when `outer` aborts, until `op` settles. A
 * download settles when its headers arrive, so its body stream is never cut by the timer.
 */
export async function withTimeout<T>(ms: number, op: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new RequestTimeout(ms)), ms);
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  try {
    return await op(controller.signal);
  } catch (err) {
    if (controller.signal.reason instanceof RequestTimeout) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
