import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile, type Dockerfile } from './dockerfile';
import { goDuration, goQuote, goQuoteRune } from './go-format';
import {
  applyMetadata,
  copyCreatedBy,
  copyStep,
  evalMetaArgs,
  fromTarget,
  isMetadataOnly,
  newStageState,
  runStep,
  unusedBuildArgs,
  type BuildConfig,
  type StageState,
} from './instructions';

// Every created_by string, config and message below was read off dockerd 20.10 (DOCKER_BUILDKIT=0):
// `docker history --no-trunc`, `docker image inspect` and the POST /build JSON stream, for the
// same Dockerfile and build args. COPY checksums are the executor's; "file:<hex>" is Docker's.

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Run a Dockerfile through these functions as the executor would; history oldest first. */
function build(src: string, buildArgs: Record<string, string | null> = {}, base: BuildConfig = {}) {
  const df: Dockerfile = parseDockerfile(src);
  const meta = evalMetaArgs(df.metaArgs, buildArgs);
  const states: StageState[] = [];
  const history: string[][] = [];
  const runs: ReturnType<typeof runStep>[] = [];
  for (const stage of df.stages) {
    const s = newStageState(base, buildArgs, meta, df.escape);
    states.push(s);
    const h: string[] = [];
    history.push(h);
    for (const inst of stage.instructions) {
      if (isMetadataOnly(inst.keyword)) h.push(applyMetadata(s, inst).createdBy);
      else if (inst.keyword === 'RUN') {
        const r = runStep(s, inst);
        runs.push(r);
        h.push(r.createdBy);
      } else h.push(copyCreatedBy(s, inst, 'file:b704', copyStep(s, inst).dest));
    }
  }
  return { df, meta, states, history, runs, last: states[states.length - 1] };
}

const T1 = `# syntax=docker/dockerfile:1
ARG BASE=busybox
ARG UNUSED_META=1
FROM \${BASE} AS first
MAINTAINER Jane Doe <jane@x>
ARG BASE
ARG G=x
ENV A=1 B="x y" \\
    C=$A
ENV K v with  spaces
RUN echo $G $BASE > /g
LABEL k=v "a b"="c d" e=$A
EXPOSE 80 8000-8002/udp 53/tcp $A
CMD ["cat", "/g"]
CMD echo hi
ENTRYPOINT ["/bin/echo"]
VOLUME /v1 /v2
VOLUME ["/v3"]
USER 1000:$A
WORKDIR /a
WORKDIR b
WORKDIR $K
STOPSIGNAL SIGTERM
COPY f.txt /f.txt
ADD --chown=1:1 f.txt /d/
ONBUILD RUN echo trig
HEALTHCHECK --interval=5s --timeout=3s --retries=2 --start-period=1m CMD wget -q http://x || exit 1
SHELL ["/bin/sh", "-x", "-c"]
RUN echo $http_proxy hey
RUN ["echo", "exec", "$G"]
CMD echo shelled
`;

test('a 29-step Dockerfile: history, config and author as dockerd 20.10 made them', () => {
  const r = build(T1, { http_proxy: 'p', G: 'hey', NOPE: 'z' });
  assert.equal(r.df.steps, 29);
  assert.deepEqual(fromTarget(r.df.stages[0].from, r.meta), { image: 'busybox', name: 'first' });
  assert.deepEqual(r.history[0], [
    '/bin/sh -c #(nop)  MAINTAINER Jane Doe <jane@x>',
    '/bin/sh -c #(nop)  ARG BASE',
    '/bin/sh -c #(nop)  ARG G=x',
    '/bin/sh -c #(nop)  ENV A=1 B=x y C=',
    '/bin/sh -c #(nop)  ENV K=v with  spaces',
    '|2 BASE=busybox G=hey /bin/sh -c echo $G $BASE > /g',
    '/bin/sh -c #(nop)  LABEL k=v a b=c d e=1',
    '/bin/sh -c #(nop)  EXPOSE 1 53/tcp 80 8000-8002/udp',
    '/bin/sh -c #(nop)  CMD ["cat" "/g"]',
    '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo hi"]',
    '/bin/sh -c #(nop)  ENTRYPOINT ["/bin/echo"]',
    '/bin/sh -c #(nop)  VOLUME [/v1 /v2]',
    '/bin/sh -c #(nop)  VOLUME [/v3]',
    '/bin/sh -c #(nop)  USER 1000:1',
    '/bin/sh -c #(nop) WORKDIR /a',
    '/bin/sh -c #(nop) WORKDIR /a/b',
    '/bin/sh -c #(nop) WORKDIR /a/b/v with  spaces',
    '/bin/sh -c #(nop)  STOPSIGNAL SIGTERM',
    '/bin/sh -c #(nop) COPY file:b704 in /f.txt ',
    '/bin/sh -c #(nop) ADD --chown=1:1file:b704 in /d/ ',
    '/bin/sh -c #(nop)  ONBUILD RUN echo trig',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q http://x || exit 1"] "5s" "3s" "1m0s" \'\\x02\'}',
    '/bin/sh -x -c #(nop)  SHELL [/bin/sh -x -c]',
    '|2 BASE=busybox G=hey /bin/sh -x -c echo $http_proxy hey',
    '|2 BASE=busybox G=hey echo exec $G',
    '/bin/sh -x -c #(nop)  CMD ["/bin/sh" "-x" "-c" "echo shelled"]',
  ]);
  assert.deepEqual(r.last.config, {
    User: '1000:1',
    ExposedPorts: { '1/tcp': {}, '53/tcp': {}, '80/tcp': {}, '8000/udp': {}, '8001/udp': {}, '8002/udp': {} },
    Env: [PATH, 'A=1', 'B=x y', 'C=', 'K=v with  spaces'],
    Entrypoint: ['/bin/echo'],
    Cmd: ['/bin/sh', '-x', '-c', 'echo shelled'],
    Volumes: { '/v1': {}, '/v2': {}, '/v3': {} },
    WorkingDir: '/a/b/v with  spaces',
    Labels: { 'a b': 'c d', e: '1', k: 'v' },
    StopSignal: 'SIGTERM',
    Healthcheck: { Test: ['CMD-SHELL', 'wget -q http://x || exit 1'], Interval: 5000000000, Timeout: 3000000000, StartPeriod: 60000000000, Retries: 2 },
    OnBuild: ['RUN echo trig'],
    Shell: ['/bin/sh', '-x', '-c'],
  });
  assert.equal(r.last.author, 'Jane Doe <jane@x>');
  // "[Warning] One or more build-args [NOPE] were not consumed"
  assert.deepEqual(unusedBuildArgs(r.states, { http_proxy: 'p', G: 'hey', NOPE: 'z' }), ['NOPE']);
});

test('RUN: argv, env with the ARGs in scope, proxies usable without ARG', () => {
  const r = build(T1, { http_proxy: 'p', G: 'hey' });
  const [first, proxied, exec] = r.runs;
  assert.deepEqual(first.argv, ['/bin/sh', '-c', 'echo $G $BASE > /g']);
  assert.deepEqual(first.env, [PATH, 'A=1', 'B=x y', 'C=', 'K=v with  spaces', 'BASE=busybox', 'G=hey', 'http_proxy=p']);
  assert.deepEqual(proxied.argv, ['/bin/sh', '-x', '-c', 'echo $http_proxy hey']);
  assert.deepEqual(exec.argv, ['echo', 'exec', '$G']);
});

const T2 = `from busybox
ENV M=me P=/p
arg X=$M Y=2
Arg Z
maintainer $M
onbuild run echo $M
  RUN echo "a" \\
# a comment inside
    && echo b
COPY --chown=1:1 f.txt $P/
HEALTHCHECK NONE
HEALTHCHECK CMD ["true", "x"]
CMD ["a","b"]
ENTRYPOINT echo $M
RUN echo $Z
`;

test('multi-name ARG expanded, MAINTAINER and ONBUILD not expanded, ENTRYPOINT keeps a CMD set in the stage', () => {
  const r = build(T2, { http_proxy: 'p' });
  assert.deepEqual(r.history[0], [
    '/bin/sh -c #(nop)  ENV M=me P=/p',
    '/bin/sh -c #(nop)  ARG X=me Y=2',
    '/bin/sh -c #(nop)  ARG Z',
    '/bin/sh -c #(nop)  MAINTAINER $M',
    '/bin/sh -c #(nop)  ONBUILD run echo $M',
    '|2 X=me Y=2 /bin/sh -c echo "a"     && echo b',
    '/bin/sh -c #(nop) COPY --chown=1:1file:b704 in /p/ ',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" \'\\x00\'}',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "true" "x"] "0s" "0s" "0s" \'\\x00\'}',
    '/bin/sh -c #(nop)  CMD ["a" "b"]',
    '/bin/sh -c #(nop)  ENTRYPOINT ["/bin/sh" "-c" "echo $M"]',
    '|2 X=me Y=2 /bin/sh -c echo $Z',
  ]);
  assert.deepEqual(r.last.config, {
    Env: [PATH, 'M=me', 'P=/p'],
    Entrypoint: ['/bin/sh', '-c', 'echo $M'],
    Cmd: ['a', 'b'],
    Healthcheck: { Test: ['CMD', 'true', 'x'] },
    OnBuild: ['run echo $M'],
  });
  assert.equal(r.last.author, '$M');
});

test('ENTRYPOINT clears a CMD inherited from the base image', () => {
  const r = build('FROM busybox\nENTRYPOINT ["/e"]\n', {}, { Cmd: ['sh'], Env: ['PATH=/bin'] });
  assert.deepEqual(r.last.config, { Cmd: null, Entrypoint: ['/e'], Env: ['PATH=/bin'] });
});

test('empty CMD and ENTRYPOINT', () => {
  // CMD alone is the bare shell; ENTRYPOINT alone is nil, printed "[]", and keeps the stage's CMD.
  const r = build('FROM busybox\nCMD\nCMD ["x"]\nENTRYPOINT\n');
  assert.deepEqual(r.history[0], ['/bin/sh -c #(nop)  CMD ["/bin/sh" "-c"]', '/bin/sh -c #(nop)  CMD ["x"]', '/bin/sh -c #(nop)  ENTRYPOINT []']);
  assert.deepEqual(r.last.config.Cmd, ['x']);
  assert.equal(r.last.config.Entrypoint, null);
  // RUN alone runs the bare shell ("The command '/bin/sh -c' returned a non-zero code: 2").
  assert.deepEqual(build('FROM busybox\nRUN\n').runs[0].argv, ['/bin/sh', '-c']);
});

test('CMD: not JSON falls back to the shell form; text after the array is ignored', () => {
  const r = build('FROM busybox\nCMD [\'a\', \'b\']\nCMD ["a"] x\nCMD ["a",\n');
  assert.deepEqual(r.history[0], [
    '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "[\'a\', \'b\']"]',
    '/bin/sh -c #(nop)  CMD ["a"]',
    '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "[\\"a\\","]',
  ]);
});

test('build args: --build-arg beats the default, ENV beats the ARG, undeclared ones stay out', () => {
  const args = { A: 'cli', B: 'bcli', C: 'ccli' };
  const r = build('FROM busybox\nARG A=def\nARG B\nARG C\nENV C=env\nRUN echo $A $B $C\n', args);
  assert.deepEqual(r.history[0], [
    '/bin/sh -c #(nop)  ARG A=def',
    '/bin/sh -c #(nop)  ARG B',
    '/bin/sh -c #(nop)  ARG C',
    '/bin/sh -c #(nop)  ENV C=env',
    '|2 A=cli B=bcli /bin/sh -c echo $A $B $C',
  ]);
  assert.deepEqual(r.runs[0].env, [PATH, 'C=env', 'A=cli', 'B=bcli']);
  assert.deepEqual(r.last.config.Env, [PATH, 'C=env']);
  assert.deepEqual(unusedBuildArgs(r.states, args), []);
});

test('proxy args: "|0" when only an undeclared proxy is in scope; listed once declared', () => {
  const proxy = { http_proxy: 'p' };
  assert.equal(build('FROM busybox\nRUN true\n', proxy).runs[0].createdBy, '|0 /bin/sh -c true');
  assert.deepEqual(build('FROM busybox\nRUN true\n', proxy).runs[0].env, [PATH, 'http_proxy=p']);
  const declared = build('FROM busybox\nARG http_proxy\nRUN true\n', proxy);
  assert.deepEqual(declared.history[0], ['/bin/sh -c #(nop)  ARG http_proxy', '|1 http_proxy=p /bin/sh -c true']);
  assert.equal(build('FROM busybox\nRUN true\n').runs[0].createdBy, '/bin/sh -c true');
  assert.deepEqual(unusedBuildArgs(build('FROM busybox\n', { HTTPS_PROXY: 'x', no_proxy: 'y' }).states, { HTTPS_PROXY: 'x', no_proxy: 'y' }), []);
});

test('meta ARGs: visible in a stage only when re-declared; expanded with the earlier ones; consumed', () => {
  const r = build('ARG M=1\nFROM busybox\nRUN echo $M\nARG M\nRUN echo $M\n');
  assert.deepEqual(r.history[0], ['/bin/sh -c echo $M', '/bin/sh -c #(nop)  ARG M', '|1 M=1 /bin/sh -c echo $M']);
  // ARG A=1 B=$A: B sees only the ARGs of earlier lines.
  const r2 = build('ARG A=1 B=$A\nFROM busybox\nARG B\nRUN echo $B\n');
  assert.equal(r2.history[0][1], '|1 B= /bin/sh -c echo $B');
  const buildArgs = { M: 'busybox', N: 'q', O: 'q' };
  const r3 = build('ARG M=busybox\nARG N\nFROM $M\n', buildArgs);
  assert.deepEqual(unusedBuildArgs(r3.states, buildArgs), ['O']);
  assert.deepEqual([...evalMetaArgs(parseDockerfile('ARG A=1\nARG B\nARG C=$A$B\nFROM x\n').metaArgs, { B: '2' })], [['A', '1'], ['B', '2'], ['C', '12']]);
});

test('fromTarget: meta ARG expansion, AS name lower-cased, --platform', () => {
  const df = parseDockerfile('ARG B=busybox\nfrom --platform=linux/amd64 ${NOPE:-$B} as Base\n');
  assert.deepEqual(fromTarget(df.stages[0].from, evalMetaArgs(df.metaArgs, {})), { image: 'busybox', name: 'base', platform: 'linux/amd64' });
  assert.deepEqual(fromTarget(df.stages[0].from, evalMetaArgs(df.metaArgs, { B: 'alpine:3' })).image, 'alpine:3');
  const undef = parseDockerfile('FROM ${UNDEF}\n').stages[0].from;
  assert.throws(() => fromTarget(undef, new Map()), { message: 'base name (${UNDEF}) should not be blank' });
});

test('ENV: value expanded with the env before the instruction; a name keeps its place', () => {
  const r = build('FROM busybox\nENV PATH=/x:$PATH A=1\nENV A=2\n');
  assert.deepEqual(r.history[0], ['/bin/sh -c #(nop)  ENV PATH=/x:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=1', '/bin/sh -c #(nop)  ENV A=2']);
  assert.deepEqual(r.last.config.Env, ['PATH=/x:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=2']);
});

test('LABEL: quotes removed, single quotes keep $ literal, continuation inside quotes', () => {
  const r = build('FROM busybox\nLABEL a="x\\\n y" b=c\nLABEL "q"=\'$x\'\n');
  assert.equal(r.df.stages[0].instructions[0].text, 'LABEL a="x y" b=c');
  assert.deepEqual(r.history[0], ['/bin/sh -c #(nop)  LABEL a=x y b=c', '/bin/sh -c #(nop)  LABEL q=$x']);
  assert.deepEqual(r.last.config.Labels, { a: 'x y', b: 'c', q: '$x' });
});

test('WORKDIR: relative to the previous one, cleaned', () => {
  const r = build('FROM busybox\nWORKDIR rel\nWORKDIR ../x/./y/\n');
  assert.deepEqual(r.history[0], ['/bin/sh -c #(nop) WORKDIR /rel', '/bin/sh -c #(nop) WORKDIR /x/y']);
  assert.equal(r.last.config.WorkingDir, '/x/y');
});

test('STOPSIGNAL: expanded and checked', () => {
  assert.deepEqual(build('FROM busybox\nENV S=SIGKILL\nSTOPSIGNAL $S\n').history[0][1], '/bin/sh -c #(nop)  STOPSIGNAL SIGKILL');
  assert.equal(build('FROM busybox\nSTOPSIGNAL 9\n').last.config.StopSignal, '9');
  assert.equal(build('FROM busybox\nSTOPSIGNAL usr1\n').last.config.StopSignal, 'usr1');
  assert.throws(() => build('FROM busybox\nSTOPSIGNAL FOO\n'), { message: 'Invalid signal: FOO' });
});

test('EXPOSE: errors when the step runs', () => {
  assert.throws(() => build('FROM busybox\nEXPOSE 80/xyz\n'), { message: 'Invalid proto: xyz' });
  assert.throws(() => build('FROM busybox\nEXPOSE abc\n'), { message: 'Invalid containerPort: abc' });
});

test('COPY dest in created_by as written; EXPOSE splits a variable holding several ports', () => {
  const r = build('FROM busybox\nWORKDIR /w\nCOPY f rel\nENV PS="81 82"\nEXPOSE $PS\n');
  assert.deepEqual(r.history[0].slice(1), ['/bin/sh -c #(nop) COPY file:b704 in rel ', '/bin/sh -c #(nop)  ENV PS=81 82', '/bin/sh -c #(nop)  EXPOSE 81 82']);
  assert.deepEqual(r.last.config.ExposedPorts, { '81/tcp': {}, '82/tcp': {} });
});

test('USER takes the whole text', () => {
  const r = build('FROM busybox\nUSER a b\n');
  assert.equal(r.history[0][0], '/bin/sh -c #(nop)  USER a b');
  assert.equal(r.last.config.User, 'a b');
});

test('HEALTHCHECK durations in nanoseconds, printed as Go durations', () => {
  const r = build('FROM busybox\nHEALTHCHECK --interval=1m30s --timeout=500ms CMD ["a"]\nHEALTHCHECK --interval=1ms CMD true\n');
  assert.deepEqual(r.history[0], [
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "a"] "1m30s" "500ms" "0s" \'\\x00\'}',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "1ms" "0s" "0s" \'\\x00\'}',
  ]);
  assert.deepEqual(r.last.config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1000000 });
});

test('escape=`: backslash is literal in expansion, backtick escapes', () => {
  const r = build('# escape=`\nFROM busybox\nENV A=a\\b B=c`d\n');
  assert.equal(r.history[0][0], '/bin/sh -c #(nop)  ENV A=a\\b B=cd');
  assert.deepEqual(r.last.config.Env, [PATH, 'A=a\\b', 'B=cd']);
});

test('COPY/ADD: expanded sources and dest, --chown expanded, --from as written, --chmod and RUN --mount refused', () => {
  const df = parseDockerfile('FROM busybox\nARG U=5\nARG S=s0\nENV P=/p\nCOPY --chown=$U:$U --from=$S a $P/b $P/\nCOPY ["$P/x y", "/d"]\n');
  const s = newStageState({}, {}, new Map(), df.escape);
  const [argU, argS, env, copy, jsonCopy] = df.stages[0].instructions;
  for (const i of [argU, argS, env]) applyMetadata(s, i);
  assert.deepEqual(copyStep(s, copy), { sources: ['a', '/p/b'], dest: '/p/', from: '$S', chown: '5:5' });
  assert.deepEqual(copyStep(s, jsonCopy), { sources: ['/p/x y'], dest: '/d' });
  assert.equal(copyCreatedBy(s, copy, 'file:69fc', '/p/'), '/bin/sh -c #(nop) COPY --chown=5:5file:69fc in /p/ ');
  assert.equal(copyCreatedBy(s, jsonCopy, 'dir:a9a5', '/d'), '/bin/sh -c #(nop) COPY dir:a9a5 in /d ');
  const buildkit = (flag: string) => `the --${flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`;
  assert.throws(() => build('FROM busybox\nCOPY --chmod=755 Dockerfile /x\n'), { message: buildkit('chmod') });
  assert.throws(() => build('FROM busybox\nRUN --mount=type=cache,target=/x true\n'), { message: buildkit('mount') });
});

test('newStageState: PATH added when the base has none; the base SHELL inherited; config copied', () => {
  const base: BuildConfig = { Env: ['A=1'], Shell: ['/bin/bash', '-c'], Labels: { x: 'y' } };
  const s = newStageState(base, {}, new Map());
  assert.deepEqual(s.config.Env, ['A=1', PATH]);
  assert.deepEqual(s.shell, ['/bin/bash', '-c']);
  s.config.Labels!.z = '1';
  assert.deepEqual(base.Labels, { x: 'y' });
  assert.deepEqual(newStageState({ Env: ['PATH=/bin'] }, {}, new Map()).config.Env, ['PATH=/bin']);
});

test('isMetadataOnly', () => {
  for (const k of ['ENV', 'LABEL', 'EXPOSE', 'USER', 'WORKDIR', 'VOLUME', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'SHELL', 'ONBUILD', 'MAINTAINER', 'ARG']) assert.ok(isMetadataOnly(k), k);
  for (const k of ['RUN', 'COPY', 'ADD', 'FROM']) assert.ok(!isMetadataOnly(k), k);
});

test("Go's %q and durations", () => {
  assert.equal(goQuote('a"b\\c\n\x1b\x7f é'), '"a\\"b\\\\c\\n\\x1b\\x7f é"');
  assert.equal(goQuoteRune(2), "'\\x02'");
  assert.equal(goQuoteRune(65), "'A'");
  assert.equal(goQuoteRune(39), "'\\''");
  assert.deepEqual([0, 999, 1500, 500e6, 1e9, 1.5e9, 60e9, 90e9, 3600e9, 3723.005e9].map(goDuration), ['0s', '999ns', '1.5µs', '500ms', '1s', '1.5s', '1m0s', '1m30s', '1h0m0s', '1h2m3.005s']);
});
