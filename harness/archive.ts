/**
 * Zips a Pulumi AssetArchive made of string and file assets, as the engine does before it sends
 * a Lambda's code: the tests open the result, the benchmark reports its size.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import JSZip from "jszip";

export async function zipAssetArchive(archive: pulumi.asset.AssetArchive, compression: "STORE" | "DEFLATE"): Promise<Buffer> {
    const zip = new JSZip();
    for (const [name, asset] of Object.entries(await archive.assets)) {
        if (asset instanceof pulumi.asset.StringAsset) zip.file(name, await asset.text);
        else if (asset instanceof pulumi.asset.FileAsset) zip.file(name, fs.readFileSync(await asset.path));
        else throw new Error(`zipAssetArchive: "${name}" is neither a StringAsset nor a FileAsset`);
    }
    return zip.generateAsync({ type: "nodebuffer", compression });
}
