/**
 * Where thumbnails come from and go, shared by the handler and the infrastructure (trigger filter,
 * IAM resources) so the two can never disagree. No dependencies: the Pulumi program imports it.
 */

/** Uploads under this prefix of the files bucket get a thumbnail. */
export const UPLOADS_PREFIX = "uploads/";
/**
 * Only keys with this suffix trigger the function. S3 suffix filters are case-sensitive (an object
 * ending `.JPG` does not match `.jpg`: serverless/serverless#6409), so the backend stores uploads
 * with a lower-case `.jpg`, and the local environment says when an upload is outside the trigger.
 */
export const UPLOAD_SUFFIX = ".jpg";
/** Thumbnails are written under this prefix of the thumbnails bucket. */
export const THUMBNAILS_PREFIX = "thumbnails/";

/** `uploads/<path>` -> `thumbnails/<path>`: the thumbnail of an upload keeps its path. */
export function thumbnailKey(uploadKey: string): string {
    if (!uploadKey.startsWith(UPLOADS_PREFIX)) throw new Error(`"${uploadKey}" is not under ${UPLOADS_PREFIX}`);
    return THUMBNAILS_PREFIX + uploadKey.slice(UPLOADS_PREFIX.length);
}

/** S3 event notifications carry keys URL-encoded, spaces as `+`: `uploads/a+b%281%29.jpg`. */
export function decodeEventKey(eventKey: string): string {
    return decodeURIComponent(eventKey.replace(/\+/g, " "));
}

/** The inverse of `decodeEventKey`, as S3 encodes keys in event notifications. */
export function encodeEventKey(key: string): string {
    return key
        .split("/")
        .map((segment) => encodeURIComponent(segment).replace(/%20/g, "+"))
        .join("/");
}
