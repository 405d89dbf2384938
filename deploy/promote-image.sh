#!/usr/bin/env bash
# The application deploy's promotion (README, "Application deploy"): copies a backend image into the
# stack's own ECR repository, the only one its ECS execution role may pull from, under the same tag.
#
#   deploy/promote-image.sh <tag or image> <repository-url>
#
# <tag or image>   a tag (1.4.2): that tag in BACKEND_IMAGE_SOURCE, the repository the backend's CI
#                  pushes to (<registry>/<repository>, without a tag or digest); or a full reference
#                  <registry>/<repository>:<tag>.
# <repository-url> the stack's backendRepositoryUrl: <account>.dkr.ecr.<region>.amazonaws.com/<name>.
#
# Prints <repository-url>:<tag>, the value for backendImage, once that tag holds exactly the source
# image (the same manifest digest, every platform of a multi-platform image); progress goes to stderr.
# Idempotent: the repository's tags are immutable (ImageTagAlreadyExistsException on a second push:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html), so a tag that
# already holds the source's digest is left as it is, and one that holds another digest is an error.
# Bad input fails before any registry call; a failed registry step ends with one "promote-image:"
# line naming the step, the registry and the likely fix, after the tool's own message.
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
readme='README, "Application deploy"'

# The Docker tag grammar: up to 128 of [A-Za-z0-9_.-], not starting with . or -.
tag_pattern='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
ecr_pattern='^[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$'
# ECR's repositoryName pattern, 2 to 256 characters (no tag, digest or trailing slash):
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
repository_pattern='^([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*$'

# Each input's own problem first: the repository URL, the image or tag, then BACKEND_IMAGE_SOURCE.
registry=${repository_url%%/*}
repository=${repository_url#*/}
[[ $registry =~ $ecr_pattern && $repository != "$repository_url" ]] ||
    fail "\"$repository_url\" is not an ECR repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<repository>): give the stack's backendRepositoryUrl output"
region=${BASH_REMATCH[1]}
[[ $repository =~ $repository_pattern && ${#repository} -ge 2 && ${#repository} -le 256 ]] ||
    fail "\"$repository\" in \"$repository_url\" is not an ECR repository name (lower-case letters, digits, . _ - and /, no tag or digest): give the stack's backendRepositoryUrl output"

# A tag is what follows the last ":" of the last path segment (a registry's port, host:5000/..., is not one).
tag=$image
if [[ $image == */* ]]; then
    [[ $image != *@* ]] || fail "\"$image\" names a digest: give <registry>/<repository>:<tag> (the copy is deployed under its tag)"
    [[ ${image##*/} == *:* ]] || fail "\"$image\" has no tag: give <registry>/<repository>:<tag>, or a tag (1.4.2) in BACKEND_IMAGE_SOURCE"
    tag=${image##*:}
    source=$image
fi
[[ $tag =~ $tag_pattern ]] || fail "\"$tag\" is not an image tag (up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)"
if [[ $image != */* ]]; then
    [ -n "${BACKEND_IMAGE_SOURCE:-}" ] ||
        fail "\"$image\" is a tag, but BACKEND_IMAGE_SOURCE (the repository the backend's CI pushes to) is not set: set the repository variable BACKEND_IMAGE_SOURCE ($readme), or give <registry>/<repository>:<tag>"
    [[ $BACKEND_IMAGE_SOURCE != *@* && ${BACKEND_IMAGE_SOURCE##*/} != *:* ]] ||
        fail "BACKEND_IMAGE_SOURCE \"$BACKEND_IMAGE_SOURCE\" carries a tag or digest: set it to the repository alone (<registry>/<repository>); the tag is the argument"
    source="$BACKEND_IMAGE_SOURCE:$tag"
fi
source_registry=${source%%/*}
target="$repository_url:$tag"
role_fix="this job's AWS credentials (aws-actions/configure-aws-credentials in CI, AWS_PROFILE by hand) and its role's permissions ($readme)"

# One token from GetAuthorizationToken opens every ECR registry the deploy role may use, in any
# account (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html);
# `aws ecr get-login-password | docker login` is how AWS documents it
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html), and skopeo reads
# docker's credentials. The token is asked for first, so that a missing credential is not reported
# as docker's empty password. A source outside ECR is read with whatever login the job already has.
login() {
    local password
    if ! password=$(aws ecr get-login-password --region "$2") ||
        ! printf '%s\n' "$password" | docker login --username AWS --password-stdin "$1" >&2; then
        fail "logging in to $1 failed: check $role_fix: it needs ecr:GetAuthorizationToken"
    fi
}
login "$registry" "$region"
if [[ $source_registry != "$registry" && $source_registry =~ $ecr_pattern ]]; then login "$source_registry" "${BASH_REMATCH[1]}"; fi

# A manifest's digest is the sha256 of its bytes as the registry serves them (`skopeo inspect --raw`
# writes them unchanged: containers/skopeo cmd/skopeo/inspect.go).
digest=$(skopeo inspect --raw "docker://$source" | sha256sum | cut -d' ' -f1) ||
    fail "cannot read $source from $source_registry: is that tag pushed, and may this job pull from it? Check $role_fix; another account's repository needs a repository policy for it"
digest="sha256:$digest"
echo "promote-image: $source is $digest" >&2

# What the tag holds now, asked of that tag alone. Not ListImages with --query: ListImages answers
# 100 images a page (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImages.html),
# and with --output text the CLI applies --query to each page, one line a page
# (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-filter.html#cli-usage-filter-client-side;
# aws/aws-cli#4847). DescribeImages by imageIds is one page, and answers a missing tag with
# ImageNotFoundException (CLI exit 254: https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html;
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html). It reads only
# metadata: BatchGetImage would return the manifest, converted to a format the request accepts
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html).
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! present=$(aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=$tag" \
    --query 'imageDetails[0].imageDigest' --output text 2>"$errors"); then
    grep -q '(ImageNotFoundException)' "$errors" || {
        cat "$errors" >&2
        fail "looking up tag $tag in $repository ($registry) failed: check $role_fix: it needs ecr:DescribeImages on $repository"
    }
    present=
fi
if [ "$present" = "$digest" ]; then
    echo "promote-image: $target already holds $digest; nothing to copy" >&2
elif [ -n "$present" ]; then
    fail "$target already holds $present, not $source ($digest): tags are immutable in $repository; push the new build under a new tag and deploy that"
else
    echo "promote-image: copying $source to $target" >&2
    # By digest, so the copy is exactly what was compared even if the source tag moves meanwhile;
    # --all copies every platform and --preserve-digests fails rather than re-encode anything.
    skopeo copy --all --preserve-digests "docker://${source%:*}@$digest" "docker://$target" >&2 ||
        fail "copying $source to $target failed: check $role_fix: on $repository it needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and ecr:PutImage"
fi
echo "$target"
