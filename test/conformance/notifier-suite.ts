import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WorkNotifier } from '../../src/jobs/notifier.js';

export interface NotifierSuiteOptions {
  /** A fresh notifier; with `shared`, two of them talk to each other (as two processes would). */
  open(): Promise<WorkNotifier>;
  readonly shared: boolean;
}

/** Records the kinds a notifier delivers; `next(kind)` waits for the next delivery of one kind. */
export class Recorder {
  readonly seen: string[] = [];
  readonly #waiters: { kind: string; resolve: () => void }[] = [];

  listener(kind: string): () => void {
    return () => {
      this.seen.push(kind);
      for (const w of this.#waiters.filter((x) => x.kind === kind)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    };
  }

  next(kind: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notification for ${kind} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ kind, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/**
 * The conformance suite every WorkNotifier runs. Negative checks ("not delivered") send a
 * sentinel afterwards and wait for it: every implementation delivers one sender's announcements
 * in order, so once the sentinel arrived, anything sent before it would have arrived too.
 */
export function notifierSuite(name: string, options: NotifierSuiteOptions): void {
  describe(`WorkNotifier conformance: ${name}`, () => {
    let opened: WorkNotifier[];
    const open = async () => {
      const n = await options.open();
      opened.push(n);
      return n;
    };
    beforeEach(() => {
      opened = [];
    });
    afterEach(async () => {
      await Promise.all(opened.map((n) => n.close()));
    });

    /** Subscribes to `sentinel` and returns a function that sends it and waits for it. */
    const sentinelOn = (n: WorkNotifier, rec: Recorder) => {
      n.subscribe('sentinel', rec.listener('sentinel'));
      return async () => {
        await n.settled();
        const arrived = rec.next('sentinel');
        await n.notify('sentinel');
        await arrived;
      };
    };
    const settle = () => sleep(options.shared ? 50 : 0); // let a remote SUBSCRIBE/LISTEN take effect

    it('wakes every listener of the kind announced, and no other', async () => {
      const n = await open();
      const [a, b] = [new Recorder(), new Recorder()];
      n.subscribe('replicate', a.listener('replicate'));
      n.subscribe('replicate', b.listener('replicate'));
      n.subscribe('gc', a.listener('gc'));
      await n.settled();
      const sentinel = sentinelOn(n, a);
      await settle();
      const both = Promise.all([a.next('replicate'), b.next('replicate')]);
      await n.notify('replicate');
      await both;
      await n.notify('unheard-of');
      await sentinel();
      assert.deepEqual(a.seen, ['replicate', 'sentinel']);
      assert.deepEqual(b.seen, ['replicate']);
    });

    it('never calls a listener inside notify', async () => {
      const n = await open();
      const rec = new Recorder();
      n.subscribe('k', rec.listener('k'));
      await n.settled();
      await settle();
      const arrived = rec.next('k');
      const pending = n.notify('k');
      assert.deepEqual(rec.seen, []);
      await pending;
      await arrived;
    });

    it('unsubscribe stops one listener; the others, and later subscriptions, keep working', async () => {
      const n = await open();
      const [a, b] = [new Recorder(), new Recorder()];
      const offA = n.subscribe('k', a.listener('k'));
      const offB = n.subscribe('k', b.listener('k'));
      await n.settled();
      const sentinel = sentinelOn(n, b);
      await settle();
      offA();
      offA(); // twice is harmless
      const arrived = b.next('k');
      await n.notify('k');
      await arrived;
      offB();
      await n.notify('k');
      await sentinel();
      assert.deepEqual([a.seen, b.seen], [[], ['k', 'sentinel']]);
      const c = new Recorder();
      n.subscribe('k', c.listener('k'));
      await n.settled();
      await settle();
      const again = c.next('k');
      await n.notify('k');
      await again;
    });

    it('a listener that throws does not stop the others', async () => {
      const n = await open();
      const rec = new Recorder();
      n.subscribe('k', () => {
        throw new Error('listener bug');
      });
      n.subscribe('k', rec.listener('k'));
      await n.settled();
      await settle();
      const arrived = rec.next('k');
      await n.notify('k');
      await arrived;
    });

    it('notify never throws, also after close; close twice is fine', async () => {
      const n = await open();
      n.subscribe('k', () => assert.fail('closed notifiers deliver nothing'));
      await n.settled();
      await n.close();
      await n.notify('k');
      await n.close();
      await sleep(20);
    });

    if (options.shared) {
      it('announcements reach listeners of another instance', async () => {
        const [sender, receiver] = [await open(), await open()];
        const rec = new Recorder();
        receiver.subscribe('replicate-blob', rec.listener('replicate-blob'));
        await settle();
        const arrived = rec.next('replicate-blob');
        await sender.notify('replicate-blob');
        await arrived;
      });
    }
  });
}
