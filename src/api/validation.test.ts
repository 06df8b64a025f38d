import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerCreateBody, stopQuery } from './schemas/containers';
import { volumeCreateBody } from './schemas/volumes';
import { checkBody, EMPTY_BODY, parseQuery, tooDeep, validatorCompiler } from './validation';

const messageOf = (schema: object, data: unknown): string | undefined => {
  try {
    checkBody(schema, data);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

test("a wrong type is Go's decoding error, with the struct and the field path", () => {
  assert.equal(messageOf(containerCreateBody, { Labels: { a: {} } }), 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Labels of type string');
  assert.equal(messageOf(containerCreateBody, { HostConfig: { Memory: 1.5 } }), 'json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64');
  assert.equal(
    messageOf(containerCreateBody, { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } }),
    'json: cannot unmarshal number into Go struct field PortBinding.HostConfig.PortBindings.HostPort of type string',
  );
  assert.equal(messageOf(volumeCreateBody, []), 'json: cannot unmarshal array into Go value of type volume.VolumeCreateBody');
});

test('the first error of the document is reported, and decoding errors before checks', () => {
  assert.equal(messageOf(containerCreateBody, { Env: {}, Labels: 1 }), 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Env of type []string');
  assert.equal(messageOf(containerCreateBody, { Labels: 1, Env: {} }), 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type map[string]string');
  assert.equal(messageOf(containerCreateBody, { HostConfig: { Memory: 5, CpuShares: 'x' } }), 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.CpuShares of type int64');
});

test("a value Go takes becomes what Go makes of it: StrSlice, nulls", () => {
  const body = { Cmd: 'ls', Labels: { a: null }, OnBuild: [null], HostConfig: null };
  assert.deepEqual(checkBody(containerCreateBody, body), { Cmd: ['ls'], Labels: { a: '' }, OnBuild: [''] });
  // At create an Env entry of null is "", which dockerd refuses as it refuses "".
  assert.equal(messageOf(containerCreateBody, { Env: [null] }), 'invalid environment variable: ');
});

test("struct fields are matched as Go matches them: an exact name first, else under Unicode case folding; map keys stay", () => {
  const body = { image: 'x', hoſtconfig: { MEMORY: 7_000_000, KernelMemory: 1 }, labels: { Image: 'kept' }, Exposedports: { '80/TCP': {} } };
  assert.deepEqual(checkBody(containerCreateBody, body), { Image: 'x', HostConfig: { Memory: 7_000_000, KernelMemory: 1 }, Labels: { Image: 'kept' }, ExposedPorts: { '80/TCP': {} } });
  // An unknown key is left as sent.
  assert.deepEqual(checkBody(volumeCreateBody, { nAmE: 'v', Other: 1 }), { Name: 'v', Other: 1 });
  assert.equal(messageOf(volumeCreateBody, EMPTY_BODY), 'got EOF while reading request body');
});

test("query integers are strconv's, and an empty one is absent", () => {
  const v = validatorCompiler({ schema: stopQuery, httpPart: 'querystring', method: 'POST', url: '' }) as (d: unknown) => { error?: Error };
  assert.equal(v({ t: 'abc' }).error?.message, 'strconv.Atoi: parsing "abc": invalid syntax');
  assert.equal(v({ t: '99999999999999999999' }).error?.message, 'strconv.Atoi: parsing "99999999999999999999": value out of range');
  assert.equal(v({ t: '' }).error, undefined);
  assert.equal(v({ t: '-3' }).error, undefined);
});

test('queries keep the first value of a key, except the lists', () => {
  assert.deepEqual({ ...parseQuery('t=1&t=2&changes=a&changes=b&__proto__=x') }, { t: '1', changes: ['a', 'b'], ['__proto__']: 'x' });
});

test("nesting deeper than Go's limit is refused before parsing", () => {
  assert.equal(tooDeep(`${'['.repeat(10_001)}${']'.repeat(10_001)}`), "invalid character '[' exceeded max depth");
  assert.equal(tooDeep(`"${'['.repeat(20_000)}"`), undefined);
  assert.equal(tooDeep('{"a":[1]}'), undefined);
});
