// The end of the JSON value that opens at `start` (an object or array), strings and escapes
// respected; -1 when it never closes.
function closingIndex(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function parsed(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/g;

// The JSON a model wrote, as models write it: the whole answer, else a ``` code fence's content, else
// the first balanced object (then array) in the prose around it. Null when there is none.
export function extractJson(answer: string): { value: unknown } | null {
  const whole = parsed(answer.trim());
  if (whole) return whole;
  for (const match of answer.matchAll(FENCE)) {
    const fenced = parsed(match[1]!.trim());
    if (fenced) return fenced;
  }
  for (const opener of ['{', '[']) {
    for (let start = answer.indexOf(opener); start >= 0; start = answer.indexOf(opener, start + 1)) {
      const end = closingIndex(answer, start);
      if (end < 0) continue;
      const found = parsed(answer.slice(start, end + 1));
      if (found) return found;
    }
  }
  return null;
}
