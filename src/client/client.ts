/**
 * A small typed client for the Docker Engine API that wharfd serves, over a unix socket (or
 * tcp, plain or TLS), using only node:http(s). Paths are prefixed with the API version the CLI speaks.
 *
 * One file per noun (containers.ts, images.ts, networks.ts, volumes.ts, system.ts), each a
 * mixin of calls over request.ts (what a request asks and how its answer is read), which
 * opens its requests through transport.ts (where the daemon is and how to reach it); this
 * file puts them together and is what callers import.
 */
import { ContainerCalls } from './containers';
import { ImageCalls } from './images';
import { NetworkCalls } from './networks';
import { Requests } from './request';
import { SystemCalls } from './system';
import { VolumeCalls } from './volumes';

export class Client extends NetworkCalls(VolumeCalls(ContainerCalls(ImageCalls(SystemCalls(Requests))))) {}

export { ConnectionError, DEFAULT_HOST, DEFAULT_TLS_HOST, parseHost, resolveHost, resolveTls, type ClientTls, type ClientTlsFlags } from './transport';
export { CLIENT_API_VERSION, ClientError, encodeFilters, encodeQuery, type Hijacked, type Query, type RequestOptions } from './request';
export { lines, parseEventLine, readAll, readJsonMessages, type EventMessage, type JsonMessage } from './streams';
export type { DiskUsage, InfoResponse, VersionResponse } from './system';
export type { HistoryItem, ImageDeleteItem, ImageSummary, SearchResult } from './images';
export type { AttachOptions, ContainerInspect, ContainerPort, ContainerSummary, CreateResponse, LogsOptions, WaitResponse } from './containers';
export type { VolumeSummary } from './volumes';
export type { NetworkSummary } from './networks';
