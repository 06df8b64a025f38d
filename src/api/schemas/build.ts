import { qInt, qMany, qStr, query } from './go-json';

/** POST /build: everything comes in the query (the context is the raw body). */
export const buildQuery = query({
  dockerfile: qStr(),
  t: qMany(),
  extrahosts: qMany(),
  remote: qStr(),
  q: qStr(),
  nocache: qStr(),
  cachefrom: qStr(),
  pull: qStr(),
  rm: qStr(),
  forcerm: qStr(),
  memory: qInt('strconv.ParseInt'),
  memswap: qInt('strconv.ParseInt'),
  cpushares: qInt('strconv.ParseInt'),
  cpusetcpus: qStr(),
  cpusetmems: qStr(),
  cpuperiod: qInt('strconv.ParseInt'),
  cpuquota: qInt('strconv.ParseInt'),
  buildargs: qStr(),
  shmsize: qInt('strconv.ParseInt'),
  squash: qStr(),
  labels: qStr(),
  networkmode: qStr(),
  platform: qStr(),
  target: qStr(),
  outputs: qStr(),
  ulimits: qStr(),
  cgroupparent: qStr(),
  isolation: qStr(),
  version: qStr(),
});

export const buildPruneQuery = query({ 'keep-storage': qInt('strconv.ParseInt'), all: qStr(), filters: qStr() });
