import { Option } from 'commander';

/** `--config FILE`, shared by every command (DESIGN §2 CLI conventions). */
export function configOption(): Option {
  return new Option('-c, --config <file>', 'config.yaml to use (default: $WHARF_CONFIG, ./config.yaml, else the embedded SQLite + ./data default)');
}

/** Prints a failure the way every command does and sets a non-zero exit code. */
export function fail(err: unknown): void {
  process.stderr.write(`wharf: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
