import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Builders for the Docker API's request shapes, as Go's encoding/json decodes them into
 * moby's structs. Each schema carries the annotations the error mapping needs
 * (api/validation.ts), so the message a client sees is the one dockerd gives:
 *
 *   goType    the Go type named in "json: cannot unmarshal X into Go struct field S.F of type T"
 *   goStruct  on an object: the Go struct it decodes into (the S of that message)
 *   goValue   on a body's root: the type named in "... into Go value of type T"
 *   goDecode  how a value that passed is turned into what the engine reads (strslice: a string is [string])
 *   dockerMessage  on a check that dockerd makes after decoding: its message, "{value}" replaced
 *   goParse   on a query value: the Go function that parses it (strconv.Atoi: parsing "x": invalid syntax)
 *   goEOF     on a body's root: dockerd's message when the body is empty (Go's decoder meets EOF);
 *             without it an empty body is taken as an empty struct
 *   dockerCheck  a check dockerd makes after decoding whose message depends on the value, by name (api/docker-checks.ts)
 *
 * Go decodes null into any field (leaving its zero value), so every field here takes null.
 * Unknown fields are tolerated, as Go does: no schema says additionalProperties: false.
 */

const INT64_MIN = -9223372036854775808;
const INT64_END = 9223372036854775808; // exclusive: 2^63 is the first value that does not fit

/** An object decoded into the Go struct `name` (Go type `goType`, e.g. container.HostConfig). */
export function goStruct(name: string, goType: string, props: Record<string, TSchema>): TSchema {
  return Type.Object(optional(props), { goStruct: name, goType, nullable: true });
}

/** Every field of a Go struct may be left out. */
const optional = (props: Record<string, TSchema>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)]));

/** The root of a body: a struct, named in "into Go value of type T" when the body is not an object. */
export function goBody(name: string, goValue: string, props: Record<string, TSchema>, extra: { goEOF?: string } = {}): TSchema {
  return Type.Object(optional(props), { goStruct: name, goType: goValue, goValue, nullable: true, ...extra });
}

/** dockerd 20.10's answer to an empty body where its handler decodes with json.NewDecoder and checks for io.EOF. */
export const EOF_BODY = { goEOF: 'got EOF while reading request body' };
/** ... and where it does not check (create, update, auth): the decoder's own error. */
export const EOF_RAW = { goEOF: 'EOF' };

export const str = (extra: Record<string, unknown> = {}) => Type.String({ goType: 'string', nullable: true, ...extra });
export const bool = () => Type.Boolean({ goType: 'bool', nullable: true });
export const int64 = (extra: Record<string, unknown> = {}) =>
  Type.Integer({ goType: 'int64', minimum: INT64_MIN, exclusiveMaximum: INT64_END, nullable: true, ...extra });
/** Go's int: 64 bits on the platforms Docker runs on. */
export const int = (extra: Record<string, unknown> = {}) => Type.Integer({ goType: 'int', minimum: INT64_MIN, exclusiveMaximum: INT64_END, nullable: true, ...extra });
export const uint16 = () => Type.Integer({ goType: 'uint16', minimum: 0, maximum: 65535, nullable: true });
export const uint64 = () => Type.Integer({ goType: 'uint64', minimum: 0, exclusiveMaximum: 2 * INT64_END, nullable: true });
export const uint = () => Type.Integer({ goType: 'uint', minimum: 0, exclusiveMaximum: 2 * INT64_END, nullable: true });
/** A float64 (e.g. CpuPercent is an int64, but NanoCpus too: floats are rare in the API). */
export const float64 = () => Type.Number({ goType: 'float64', nullable: true });
/** time.Duration: an int64 of nanoseconds. */
export const duration = (extra: Record<string, unknown> = {}) => int64({ goType: 'time.Duration', ...extra });

/** []string. Elements may be null (Go decodes them as ""). */
export const strings = (goType = '[]string') => Type.Array(Type.String({ goType: 'string', nullable: true }), { goType, nullable: true, goDecode: 'nullToEmpty' });
/** strslice.StrSlice (Cmd, Entrypoint, Shell): a string or an array of strings; any error says "of type string". */
export const strSlice = () =>
  Type.Unsafe<string[] | string>({
    type: ['array', 'string'],
    items: { type: 'string', goType: 'string', nullable: true },
    goType: 'string',
    goStrSlice: true,
    goDecode: 'strslice',
    nullable: true,
  });
/** map[string]string (Labels, Options, DriverOpts, Sysctls, Tmpfs...). Null values decode as "". */
export const strMap = (goType = 'map[string]string') =>
  Type.Record(Type.String(), Type.String({ goType: 'string', nullable: true }), { goType, nullable: true, goDecode: 'nullToEmpty' });
/** A map whose values are of a given schema (map[string]*EndpointSettings, nat.PortMap...). */
export const mapOf = (goType: string, value: TSchema) => Type.Record(Type.String(), value, { goType, nullable: true });
/** An array whose items are of a given schema. */
export const arrayOf = (goType: string, item: TSchema) => Type.Array(item, { goType, nullable: true });
/** A set: a map to empty structs (nat.PortSet, Volumes). */
export const set = (goType: string) => mapOf(goType, Type.Object({}, { goType: 'struct {}', nullable: true }));
/** A value Go takes as is (interface{}, json.RawMessage). */
export const any = () => Type.Unknown();

/**
 * A check dockerd makes after decoding (a range, a pattern, an enum), with its message
 * ("{value}" is the value refused). It sits in an allOf so that a wrong type is still
 * reported as Go's decoding error, and only a well-typed value meets the check.
 */
export function check(base: TSchema, rule: Record<string, unknown>, message: string): TSchema {
  return { ...base, allOf: [{ ...rule, dockerMessage: message }] } as TSchema;
}

/** The rule "0 (unset) or at least min". */
export const zeroOrAtLeast = (min: number) => ({ not: { type: 'integer', not: { const: 0 }, exclusiveMaximum: min } });

// ---- query strings: every value arrives as a string; the routes parse them as before ----

/** An integer parsed with strconv.Atoi / ParseInt (empty means absent, as Docker's handlers read it). */
export const qInt = (parser = 'strconv.Atoi') => Type.String({ pattern: '^$|^[+-]?[0-9]{1,18}$', goParse: parser });
/** A free string (Go reads the first value of a repeated key). */
export const qStr = (extra: Record<string, unknown> = {}) => Type.String(extra);
/** A value that may repeat (changes=..&changes=..), or a single one. */
export const qMany = () => Type.Union([Type.String(), Type.Array(Type.String())]);
/** A query object: unknown keys tolerated. */
export const query = (props: Record<string, TSchema>) => Type.Object(optional(props));
/** Path parameters. */
export const params = (props: Record<string, TSchema>) => Type.Object(props);
