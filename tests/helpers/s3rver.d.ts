/** The part of s3rver (in-process S3, no types of its own) that the tests use. */
declare module "s3rver" {
    import { AddressInfo } from "net";

    interface S3rverOptions {
        address?: string;
        port?: number;
        silent?: boolean;
        directory: string;
        configureBuckets?: { name: string }[];
    }

    export default class S3rver {
        constructor(options: S3rverOptions);
        run(): Promise<AddressInfo>;
        close(): Promise<void>;
    }
}
