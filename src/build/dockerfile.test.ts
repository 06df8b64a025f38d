import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonArray, parseDockerfile, parseInstruction } from './dockerfile';

// Expected strings below were read off dockerd 20.10 (DOCKER_BUILDKIT=0, POST /build): the
// "Step N/M : <text>" lines of its JSON stream and its error messages.

const steps = (src: string) => {
  const df = parseDockerfile(src);
  return [...df.metaArgs, ...df.stages.flatMap((s) => [s.from, ...s.instructions])].map((i) => i.text);
};

test('Step texts: continuation joined as Docker joins it, comments inside dropped, first line left-trimmed', () => {
  assert.deepEqual(steps('from busybox\nENV A=1 B="x y" \\\n    C=$A\n  RUN echo "a" \\\n# a comment inside\n    && echo b\n'), [
    'from busybox',
    'ENV A=1 B="x y"     C=$A',
    'RUN echo "a"     && echo b',
  ]);
});

test('Step count M counts meta ARGs, FROMs and instructions', () => {
  const df = parseDockerfile('ARG BASE=busybox\nARG UNUSED_META=1\nFROM ${BASE} AS first\nRUN x\nFROM busybox\nCMD y\n');
  assert.equal(df.steps, 6);
  assert.deepEqual(df.metaArgs.map((a) => a.text), ['ARG BASE=busybox', 'ARG UNUSED_META=1']);
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0].name, 'first');
  assert.equal(df.stages[0].index, 0);
  assert.equal(df.stages[1].name, undefined);
  assert.equal(df.stages[1].from.line, 5);
});

test('keyword upper case, flags, args without flags, line numbers', () => {
  const df = parseDockerfile('FROM busybox\n\nCOPY --chown=1:1 --from=s0 a b\nhealthcheck --interval=5s --retries=2 CMD wget x\nfrom --platform=linux/amd64 ${X:-busybox} as Base\n');
  const [copy, hc] = df.stages[0].instructions;
  assert.deepEqual({ ...copy }, { keyword: 'COPY', text: 'COPY --chown=1:1 --from=s0 a b', args: 'a b', flags: { chown: '1:1', from: 's0' }, line: 3, json: undefined });
  assert.equal(hc.keyword, 'HEALTHCHECK');
  assert.deepEqual(hc.flags, { interval: '5s', retries: '2' });
  assert.equal(hc.args, 'CMD wget x');
  const from = df.stages[1].from;
  assert.equal(from.text, 'from --platform=linux/amd64 ${X:-busybox} as Base');
  assert.deepEqual(from.flags, { platform: 'linux/amd64' });
  assert.equal(df.stages[1].name, 'base');
});

test('JSON forms: Go decoder semantics', () => {
  const df = parseDockerfile('FROM busybox\nCMD ["cat", "/g"]\nRUN [ "echo" , "x" ]\nCMD [\'a\', \'b\']\nCMD ["a",\nCMD ["a"] x\nVOLUME ["/v3"]\nCOPY ["a b", "/c"]\nRUN echo\nCMD ["b\\u0041"]\n');
  assert.deepEqual(
    df.stages[0].instructions.map((i) => i.json),
    [['cat', '/g'], ['echo', 'x'], undefined, undefined, ['a'], ['/v3'], ['a b', '/c'], undefined, ['bA']],
  );
  assert.equal(jsonArray('not json'), undefined);
  assert.deepEqual(jsonArray('[]'), []);
  assert.throws(() => parseDockerfile('FROM busybox\nENTRYPOINT ["a", 1]\n'), { message: 'failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only' });
});

test('# escape=` changes the continuation character; # syntax= is ignored silently (dockerd 20.10 prints nothing)', () => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo a `\n b\n');
  assert.equal(df.escape, '`');
  assert.deepEqual(df.warnings, []);
  assert.equal(df.stages[0].instructions[0].text, 'RUN echo a  b');
  assert.equal(parseDockerfile('FROM busybox\n').escape, '\\');
});

test('an empty continuation line warns (in the stream before Step 1)', () => {
  const df = parseDockerfile('FROM busybox\nRUN echo a \\\n\n  b\n');
  assert.equal(df.stages[0].instructions[0].text, 'RUN echo a   b');
  assert.equal(
    df.warnings.join('\n') + '\n',
    '[WARNING]: Empty continuation line found in:\n    RUN echo a   b\n[WARNING]: Empty continuation lines will become errors in a future release.\n',
  );
});

test('CRLF line ends and trailing blanks after the backslash', () => {
  assert.deepEqual(steps('FROM busybox\r\nRUN echo a \\  \r\n  b\r\n'), ['FROM busybox', 'RUN echo a   b']);
});

test("Docker's parse errors", () => {
  const cases: [string, string][] = [
    ['', 'the Dockerfile (Dockerfile) cannot be empty'],
    ['# hi\n\n', 'failed to parse Dockerfile: file with no instructions'],
    ['\n', 'failed to parse Dockerfile: file with no instructions'],
    ['FROM busybox\nFOO bar\n', 'dockerfile parse error line 2: unknown instruction: FOO'],
    ['RUN echo\n', 'no build stage in current context'],
    ['FROM busybox\nONBUILD ONBUILD RUN x\n', 'dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['FROM busybox\nONBUILD FROM x\n', "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger"],
    ['FROM busybox\nONBUILD MAINTAINER x\n', "dockerfile parse error line 2: MAINTAINER isn't allowed as an ONBUILD trigger"],
    ['FROM busybox\nSHELL /bin/sh -c\n', 'dockerfile parse error line 2: SHELL requires the arguments to be in JSON form'],
    ['FROM busybox\nCOPY --foo=1 a b\n', 'dockerfile parse error line 2: Unknown flag: foo'],
    ['FROM busybox\nCOPY a\n', 'dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['FROM busybox\nENV A\n', 'failed to parse Dockerfile: ENV must have two arguments'],
    ['FROM busybox\nLABEL a\n', 'failed to parse Dockerfile: LABEL must have two arguments'],
    ['FROM busybox\nENV A=1 B\n', 'failed to parse Dockerfile: Syntax error - can\'t find = in "B". Must be of the form: name=value'],
    ['FROM busybox\nHEALTHCHECK --retries=0 CMD true\n', 'dockerfile parse error line 2: --retries must be at least 1 (not 0)'],
    ['FROM busybox\nHEALTHCHECK foo\n', 'dockerfile parse error line 2: Unknown type "FOO" in HEALTHCHECK (try CMD)'],
    ['FROM busybox\nHEALTHCHECK NONE x\n', 'dockerfile parse error line 2: HEALTHCHECK NONE takes no arguments'],
    ['FROM busybox\nHEALTHCHECK --interval=0s CMD x\n', 'dockerfile parse error line 2: Interval "interval" cannot be less than 1ms'],
    ['FROM busybox\nHEALTHCHECK --timeout=100us CMD x\n', 'dockerfile parse error line 2: Interval "timeout" cannot be less than 1ms'],
    ['FROM busybox\nHEALTHCHECK --interval=5 CMD x\n', 'dockerfile parse error line 2: time: missing unit in duration "5"'],
    ['FROM busybox a b\n', 'dockerfile parse error line 1: FROM requires either one or three arguments'],
    ['FROM busybox\nUSER\n', 'dockerfile parse error line 2: USER requires exactly one argument'],
    ['FROM busybox\nCOPY --from x f /y\n', 'dockerfile parse error line 2: Missing a value on flag: from'],
    ['FROM busybox\nVOLUME [""]\n', 'dockerfile parse error line 2: VOLUME specified can not be an empty string'],
  ];
  for (const [src, message] of cases) assert.throws(() => parseDockerfile(src), (e: Error & { kind?: string }) => e.message === message && e.kind === 'invalid-argument', JSON.stringify(src));
});

test('accepted as Docker accepts them', () => {
  // ARG alone: dockerd prints "Step 1/1 : ARG X=1" and builds nothing.
  assert.deepEqual(parseDockerfile('ARG X=1\n').steps, 1);
  // ONBUILD does not check its trigger's keyword; CMD and USER take any text.
  assert.equal(parseDockerfile('FROM busybox\nONBUILD FOO x\n').stages[0].instructions[0].args, 'FOO x');
  assert.equal(parseDockerfile('FROM busybox\nCMD\nUSER a b\n').stages[0].instructions.length, 2);
  // --mount and --chmod pass the parser; the classic builder refuses them when the step runs.
  assert.deepEqual(parseDockerfile('FROM busybox\nRUN --mount=type=cache,target=/x true\n').stages[0].instructions[0].flags, { mount: 'type=cache,target=/x' });
});

test('parseInstruction: one line, e.g. an ONBUILD trigger', () => {
  const i = parseInstruction('run echo $M');
  assert.equal(i.keyword, 'RUN');
  assert.equal(i.text, 'run echo $M');
  assert.equal(i.args, 'echo $M');
  assert.equal(i.json, undefined);
  assert.deepEqual(parseInstruction('COPY --from=x ["a", "b"]').json, ['a', 'b']);
  assert.throws(() => parseInstruction('NOPE x'), { message: 'dockerfile parse error line 1: unknown instruction: NOPE' });
});
