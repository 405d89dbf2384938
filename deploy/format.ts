/** `1 item`, `2 items`, `0 indexes`: counts in command output. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : plural}`;
}

/** `a`, `a and b`, `a, b and c`: a list in a sentence. */
export function listed(items: readonly string[]): string {
    return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
