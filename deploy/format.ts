/** `1 item`, `2 items`, `0 indexes`: counts in command output. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : plural}`;
}
