import { invalidArgument } from './errors';

/** Dockerfile and --change word rules: splitting on whitespace outside quotes, and $VAR expansion (Docker's shell-word semantics). */

/** Split on whitespace outside quotes (the escape character escapes the next one); quotes stay for expandWord. */
export function splitWords(s: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (!quote && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && quote !== "'" && i + 1 < s.length) {
      word += ch + s[++i];
      continue;
    }
    if (quote ? ch === quote : ch === '"' || ch === "'") quote = quote ? '' : ch;
    word += ch;
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Docker's word expansion for Dockerfile instructions (ENV, LABEL, WORKDIR, USER, EXPOSE,
 * VOLUME, STOPSIGNAL): $NAME, ${NAME}, ${NAME:-word}, ${NAME:+word}; single quotes keep their
 * text literally, double quotes group it; a backslash escapes the next character. Unset names
 * expand to nothing. With quotes false (a JSON array's element), only the variables are expanded.
 */
export function expandWord(word: string, env: Map<string, string>, quotes = true): string {
  let out = '';
  let i = 0;
  const dollar = (): string => {
    // word[i] is "$"
    const next = word[i + 1];
    if (next === '{') {
      const end = closingBrace(word, i + 2);
      if (end < 0) throw invalidArgument(`missing '}' in ${word}`);
      const inner = word.slice(i + 2, end);
      i = end + 1;
      const m = /^(\w+)(?::([-+])([\s\S]*))?$/.exec(inner);
      if (!m) throw invalidArgument(`failed to process "${word}": unsupported modifier in \${${inner}}`);
      const v = env.get(m[1]);
      if (m[2] === '-') return v ? v : expandWord(m[3], env, quotes);
      if (m[2] === '+') return v ? expandWord(m[3], env, quotes) : '';
      return v ?? '';
    }
    const m = /^\w+/.exec(word.slice(i + 1));
    if (!m) {
      i++;
      return '$';
    }
    i += 1 + m[0].length;
    return env.get(m[0]) ?? '';
  };
  while (i < word.length) {
    const ch = word[i];
    if (ch === '$') {
      out += dollar();
    } else if (quotes && ch === '\\' && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (quotes && ch === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw invalidArgument(`unexpected end of statement while looking for matching single-quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (quotes && ch === '"') {
      i++;
      for (;;) {
        if (i >= word.length) throw invalidArgument(`unexpected end of statement while looking for matching double-quote in ${word}`);
        const c = word[i];
        if (c === '"') {
          i++;
          break;
        }
        if (c === '$') out += dollar();
        else if (c === '\\' && ['"', '$', '\\'].includes(word[i + 1])) {
          out += word[i + 1];
          i += 2;
        } else {
          out += c;
          i++;
        }
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
