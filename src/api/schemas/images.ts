import { qInt, qMany, qStr, query } from './go-json';

/** Image endpoints take their input in the query (and archives as raw bodies). */
export const imageCreateQuery = query({ fromImage: qStr(), fromSrc: qStr(), repo: qStr(), tag: qStr(), message: qStr(), platform: qStr({ dockerCheck: 'platform' }), changes: qMany() });
export const imageListQuery = query({ all: qStr(), filters: qStr(), digests: qStr() });
export const imageSearchQuery = query({ term: qStr(), limit: qInt(), filters: qStr() });
export const imagePruneQuery = query({ filters: qStr() });
export const imageSaveQuery = query({ names: qMany() });
export const imageLoadQuery = query({ quiet: qStr() });
/** push (tag) and tag (repo, tag) share the route /images/{name}/... */
export const imageTagQuery = query({ repo: qStr(), tag: qStr(), url: qStr(), path: qStr() });
export const imageRemoveQuery = query({ force: qStr(), noprune: qStr() });
