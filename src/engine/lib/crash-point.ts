/**
 * Test-only: a daemon started with WHARF_CRASH_AT=<name> kills itself with SIGKILL when it
 * reaches the crash point of that name, between an operation's intent and its outcome, so
 * the integration tests can prove that boot recovery settles every half-done operation.
 */
const target = process.env.WHARF_CRASH_AT;

export function crashPoint(name: string): void {
  if (target && target === name) process.kill(process.pid, 'SIGKILL');
}
