/**
 * Quay's yes/no prompt (util.removelocation): `yes`, `y`, `ye`, `no`, `n` in any case; any
 * other answer asks again. Answers may come from a terminal or a pipe (`echo y | wharf ...`);
 * when the input ends without a valid answer the result is `no-answer`, so a command without a
 * terminal and without --yes refuses instead of hanging.
 */
import { createInterface } from 'node:readline';

export const REASK = "Please respond with 'yes' or 'no' (or 'y' or 'n').";

const ANSWERS: Readonly<Record<string, boolean>> = { yes: true, y: true, ye: true, no: false, n: false };

export function parseAnswer(text: string): boolean | undefined {
  const key = text.trim().toLowerCase();
  return Object.hasOwn(ANSWERS, key) ? ANSWERS[key] : undefined;
}

export async function confirm(
  question: string,
  io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream } = {},
): Promise<'yes' | 'no' | 'no-answer'> {
  const input = io.input ?? process.stdin;
  const output = io.output ?? process.stdout;
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      output.write(question);
      const next = await lines.next();
      if (next.done) {
        output.write('\n');
        return 'no-answer';
      }
      const answer = parseAnswer(next.value);
      if (answer !== undefined) return answer ? 'yes' : 'no';
      output.write(`${REASK}\n`);
    }
  } finally {
    rl.close();
  }
}
