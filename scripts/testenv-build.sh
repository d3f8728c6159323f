#!/usr/bin/env bash
# Builds the real components of the test environment (etcd, Kubernetes control
# plane, kwok, Argo CD, helm, kustomize, External Secrets and its chart, Cluster API's
# managers) from pinned Go module versions into a cache directory outside the
# repository, keyed by version. A component already in the cache is skipped,
# so a warm run takes a second.
#
#   scripts/testenv-build.sh            build what is missing, print the cache dir
#   FLEETUP_TESTENV_CACHE=DIR ...       use another cache directory
#   FLEETUP_TESTENV_COMPONENTS="kwok helm" ...  only these components
#
# Upstream modules that carry `replace` directives cannot be `go install`ed, so
# each is built from a scratch "wrapper" module that requires it and copies its
# replace block (see shared/testenv.md).
#
# Runs at once on one machine (two `make test`) take turns: each holds an
# exclusive lock on the cache while it builds, so the second waits and then
# finds the components complete. Each build writes into its own temporary
# directory under the cache, moved into place when done, so a killed build
# leaves nothing a later run would take for a component.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../test/envtest/versions.env
source "$here/test/envtest/versions.env"

cache="${FLEETUP_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetup/testenv}"
mkdir -p "$cache"
work="$(mktemp -d)"
lockdir="$cache/.lock.d" # the lock when flock(1) is missing
lock_fd=""
# Also removes this run's unfinished builds at once, and its mkdir lock.
cleanup() {
	rm -rf "$work" "$cache/.build-$$-"*
	if [[ "$(cat "$lockdir/pid" 2>/dev/null)" == "$$" ]]; then rm -rf "$lockdir"; fi
}
trap cleanup EXIT

log() { printf '%s testenv: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# lock_cache: waits for the exclusive lock on the cache, held until exit.
lock_cache() {
	if command -v flock >/dev/null; then
		exec {lock_fd}>>"$cache/.lock"
		if ! flock -n "$lock_fd"; then
			log "another build holds $cache/.lock: waiting for it"
			flock "$lock_fd"
		fi
		return 0
	fi
	# mkdir is atomic. A holder killed with SIGKILL leaves its directory
	# behind: a lock whose process is gone is taken over.
	local pid waited=""
	until mkdir "$lockdir" 2>/dev/null; do
		pid="$(cat "$lockdir/pid" 2>/dev/null || true)"
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			log "taking over the lock of process $pid, which is gone"
			rm -rf "$lockdir"
			continue
		fi
		[[ -n "$waited" ]] || log "another build holds $lockdir: waiting for it"
		waited=1
		sleep 2
	done
	echo "$$" >"$lockdir/pid"
}

export GOFLAGS=-mod=mod
export CGO_ENABLED=0
ldflags_base='-s -w'

# component NAME VERSION: the cache directory of one component build.
component_dir() { echo "$cache/$1-$2"; }

# built NAME VERSION: whether the component is complete in the cache.
built() { [[ -f "$(component_dir "$1" "$2")/.complete" ]]; }

# build_dir NAME: a new directory (with bin/) under the cache for one build.
build_dir() {
	local tmp
	tmp="$(mktemp -d "$cache/.build-$$-$1.XXXXXX")" && chmod 755 "$tmp" && mkdir "$tmp/bin" && echo "$tmp"
}

# finish NAME VERSION DIR: marks the build in DIR complete, moves it into place.
finish() {
	local dir
	dir="$(component_dir "$1" "$2")"
	touch "$3/.complete"
	rm -rf "$dir" && mv "$3" "$dir"
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
	built etcd "$ETCD_VERSION" && return 0
	log "building etcd $ETCD_VERSION (about 1 minute)"
	local dir="$work/etcd" out
	out="$(build_dir etcd)"
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
	finish etcd "$ETCD_VERSION" "$out"
}

build_kubernetes() {
	built kubernetes "$KUBERNETES_VERSION" && return 0
	log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION (about 7 minutes)"
	local v="${KUBERNETES_VERSION#v}" major minor patch staging dir out gomod
	IFS=. read -r major minor patch <<<"$v"
	staging="v0.$minor.$patch"
	out="$(build_dir kubernetes)"
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
	finish kubernetes "$KUBERNETES_VERSION" "$out"
}

# go_install builds component $1 at version $2 from Go package $4 with
# go install ($3: how long it takes, for the log).
go_install() {
	built "$1" "$2" && return 0
	log "building $1 $2 ($3)"
	local out
	out="$(build_dir "$1")"
	GOBIN="$out/bin" go install -trimpath -ldflags "$ldflags_base" "$4@$2"
	finish "$1" "$2" "$out"
}

build_kwok() {
	go_install kwok "$KWOK_VERSION" "about 2 minutes" "sigs.k8s.io/kwok/cmd/kwok"
}

build_helm() {
	go_install helm "$HELM_VERSION" "about 2 minutes" "helm.sh/helm/v3/cmd/helm"
}

# kustomize: Argo CD's repo-server runs it for kustomize sources (the
# Keycloak Operator's manifests), the version Argo CD's images bundle.
build_kustomize() {
	go_install kustomize "$KUSTOMIZE_VERSION" "about 1 minute" "sigs.k8s.io/kustomize/kustomize/v5"
}

build_argocd() {
	built argocd "$ARGOCD_VERSION" && return 0
	log "building argocd $ARGOCD_VERSION (about 6 minutes)"
	local dir out gomod src
	out="$(build_dir argocd)"
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
	finish argocd "$ARGOCD_VERSION" "$out"
}

build_eso() {
	built external-secrets "$ESO_VERSION" && return 0
	log "building external-secrets $ESO_VERSION (about 8 minutes)"
	local dir out gomod src
	out="$(build_dir external-secrets)"
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
	finish external-secrets "$ESO_VERSION" "$out"
}

# Cluster API's managers: core, kubeadm bootstrap (CABPK), kubeadm control
# plane (KCP) and the docker provider (CAPD), whose in-memory backend
# simulates machines and workload API servers with no container runtime.
# The test module replaces cluster-api and cluster-api/api with ../ paths, so
# the wrapper requires all three at one version instead (shared/fleet.md).
# Both kubeadm packages are named kubeadm: each gets its own -o.
build_cluster_api() {
	built cluster-api "$CLUSTER_API_VERSION" && return 0
	log "building Cluster API $CLUSTER_API_VERSION managers: core, kubeadm bootstrap and control plane, docker (about 6 minutes)"
	local v="${CLUSTER_API_VERSION#v}" major minor patch dir out stamp="" pkg
	IFS=. read -r major minor patch <<<"$v"
	out="$(build_dir cluster-api)"
	dir="$(wrapper cluster-api sigs.k8s.io/cluster-api "$CLUSTER_API_VERSION" \
		sigs.k8s.io/cluster-api/core sigs.k8s.io/cluster-api/bootstrap/kubeadm \
		sigs.k8s.io/cluster-api/controlplane/kubeadm sigs.k8s.io/cluster-api/test/infrastructure/docker)"
	pkg=sigs.k8s.io/cluster-api/version
	stamp=" -X $pkg.gitVersion=$CLUSTER_API_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	(
		cd "$dir"
		go mod edit -require="sigs.k8s.io/cluster-api/api@$CLUSTER_API_VERSION" \
			-require="sigs.k8s.io/cluster-api/test@$CLUSTER_API_VERSION"
		go mod tidy
		local name p
		for name in core:cluster-api-manager bootstrap/kubeadm:kubeadm-bootstrap-manager \
			controlplane/kubeadm:kubeadm-control-plane-manager test/infrastructure/docker:docker-manager; do
			p="sigs.k8s.io/cluster-api/${name%%:*}"
			go build -trimpath -ldflags "$ldflags_base$stamp" -o "$out/bin/${name#*:}" "$p"
		done
	)
	finish cluster-api "$CLUSTER_API_VERSION" "$out"
}

# The upstream External Secrets chart, for tests that install the real chart
# (test/envtest.ESOChart). Helm insists on finding the bitwarden-sdk-server
# dependency in charts/ even when disabled, so it is removed from Chart.yaml
# and Chart.lock goes. No CRDs: the environment applies ESO's CRDs at start,
# and Applications of several tests claiming them would fight.
build_eso_chart() {
	built eso-chart "$ESO_VERSION" && return 0
	log "copying the external-secrets chart of $ESO_VERSION"
	local out src chart
	out="$(build_dir eso-chart)"
	rmdir "$out/bin"
	src="$(GOSUMDB=off module_dir github.com/external-secrets/external-secrets "$ESO_VERSION")"
	chart="$out/external-secrets"
	cp -R "$src/deploy/charts/external-secrets" "$chart"
	chmod -R u+w "$chart"
	rm -f "$chart/Chart.lock"
	# dependencies: is a top-level key whose list lines are indented or
	# start with "-"; the next top-level key ends it.
	awk '/^dependencies:/ {skip=1; next} skip && /^[^[:space:]-]/ {skip=0} !skip' "$chart/Chart.yaml" >"$chart/Chart.yaml.new"
	mv "$chart/Chart.yaml.new" "$chart/Chart.yaml"
	if grep -q -e '^dependencies:' -e bitwarden "$chart/Chart.yaml"; then
		log "could not remove the dependencies of $chart/Chart.yaml"
		exit 1
	fi
	finish eso-chart "$ESO_VERSION" "$out"
}

# apt_install PKG...: Debian packages the tests need, as root or with sudo.
apt_install() {
	log "installing $* from Debian packages"
	if [[ "$(id -u)" == 0 ]]; then
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >&2
	else
		(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >&2
	fi
}

# ensure_redis: Argo CD's cache. ensure_cc: `make test` runs with -race,
# which needs cgo and so a C compiler.
ensure_redis() {
	command -v redis-server >/dev/null && return 0
	apt_install redis-server
}

ensure_cc() {
	command -v "$(go env CC)" >/dev/null && return 0
	apt_install gcc libc6-dev
}

start=$SECONDS
lock_cache
# With the lock held, build directories still here are those of killed runs.
rm -rf "$cache"/.build-*
# Not inherited by apt-get: a daemon its packages start would hold the lock.
if [[ -n "$lock_fd" ]]; then ensure_redis {lock_fd}>&-; else ensure_redis; fi
if [[ -n "$lock_fd" ]]; then ensure_cc {lock_fd}>&-; else ensure_cc; fi
for c in ${FLEETUP_TESTENV_COMPONENTS:-etcd kubernetes kwok helm kustomize argocd eso eso-chart cluster-api}; do
	"build_${c//-/_}"
done
log "components ready in $cache ($((SECONDS - start)) s)"
echo "$cache"
