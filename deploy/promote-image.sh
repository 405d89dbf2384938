#!/usr/bin/env bash
# The application deploy's promotion (README, "Application deploy"): copies a backend image into the
# stack's own ECR repository, the only one its ECS execution role may pull from, under the same tag.
#
#   deploy/promote-image.sh <tag or image> <repository-url>
#
# <tag or image>   a tag (1.4.2): that tag in BACKEND_IMAGE_SOURCE, the repository the backend's CI
#                  pushes to; or a full reference <registry>/<repository>:<tag>.
# <repository-url> the stack's backendRepositoryUrl: <account>.dkr.ecr.<region>.amazonaws.com/<name>.
#
# Prints <repository-url>:<tag>, the value for backendImage, once that tag holds exactly the source
# image (the same manifest digest, every platform of a multi-platform image); progress goes to stderr.
# Idempotent: the repository's tags are immutable (ImageTagAlreadyExistsException on a second push:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html), so a tag that
# already holds the source's digest is left as it is, and one that holds another digest is an error.
#
# Tools of GitHub's ubuntu-24.04 runner image: the AWS CLI, docker (login only) and skopeo 1.13
# (https://github.com/actions/runner-images/blob/main/images/ubuntu/Ubuntu2404-Readme.md).
set -euo pipefail

fail() {
    echo "promote-image: $*" >&2
    exit 1
}
[ $# -eq 2 ] || fail "usage: deploy/promote-image.sh <tag or image> <repository-url>"
image=$1
repository_url=$2

# The Docker tag grammar: up to 128 of [A-Za-z0-9_.-], not starting with . or -.
tag_pattern='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
ecr_pattern='^[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$'

if [[ $image == */* ]]; then
    # <registry>/<repository>:<tag>; a registry's port (host:5000/...) is not a tag.
    [[ $image != *@* && ${image##*/} == *:* ]] ||
        fail "\"$image\": expected a tag (1.4.2) or <registry>/<repository>:<tag>; a digest alone has no tag to deploy under"
    tag=${image##*:}
    source=$image
else
    tag=$image
    [ -n "${BACKEND_IMAGE_SOURCE:-}" ] ||
        fail "\"$image\" is a tag, but BACKEND_IMAGE_SOURCE (the repository the backend's CI pushes to) is not set: set the repository variable BACKEND_IMAGE_SOURCE (README, \"Application deploy\"), or give <registry>/<repository>:<tag>"
    source="$BACKEND_IMAGE_SOURCE:$tag"
fi
[[ $tag =~ $tag_pattern ]] || fail "\"$tag\" is not an image tag (up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)"

registry=${repository_url%%/*}
repository=${repository_url#*/}
[[ $registry =~ $ecr_pattern && -n $repository && $repository != "$repository_url" ]] ||
    fail "\"$repository_url\" is not an ECR repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<repository>)"
region=${BASH_REMATCH[1]}
target="$repository_url:$tag"

# One token from GetAuthorizationToken opens every ECR registry the deploy role may use, in any
# account (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html);
# `aws ecr get-login-password | docker login` is how AWS documents it
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html), and skopeo reads
# docker's credentials. A source outside ECR is read with whatever login the job already has.
login() {
    aws ecr get-login-password --region "$2" | docker login --username AWS --password-stdin "$1" >&2
}
login "$registry" "$region"
source_registry=${source%%/*}
if [[ $source_registry != "$registry" && $source_registry =~ $ecr_pattern ]]; then login "$source_registry" "${BASH_REMATCH[1]}"; fi

# A manifest's digest is the sha256 of its bytes as the registry serves them (`skopeo inspect --raw`
# writes them unchanged: containers/skopeo cmd/skopeo/inspect.go).
digest=$(skopeo inspect --raw "docker://$source" | sha256sum | cut -d' ' -f1) ||
    fail "cannot read $source (is it pushed, and may this job's role pull it? README, \"Application deploy\")"
digest="sha256:$digest"
echo "promote-image: $source is $digest" >&2

# What the tag holds now ("None": nothing; the CLI follows every page of ListImages).
present=$(aws ecr list-images --region "$region" --repository-name "$repository" --filter tagStatus=TAGGED \
    --query "imageIds[?imageTag=='$tag'].imageDigest | [0]" --output text)
if [ "$present" = "$digest" ]; then
    echo "promote-image: $target already holds $digest; nothing to copy" >&2
elif [ "$present" != "None" ]; then
    fail "$target already holds $present, not $source ($digest): tags are immutable in $repository; push the new build under a new tag and deploy that"
else
    echo "promote-image: copying $source to $target" >&2
    # By digest, so the copy is exactly what was compared even if the source tag moves meanwhile;
    # --all copies every platform and --preserve-digests fails rather than re-encode anything.
    skopeo copy --all --preserve-digests "docker://${source%:*}@$digest" "docker://$target" >&2
fi
echo "$target"
