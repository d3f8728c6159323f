package catalog

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
)

// scpLike is Git's user@host:path form of an SSH URL.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/].*`)

// floating are revisions that move: a pin must name a release.
var floating = []string{"HEAD", "main", "master", "trunk", "develop", "latest"}

// checkGitSource checks an addon from a Git repository of its own: a URL
// Argo CD can clone, a pinned revision (a tag or a commit, never a
// branch that moves), a directory inside the repository, and no chart
// repository beside it.
func (c *Catalog) checkGitSource(a *Addon) decode.Errors {
	var errs decode.Errors
	add := func(field string, v *decode.ValueError) {
		errs = append(errs, c.errAt(a, a.Name+"."+field, a.Pos, v))
	}
	if a.ChartRepository != "" {
		add("gitRepository", &decode.ValueError{Msg: "set together with chartRepository: an addon has one source", Expected: "gitRepository or chartRepository", Hint: "remove one of them"})
	}
	if !gitURL(a.GitRepository) {
		add("gitRepository", &decode.ValueError{Msg: fmt.Sprintf("%q is not a Git repository URL", a.GitRepository), Expected: "https://host/org/repo(.git), ssh://…, git@host:org/repo.git or file://…"})
	}
	switch v := a.DefaultVersion; {
	case v == "":
		add("defaultVersion", &decode.ValueError{Msg: "missing: a Git source is pinned to a tag or a commit", Expected: "the release tag, e.g. \"26.4.5\" or \"v1.2.3\", or a full commit hash"})
	case containsFold(floating, v):
		add("defaultVersion", &decode.ValueError{Msg: fmt.Sprintf("%q is a branch that moves, not a pin", v), Expected: "a release tag or a full commit hash", Hint: "`fleetup catalog outdated` lists the repository's tags"})
	}
	if p := a.Path; p != "" && (path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..")) {
		add("path", &decode.ValueError{Msg: fmt.Sprintf("%q leaves the repository", p), Expected: "a directory relative to the root of " + a.GitRepository + ", e.g. kubernetes"})
	}
	return errs
}

// gitURL reports whether u is a URL Argo CD's repo server clones.
func gitURL(u string) bool {
	if scpLike.MatchString(u) {
		return true
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "https", "http", "ssh", "git":
		return p.Host != "" && strings.Trim(p.Path, "/") != ""
	case "file":
		return p.Path != ""
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// hasKustomization reports whether dir is a kustomization, by the file
// names kustomize reads.
func hasKustomization(dir string) bool {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
