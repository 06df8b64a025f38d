import { arrayOf, bool, EOF_BODY, goBody, params, qInt, query, str, strings, uint } from './go-json';
import { Type } from '@sinclair/typebox';

/** docker exec: create (types.ExecConfig), start (types.ExecStartCheck), resize. */
export const execCreateBody = goBody('ExecConfig', 'types.ExecConfig', {
  User: str(),
  Privileged: bool(),
  Tty: bool(),
  ConsoleSize: arrayOf('*[2]uint', uint()),
  AttachStdin: bool(),
  AttachStderr: bool(),
  AttachStdout: bool(),
  Detach: bool(),
  DetachKeys: str(),
  Env: strings(),
  WorkingDir: str(),
  Cmd: strings(),
}, EOF_BODY);

export const execStartBody = goBody('ExecStartCheck', 'types.ExecStartCheck', {
  Detach: bool(),
  Tty: bool(),
  ConsoleSize: arrayOf('*[2]uint', uint()),
}, EOF_BODY);

export const execResizeQuery = query({ h: qInt(), w: qInt() });
export const execParams = params({ id: Type.String() });
