import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { type PasswordStdin, readPassword } from './password-input.js';

/** A stand-in terminal: a stream that records raw-mode switches, fed keystroke by keystroke. */
function terminal(): { input: PasswordStdin & PassThrough; output: PassThrough; raw: boolean[]; shown: () => string } {
  const raw: boolean[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (mode: boolean) => raw.push(mode) });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  return { input, output, raw, shown: () => shown };
}

async function typed(keys: string[], run: (io: ReturnType<typeof terminal>) => Promise<string>): Promise<{ result: Promise<string>; io: ReturnType<typeof terminal> }> {
  const io = terminal();
  const result = run(io);
  for (const key of keys) {
    await new Promise((r) => setImmediate(r));
    io.input.write(key);
  }
  return { result, io };
}

describe('readPassword', () => {
  it('--password-stdin takes all of stdin minus one trailing newline', async () => {
    for (const [text, expected] of [['secret-1\n', 'secret-1'], ['secret-1\r\n', 'secret-1'], ['with space inside', 'with space inside'], ['two\nlines\n', 'two\nlines']]) {
      const input = new PassThrough();
      input.end(text);
      assert.equal(await readPassword({ fromStdin: true }, { input, output: new PassThrough() }), expected);
    }
  });

  it('a pipe without --password-stdin gives its first line; an empty pipe is an error', async () => {
    const input = new PassThrough();
    input.end('first-line\nsecond\n');
    assert.equal(await readPassword({ fromStdin: false }, { input, output: new PassThrough() }), 'first-line');
    const empty = new PassThrough();
    empty.end();
    await assert.rejects(readPassword({ fromStdin: false }, { input: empty, output: new PassThrough() }), /no password on stdin/);
  });

  it('a terminal is asked twice with no echo; Backspace edits', async () => {
    const { result, io } = await typed(['pass', 'x\u007f', 'word\r', 'password\n'], (io) => readPassword({ fromStdin: false, prompt: 'Password for bob: ' }, io));
    assert.equal(await result, 'password');
    assert.equal(io.shown(), 'Password for bob: \nRepeat the password: \n');
    assert.deepEqual(io.raw, [true, false, true, false]);
  });

  it('different answers, or Ctrl-C, fail and leave the terminal out of raw mode', async () => {
    const mismatch = await typed(['password-1\r', 'password-2\r'], (io) => readPassword({ fromStdin: false }, io));
    await assert.rejects(mismatch.result, /differ/);
    const cancelled = await typed(['pass\u0003'], (io) => readPassword({ fromStdin: false }, io));
    await assert.rejects(cancelled.result, /cancelled/);
    assert.deepEqual(cancelled.io.raw, [true, false]);
  });
});
