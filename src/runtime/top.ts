/** docker top: run the host's ps and keep the rows of a container's processes (pure parts tested). */

/** Docker refuses ps options that rename the PID column ("-o pid=PROCESS" would hide it). */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== 'pid') throw new Error(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/**
 * Keep the rows of `pids` from ps output. The last column (the command) may hold spaces:
 * the fields past the title count are joined into it. A row whose PID is "-" (a thread
 * shown by "m") belongs to the process row above it.
 */
export function parsePsOutput(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n');
  const Titles = lines[0].trim().split(/[ \t]+/).filter(Boolean);
  const pidIndex = Titles.indexOf('PID');
  if (pidIndex < 0) throw new Error("Couldn't find PID field in ps output");
  const Processes: string[][] = [];
  let lastKept = false;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/[ \t]+/);
    const row = [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(' ')];
    if (fields[pidIndex] === '-') {
      if (lastKept) Processes.push(row);
      continue;
    }
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid)) throw new Error(`Unexpected pid '${fields[pidIndex]}'`);
    lastKept = pids.has(pid);
    if (lastKept) Processes.push(row);
  }
  return { Titles, Processes };
}
