/**
 * The largest JSON body: a create request with a long Env is a few KiB, so 1 MiB leaves room.
 * Archives (load, import, cp, build) are not JSON: their routes stream them.
 */
export const JSON_BODY_LIMIT = 1024 * 1024;
