import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { confirm, parseAnswer, REASK } from './confirm.js';

async function ask(input: string): Promise<{ answer: string; output: string }> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  const answer = await confirm('Sure? [y/n] ', { input: Readable.from([input]), output });
  return { answer, output: text };
}

describe('confirm (Quay’s yes/no prompt)', () => {
  it('accepts yes, y, ye, no, n in any case and nothing else', () => {
    for (const yes of ['yes', 'Y', 'yE', 'YES', ' y ']) assert.equal(parseAnswer(yes), true, yes);
    for (const no of ['no', 'N', 'No']) assert.equal(parseAnswer(no), false, no);
    for (const other of ['', 'yeah', 'nope', 'o', '1', 'true']) assert.equal(parseAnswer(other), undefined, other);
  });

  it('asks again until a valid answer, and reports an input that ends without one', async () => {
    assert.deepEqual(await ask('y\n'), { answer: 'yes', output: 'Sure? [y/n] ' });
    assert.deepEqual(await ask('what\n\nNO\n'), { answer: 'no', output: `Sure? [y/n] ${REASK}\nSure? [y/n] ${REASK}\nSure? [y/n] ` });
    assert.deepEqual(await ask('maybe'), { answer: 'no-answer', output: `Sure? [y/n] ${REASK}\nSure? [y/n] \n` });
    assert.deepEqual(await ask(''), { answer: 'no-answer', output: 'Sure? [y/n] \n' });
  });
});
