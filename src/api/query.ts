/** Query strings as the routes read them. */
export type Query = Record<string, string | undefined>;

/** Docker's boolean query values: 1, true, True. */
export const truthy = (v: string | undefined): boolean => v === '1' || v === 'true' || v === 'True';
