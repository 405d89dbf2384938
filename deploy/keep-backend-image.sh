#!/usr/bin/env bash
# Keeps the backend image a stack runs across a deploy or preview that does not change it.
#
#   bash deploy/keep-backend-image.sh <stack>
#
# backendImage is not committed (an application deploy sets it), so `pulumi up` without it would
# delete the backend service, and `pulumi preview` would show it deleted. This sets the stack's
# backendImage config to its backendImage output, when it has one. Reading the outputs must succeed:
# an error (network, login, a stack not created yet) fails here, naming the stack, instead of
# passing for "no image" and letting the deploy remove the service.
set -euo pipefail

fail() {
    echo "keep-backend-image: $*" >&2
    exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || fail "usage: bash deploy/keep-backend-image.sh <stack>"
stack="$1"

outputs="$(pulumi stack output --json --stack "$stack")" ||
    fail "reading the outputs of stack $stack failed (above): not deploying it without knowing which backend image it runs; fix that and run again"

# The backendImage output: a string, or absent (no application deploy yet).
image="$(node -e '
    const outputs = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const image = outputs.backendImage;
    if (image !== undefined && (typeof image !== "string" || image === "")) {
        console.error(`the backendImage output is ${JSON.stringify(image)}; expected an image URI`);
        process.exit(1);
    }
    process.stdout.write(image ?? "");
' <<<"$outputs")" || fail "the outputs of stack $stack do not read as pulumi stack output --json prints them (above)"

if [ -z "$image" ]; then
    echo "keep-backend-image: stack $stack runs no backend yet (no backendImage output): nothing to keep" >&2
    exit 0
fi
pulumi config set backendImage "$image" --stack "$stack" ||
    fail "setting backendImage on stack $stack failed (above): not deploying it without its backend image"
echo "keep-backend-image: stack $stack keeps backendImage $image" >&2
