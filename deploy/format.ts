/** `1 item`, `2 items`, `0 indexes`: counts in command output. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : plural}`;
}

/** `a`, `a and b`, `a, b and c`: a list in a sentence. */
export function listed(items: readonly string[]): string {
    return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * `text` (a remote answer's body, a server's or a library's message) made safe to print on one
 * line of a terminal: line breaks (with the white space around them) become one space, tabs a
 * space, trailing white space goes; every other control character (C0, DEL, C1: ESC starts the escape sequences that move the
 * cursor or clear the screen) is shown escaped, `\x1b`; then, if longer than `max` characters
 * (default: no limit), it is cut to `max`, its last character an ellipsis (`…`).
 */
export function oneLine(text: string, max = Infinity): string {
    const flat = text
        .replace(/\s*(\r\n|[\r\n\u2028\u2029])\s*/g, " ")
        .replace(/\t/g, " ")
        .trimEnd()
        .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
    return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}
