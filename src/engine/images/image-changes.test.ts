import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from './image-changes';
import { expandWord } from '../../domain/shell-words';

// What Docker 20.10's commit made of the same changes (container env FOO=bar PORT=81 PATH=/bin).
test('--change expands variables as Docker does: ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME; not CMD, ENTRYPOINT, ONBUILD', () => {
  const cfg = applyChanges({ Env: ['FOO=bar', 'PORT=81', 'PATH=/bin'] }, [
    'ENV PATH=/usr/bin:$PATH',
    'ENV X=${FOO}-x Y=$FOO Z=${NOPE:-dflt} Q="a $FOO" R=\\$FOO',
    'LABEL l=$FOO',
    'WORKDIR /w/$FOO',
    'USER $FOO',
    'EXPOSE $PORT',
    'VOLUME /v/$FOO',
    'CMD echo $FOO',
    'ENTRYPOINT ["$FOO"]',
    'ONBUILD RUN echo $FOO',
  ]);
  assert.deepEqual(cfg, {
    Env: ['FOO=bar', 'PORT=81', 'PATH=/usr/bin:/bin', 'X=bar-x', 'Y=bar', 'Z=dflt', 'Q=a bar', 'R=$FOO'],
    Labels: { l: 'bar' },
    WorkingDir: '/w/bar',
    User: 'bar',
    ExposedPorts: { '81/tcp': {} },
    Volumes: { '/v/bar': {} },
    Cmd: ['/bin/sh', '-c', 'echo $FOO'],
    Entrypoint: ['$FOO'],
    OnBuild: ['RUN echo $FOO'],
  });
});

test('word expansion: quotes, escapes, modifiers, unset names; an ENV sees the env before it', () => {
  const env = new Map([['A', 'x'], ['E', '']]);
  assert.equal(expandWord("'$A'", env), '$A');
  assert.equal(expandWord('"$A b"', env), 'x b');
  assert.equal(expandWord('${A:+set}${E:+no}${E:-empty}${U}', env), 'setempty');
  assert.equal(expandWord('a\\ b$', env), 'a b$');
  // As Docker 20.10 made it (a replaced name keeps its place).
  const cfg = applyChanges({ Env: ['A=1', 'E='] }, ['ENV A=2 B=$A', 'ENV C=$A', 'ENV D legacy $A form', 'ENV F=${E:-empty}${A:+set}${U}', `LABEL 'k'="v $A"`]);
  assert.deepEqual(cfg.Env, ['A=2', 'E=', 'B=1', 'C=2', 'D=legacy 2 form', 'F=emptyset']);
  assert.deepEqual(cfg.Labels, { k: 'v 2' });
});
