/**
 * How a command reads a password without it ever appearing in argv, the shell history or the
 * terminal: `--password-stdin` reads all of stdin (`docker login --password-stdin` style, one
 * trailing newline dropped); otherwise a terminal gets a prompt with no echo (twice, to catch
 * typos), and a pipe gives its first line.
 */
import { createInterface } from 'node:readline';

/** A password is short; more than this on stdin is a mistake (a file piped in by accident). */
const MAX_STDIN_BYTES = 64 * 1024;

/** stdin as the prompt needs it: a terminal can be switched to raw mode. */
export interface PasswordStdin extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface PasswordIo {
  readonly input: PasswordStdin;
  /** Prompts go to stderr, so stdout stays clean for scripts. */
  readonly output: NodeJS.WritableStream;
}

const processIo = (): PasswordIo => ({ input: process.stdin, output: process.stderr });

export async function readPassword(options: { fromStdin: boolean; prompt?: string }, io: PasswordIo = processIo()): Promise<string> {
  if (options.fromStdin) return stripNewline(await readAll(io.input));
  if (io.input.isTTY && io.input.setRawMode) {
    const first = await promptHidden(options.prompt ?? 'Password: ', io);
    const again = await promptHidden('Repeat the password: ', io);
    if (first !== again) throw new Error('the two passwords differ');
    return first;
  }
  return firstLine(io.input);
}

function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new Error(`more than ${MAX_STDIN_BYTES} bytes on stdin: that is not a password`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input, terminal: false });
  try {
    const next = await rl[Symbol.asyncIterator]().next();
    if (next.done) throw new Error('no password on stdin (pipe one line, or use --password-stdin)');
    return next.value;
  } finally {
    rl.close();
  }
}

/** Reads one line from a terminal in raw mode, echoing nothing; Backspace edits, Ctrl-C and Ctrl-D abort. */
export function promptHidden(prompt: string, io: PasswordIo): Promise<string> {
  const { input, output } = io;
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onData = (chunk: Buffer | string) => {
      // Array.from keeps characters outside the BMP whole, for Backspace.
      for (const ch of Array.from(chunk.toString())) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else if (ch >= ' ') chars.push(ch);
      }
    };
    output.write(prompt);
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}
