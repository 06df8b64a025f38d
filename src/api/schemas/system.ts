import { EOF_RAW, goBody, qStr, query, str } from './go-json';

/** /auth, /events, /system/df. */
export const authBody = goBody('AuthConfig', 'types.AuthConfig', {
  username: str(),
  password: str(),
  auth: str(),
  email: str(),
  serveraddress: str(),
  identitytoken: str(),
  registrytoken: str(),
}, EOF_RAW);

export const eventsQuery = query({ since: qStr(), until: qStr(), filters: qStr() });
export const dfQuery = query({ type: qStr() });
