import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api, daemonForFile } from './helpers/wharfd';

/**
 * Every request is checked against Docker's shapes before the engine sees it: a client gets
 * dockerd's status and message, and nothing is stored. The messages are dockerd 20.10's
 * (whose JSON decoding errors are 400 from later versions on).
 */
const d = daemonForFile();

const C = '"Image":"busybox","Cmd":["true"]';
const json = { 'Content-Type': 'application/json' };

/** [method, path, body, status, message] */
const REFUSED: [string, string, string | undefined, number, string][] = [
  // The reproductions of issue 10: each of these was stored and broke ps, volume ls or events.
  ['POST', '/containers/create', '{"Image":"busybox","Labels":{"a":{}}}', 400, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Labels":{"a":1}}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Labels":"x"}', 400, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Labels of type map[string]string'],
  ['POST', '/volumes/create', '{"Labels":"x"}', 400, 'json: cannot unmarshal string into Go struct field VolumeCreateBody.Labels of type map[string]string'],
  ['POST', '/volumes/create', '{"Name":"vv","Labels":{"a":1}}', 400, 'json: cannot unmarshal number into Go struct field VolumeCreateBody.Labels of type string'],
  ['POST', '/networks/create', '{"Name":5}', 400, 'json: cannot unmarshal number into Go struct field NetworkCreateRequest.Name of type string'],
  ['POST', '/networks/create', '{"Name":"n1","Labels":{"a":1}}', 400, 'json: cannot unmarshal number into Go struct field NetworkCreateRequest.Labels of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Env":{}}', 400, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Env of type []string'],
  ['POST', '/containers/create', '{"Image":"busybox","Env":[1]}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Env of type string'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"Memory":"abc"}}`, 400, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"CpuShares":-0.5}}`, 400, 'json: cannot unmarshal number -0.5 into Go struct field HostConfig.HostConfig.CpuShares of type int64'],
  // Numbers
  ['POST', '/containers/create', `{${C},"HostConfig":{"Memory":1.5}}`, 400, 'json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"Memory":1e30}}`, 400, 'json: cannot unmarshal number 1e30 into Go struct field HostConfig.HostConfig.Memory of type int64'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"Memory":1000}}`, 400, 'Minimum memory limit allowed is 6MB'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"Memory":-5}}`, 400, 'Minimum memory limit allowed is 6MB'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"CpuShares":-1}}`, 400, 'shares: invalid argument'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"BlkioWeight":70000}}`, 400, 'json: cannot unmarshal number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"OomScoreAdj":5000}}`, 400, 'Invalid value 5000, range for oom score adj is [-1000, 1000]'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"CpuPeriod":1}}`, 400, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"ShmSize":-1}}`, 400, 'SHM size can not be less than 0'],
  ['POST', '/containers/create', `{${C},"StopTimeout":1.5}`, 400, 'json: cannot unmarshal number 1.5 into Go struct field ContainerConfigWrapper.StopTimeout of type int'],
  // Shapes
  ['POST', '/containers/create', '{"Image":"busybox","Cmd":1}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Cmd":[1]}', 400, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.Cmd of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Entrypoint":{}}', 400, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Entrypoint of type string'],
  ['POST', '/containers/create', '{"Image":1}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string'],
  ['POST', '/containers/create', '{"Image":"busybox","Tty":"yes"}', 400, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Tty of type bool'],
  ['POST', '/containers/create', '{"Image":"busybox","ExposedPorts":[]}', 400, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.ExposedPorts of type nat.PortSet'],
  ['POST', '/containers/create', '{"Image":"busybox","ExposedPorts":{"80/tcp":1}}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.ExposedPorts of type struct {}'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"PortBindings":{"80/tcp":{}}}}`, 400, 'json: cannot unmarshal object into Go struct field HostConfig.HostConfig.PortBindings of type []nat.PortBinding'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":80}]}}}`, 400, 'json: cannot unmarshal number into Go struct field PortBinding.HostConfig.PortBindings.HostPort of type string'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"RestartPolicy":{"Name":"bogus"}}}`, 400, "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"],
  ['POST', '/containers/create', `{${C},"HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":"x"}}}`, 400, 'json: cannot unmarshal string into Go struct field RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount of type int'],
  ['POST', '/containers/create', `{${C},"HostConfig":{"Mounts":[{"Type":"bogus","Target":"/x"}]}}`, 400, 'invalid mount config for type "bogus": mount type unknown'],
  ['POST', '/containers/create', `{${C},"HostConfig":"x"}`, 400, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
  ['POST', '/containers/create', `{${C},"Healthcheck":{"Interval":"x"}}`, 400, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
  ['POST', '/containers/create', `{${C},"NetworkingConfig":{"EndpointsConfig":[]}}`, 400, 'json: cannot unmarshal array into Go struct field NetworkingConfig.NetworkingConfig.EndpointsConfig of type map[string]*network.EndpointSettings'],
  // Go reports the first error of the document.
  ['POST', '/containers/create', '{"Image":"busybox","Labels":{"a":"b","c":{}},"Env":{}}', 400, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['POST', '/containers/create', '[]', 400, 'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper'],
  ['POST', '/containers/create', '{"Image":', 400, 'unexpected EOF'],
  ['POST', '/containers/create?name=a%20b', `{${C}}`, 400, 'Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'],
  // Other bodies
  ['POST', '/volumes/create', '{"Name":5}', 400, 'json: cannot unmarshal number into Go struct field VolumeCreateBody.Name of type string'],
  ['POST', '/volumes/create', `{"Name":"${'a'.repeat(300)}"}`, 400, `create ${'a'.repeat(300)}: error while creating volume root path: file name too long`],
  ['POST', '/volumes/create', '[]', 400, 'json: cannot unmarshal array into Go value of type volume.VolumeCreateBody'],
  ['POST', '/networks/create', '{"Name":"n1","IPAM":{"Config":{}}}', 400, 'json: cannot unmarshal object into Go struct field IPAM.IPAM.Config of type []network.IPAMConfig'],
  ['POST', '/networks/create', '{"Name":"n1","IPAM":{"Config":[{"Subnet":5}]}}', 400, 'json: cannot unmarshal number into Go struct field IPAMConfig.IPAM.Config.Subnet of type string'],
  ['POST', '/networks/bridge/connect', '{"Container":5}', 400, 'json: cannot unmarshal number into Go struct field NetworkConnect.Container of type string'],
  ['POST', '/networks/none/disconnect', '{"Container":"x","Force":"y"}', 400, 'json: cannot unmarshal string into Go struct field NetworkDisconnect.Force of type bool'],
  ['POST', '/containers/c1/update', '{"Memory":"x"}', 400, 'json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64'],
  ['POST', '/containers/c1/update', '[]', 400, 'json: cannot unmarshal array into Go value of type container.UpdateConfig'],
  ['POST', '/containers/c1/exec', '{"Cmd":"ls"}', 400, 'json: cannot unmarshal string into Go struct field ExecConfig.Cmd of type []string'],
  ['POST', '/containers/c1/exec', '{"Env":{}}', 400, 'json: cannot unmarshal object into Go struct field ExecConfig.Env of type []string'],
  ['POST', '/exec/abc/start', '{"Detach":"x"}', 400, 'json: cannot unmarshal string into Go struct field ExecStartCheck.Detach of type bool'],
  ['POST', '/commit?container=c1', '{"Labels":{"a":1}}', 400, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
  ['POST', '/auth', '{"username":5}', 400, 'json: cannot unmarshal number into Go struct field AuthConfig.username of type string'],
  ['POST', '/auth', '[]', 400, 'json: cannot unmarshal array into Go value of type types.AuthConfig'],
  // Query values
  ['POST', '/containers/c1/stop?t=abc', undefined, 400, 'strconv.Atoi: parsing "abc": invalid syntax'],
  ['POST', '/containers/c1/restart?t=1.5', undefined, 400, 'strconv.Atoi: parsing "1.5": invalid syntax'],
  ['POST', '/containers/c1/stop?t=99999999999999999999', undefined, 400, 'strconv.Atoi: parsing "99999999999999999999": value out of range'],
  ['POST', '/containers/c1/resize?h=abc&w=1', undefined, 400, 'strconv.Atoi: parsing "abc": invalid syntax'],
  ['POST', '/containers/c1/rename?name=', undefined, 400, 'Neither old nor new names may be empty'],
  ['POST', '/containers/c1/rename', undefined, 400, 'Neither old nor new names may be empty'],
  ['POST', '/exec/abc/resize?h=x', undefined, 400, 'strconv.Atoi: parsing "x": invalid syntax'],
  ['GET', '/containers/json?limit=abc', undefined, 400, 'strconv.Atoi: parsing "abc": invalid syntax'],
  ['GET', '/images/search?term=x&limit=abc', undefined, 400, 'strconv.Atoi: parsing "abc": invalid syntax'],
  // dockerd answers a since it cannot read with a 500 (eventTime returns strconv's error unclassified).
  ['GET', '/events?since=abc', undefined, 500, 'strconv.ParseInt: parsing "abc": invalid syntax'],
  ['GET', '/containers/c1/logs?stdout=1&since=abc', undefined, 400, 'strconv.ParseInt: parsing "abc": invalid syntax'],
  ['POST', '/images/busybox/tag?repo=' + 'x'.repeat(300), undefined, 400, 'repository name must not be more than 255 characters'],
  // Sizes
  ['POST', '/containers/create', `{"Image":"busybox","Labels":{"a":${'['.repeat(20_000)}1${']'.repeat(20_000)}}}`, 400, "invalid character '[' exceeded max depth"],
  ['POST', '/containers/create', `{"Image":"busybox","Labels":{"a":"${'x'.repeat(2 * 1024 * 1024)}"}}`, 413, 'Request body is too large'],
];

/** What a user can list: nothing refused may appear in any of it. */
function listings(): string {
  return [
    d.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Labels}}']),
    d.dockerOk(['volume', 'ls', '--format', '{{.Name}} {{.Labels}}']),
    d.dockerOk(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}} {{.Labels}}']),
    d.dockerOk(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
  ].join('\n');
}

function events(): string {
  return d.dockerOk(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 1)]);
}

describe('requests are validated at the edge', () => {
  it("refuses each malformed request with dockerd's status and message, and stores nothing", async () => {
    d.dockerOk(['create', '--name', 'c1', 'busybox', 'sleep', '100']);
    const before = listings();
    const eventsBefore = events();
    for (const [method, p, body, status, message] of REFUSED) {
      const r = await api(d.sock, method, p, body, body === undefined ? {} : json);
      assert.equal(r.status, status, `${method} ${p} ${body?.slice(0, 100)}: ${r.body.slice(0, 300)}`);
      assert.equal(JSON.parse(r.body).message, message, `${method} ${p} ${body?.slice(0, 100)}`);
    }
    assert.equal(listings(), before);
    assert.equal(events(), eventsBefore);
  });

  it('decodes what Go accepts: Cmd as a string, null label values and env entries', async () => {
    const r = await api(d.sock, 'POST', '/containers/create?name=decoded', '{"Image":"busybox","Cmd":"true","Labels":{"a":null,"b":"x"},"Env":["A=1"],"HostConfig":null,"Volumes":null,"unknownField":{"x":1}}', json);
    assert.equal(r.status, 201, r.body);
    const inspect = JSON.parse(d.dockerOk(['inspect', 'decoded']))[0];
    assert.deepEqual(inspect.Config.Cmd, ['true']);
    assert.deepEqual(inspect.Config.Labels, { a: '', b: 'x' });
    d.dockerOk(['ps', '-a']);
    d.dockerOk(['rm', 'decoded']);
  });

  it('reads a body with no Content-Type as JSON, and refuses another type, as dockerd does', async () => {
    const bad = await api(d.sock, 'POST', '/volumes/create', '{"Name":"typed"}', { 'Content-Type': 'text/plain' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, "Content-Type specified (text/plain) must be 'application/json'");
    const untyped = await api(d.sock, 'POST', '/volumes/create', '{"Labels":{"a":1}}');
    assert.equal(untyped.status, 400);
    assert.equal(JSON.parse(untyped.body).message, 'json: cannot unmarshal number into Go struct field VolumeCreateBody.Labels of type string');
    const ok = await api(d.sock, 'POST', '/volumes/create', '{"Name":"untyped"}');
    assert.equal(ok.status, 201, ok.body);
    assert.equal(d.dockerOk(['volume', 'ls', '-q']).trim(), 'untyped');
    d.dockerOk(['volume', 'rm', 'untyped']);
  });

  it('refuses a create with no JSON as dockerd does (its decoder meets EOF), and an empty one as empty', async () => {
    const r = await api(d.sock, 'POST', '/containers/create', '', json);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'EOF');
    const e = await api(d.sock, 'POST', '/containers/create', '{}', json);
    assert.equal(e.status, 400);
    assert.equal(JSON.parse(e.body).message, 'Config cannot be empty in order to create a container');
  });
});
