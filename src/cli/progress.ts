/**
 * Progress for long operator commands: a bar (cli-progress) with the command's lines printed
 * above it when stdout is a terminal; plain lines, and no bar, when it is not (a pipe, a file,
 * CI), so that output stays greppable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Prints one line (no trailing newline needed) above the bar, or plainly. */
  line(text: string): void;
  advance(by: number): void;
  /** Removes the bar, leaving every line printed. */
  done(): void;
}

export function progress(total: number, options: { enabled: boolean; label: string; out?: NodeJS.WriteStream }): Progress {
  const out = options.out ?? process.stdout;
  if (!options.enabled || !out.isTTY || total <= 0) {
    return { line: (text) => out.write(`${text}\n`), advance: () => {}, done: () => {} };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: out,
      noTTYOutput: false, // never draw to a non-terminal (checked above too)
      clearOnComplete: true,
      hideCursor: true,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0);
  return {
    line: (text) => multi.log(`${text}\n`),
    advance: (by) => bar.increment(by),
    done: () => {
      multi.update(); // flush lines logged since the last redraw
      multi.stop();
    },
  };
}
