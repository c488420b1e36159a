/** Helpers for the real servers tests start as child processes (s3rver, azurite). */
import type { ChildProcess } from 'node:child_process';

/**
 * Waits for the line in which a server announces its port (`pattern`'s first group), then keeps
 * draining its output so that it never blocks on a full pipe. Fails with everything it printed.
 */
export function listeningPort(child: ChildProcess, name: string, pattern: RegExp, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`${err.message}\n${output}`));
    };
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before listening`)));
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
