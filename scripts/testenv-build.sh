#!/usr/bin/env bash
# Builds the real components of the test environment (etcd, Kubernetes control
# plane, kwok, Argo CD, helm, External Secrets) from pinned Go module versions
# into a cache directory outside the repository, keyed by version. A component
# already in the cache is skipped, so a warm run takes a second.
#
#   scripts/testenv-build.sh            build what is missing, print the cache dir
#   FLEETUP_TESTENV_CACHE=DIR ...       use another cache directory
#
# Upstream modules that carry `replace` directives cannot be `go install`ed, so
# each is built from a scratch "wrapper" module that requires it and copies its
# replace block (see shared/testenv.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../test/envtest/versions.env
source "$here/test/envtest/versions.env"

cache="${FLEETUP_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetup/testenv}"
mkdir -p "$cache"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log() { printf '%s testenv: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

export GOFLAGS=-mod=mod
export CGO_ENABLED=0
ldflags_base='-s -w'

# component NAME VERSION: the cache directory of one component build.
component_dir() { echo "$cache/$1-$2"; }

# done_or_start NAME VERSION: returns 1 when already built.
needs_build() {
	local dir
	dir="$(component_dir "$1" "$2")"
	[[ -f "$dir/.complete" ]] && return 1
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin"
	return 0
}

finish() {
	local dir
	dir="$(component_dir "$1" "$2")"
	touch "$dir.tmp/.complete"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

# gomod_path MODULE VERSION: downloads the module and prints its go.mod path.
gomod_path() {
	go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p'
}

module_dir() {
	go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# copy_replaces GOMOD [STAGING_VERSION]: copies the replace directives of an
# upstream go.mod into the current module. Kubernetes' ./staging/src/k8s.io/X
# paths become k8s.io/X at STAGING_VERSION.
copy_replaces() {
	local gomod="$1" staging="${2:-}" line left right
	awk '
		/^replace[[:space:]]*\($/ {inblk=1; next}
		inblk && /^\)/ {inblk=0; next}
		inblk {print; next}
		/^replace[[:space:]]+[^(]/ {sub(/^replace[[:space:]]+/, ""); print}
	' "$gomod" | sed 's#//.*##' | while read -r line; do
		[[ -z "$line" || "$line" != *"=>"* ]] && continue
		left="$(echo "${line%%=>*}" | xargs)"
		right="$(echo "${line#*=>}" | xargs)"
		if [[ "$right" == ./staging/src/* ]]; then
			[[ -n "$staging" ]] || { log "unexpected staging replace: $line"; exit 1; }
			right="${right#./staging/src/} $staging"
		elif [[ "$right" == ./* || "$right" == ../* ]]; then
			log "skipping local replace: $line"
			continue
		fi
		go mod edit -replace="${left// /@}=${right// /@}"
	done
}

# wrapper NAME MODULE VERSION PKG...: a scratch module requiring MODULE with
# its replace block and a tools file importing the command packages.
wrapper() {
	local name="$1" mod="$2" ver="$3"
	shift 3
	local dir="$work/$name"
	mkdir -p "$dir"
	(
		cd "$dir"
		go mod init "fleetup.test/wrapper/$name" >/dev/null 2>&1
		go mod edit -require="$mod@$ver"
		{
			echo '//go:build tools'
			echo
			echo 'package tools'
			echo
			echo 'import ('
			for p in "$@"; do echo "	_ \"$p\""; done
			echo ')'
		} >tools.go
	)
	echo "$dir"
}

build_etcd() {
	needs_build etcd "$ETCD_VERSION" || return 0
	log "building etcd $ETCD_VERSION (about 1 minute)"
	local dir="$work/etcd" out
	out="$(component_dir etcd "$ETCD_VERSION").tmp"
	mkdir -p "$dir"
	(
		cd "$dir"
		go mod init fleetup.test/wrapper/etcd >/dev/null 2>&1
		cat >main.go <<-'EOF'
			package main

			import (
				"os"

				"go.etcd.io/etcd/server/v3/etcdmain"
			)

			func main() { etcdmain.Main(os.Args) }
		EOF
		go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
		go mod tidy
		go build -trimpath -ldflags "$ldflags_base" -o "$out/bin/etcd" .
	)
	finish etcd "$ETCD_VERSION"
}

build_kubernetes() {
	needs_build kubernetes "$KUBERNETES_VERSION" || return 0
	log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION (about 7 minutes)"
	local v="${KUBERNETES_VERSION#v}" major minor patch staging dir out gomod
	IFS=. read -r major minor patch <<<"$v"
	staging="v0.$minor.$patch"
	out="$(component_dir kubernetes "$KUBERNETES_VERSION").tmp"
	dir="$(wrapper kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)"
	gomod="$(gomod_path k8s.io/kubernetes "$KUBERNETES_VERSION")"
	local stamp="" pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		stamp+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	(
		cd "$dir"
		copy_replaces "$gomod" "$staging"
		go mod tidy
		go build -trimpath -ldflags "$ldflags_base$stamp" -o "$out/bin/" \
			k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
	)
	finish kubernetes "$KUBERNETES_VERSION"
}

build_kwok() {
	needs_build kwok "$KWOK_VERSION" || return 0
	log "building kwok $KWOK_VERSION (about 2 minutes)"
	local out
	out="$(component_dir kwok "$KWOK_VERSION").tmp"
	GOBIN="$out/bin" go install -trimpath -ldflags "$ldflags_base" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
	finish kwok "$KWOK_VERSION"
}

build_helm() {
	needs_build helm "$HELM_VERSION" || return 0
	log "building helm $HELM_VERSION (about 2 minutes)"
	local out
	out="$(component_dir helm "$HELM_VERSION").tmp"
	GOBIN="$out/bin" go install -trimpath -ldflags "$ldflags_base" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
	finish helm "$HELM_VERSION"
}

build_argocd() {
	needs_build argocd "$ARGOCD_VERSION" || return 0
	log "building argocd $ARGOCD_VERSION (about 6 minutes)"
	local dir out gomod src
	out="$(component_dir argocd "$ARGOCD_VERSION").tmp"
	dir="$(wrapper argocd github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION" github.com/argoproj/argo-cd/v3/cmd)"
	gomod="$(gomod_path github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION")"
	(
		cd "$dir"
		copy_replaces "$gomod"
		go mod tidy
		go build -trimpath -ldflags "$ldflags_base" -o "$out/bin/argocd" github.com/argoproj/argo-cd/v3/cmd
	)
	# The CRDs ship inside the module; the environment applies them itself.
	src="$(module_dir github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION")"
	mkdir -p "$out/crds"
	cp "$src"/manifests/crds/*-crd.yaml "$out/crds/"
	chmod -R u+w "$out/crds"
	finish argocd "$ARGOCD_VERSION"
}

build_eso() {
	needs_build external-secrets "$ESO_VERSION" || return 0
	log "building external-secrets $ESO_VERSION (about 8 minutes)"
	local dir out gomod src
	out="$(component_dir external-secrets "$ESO_VERSION").tmp"
	dir="$(wrapper eso github.com/external-secrets/external-secrets "$ESO_VERSION" github.com/external-secrets/external-secrets)"
	gomod="$(gomod_path github.com/external-secrets/external-secrets "$ESO_VERSION")"
	(
		cd "$dir"
		export GOSUMDB=off # some of ESO's dependencies are missing from the checksum database
		copy_replaces "$gomod"
		go mod tidy
		go build -trimpath -ldflags "$ldflags_base" -o "$out/bin/external-secrets" github.com/external-secrets/external-secrets
	)
	src="$(GOSUMDB=off module_dir github.com/external-secrets/external-secrets "$ESO_VERSION")"
	mkdir -p "$out/crds"
	cp "$src/deploy/crds/bundle.yaml" "$out/crds/bundle.yaml"
	chmod -R u+w "$out/crds"
	finish external-secrets "$ESO_VERSION"
}

ensure_redis() {
	command -v redis-server >/dev/null && return 0
	log "installing redis-server from Debian packages"
	if [[ "$(id -u)" == 0 ]]; then
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
	else
		(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
	fi
}

start=$SECONDS
ensure_redis
for c in ${FLEETUP_TESTENV_COMPONENTS:-etcd kubernetes kwok helm argocd eso}; do
	"build_$c"
done
log "components ready in $cache ($((SECONDS - start)) s)"
echo "$cache"
