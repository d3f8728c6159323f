// Package preflight checks, before anything is changed, that the install
// can work: config and target supported, cluster reachable with a known
// identity and a supported version, required APIs present, the packages
// repository reachable, and no foreign object under a name fleetup will use.
// Every check runs; all failures are reported together.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/version"
)

// MinKubernetes is the oldest supported API server.
const MinKubernetes = "1.29.0"

// Action is the preflight step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "preflight" }

// Failed lists every failed check.
type Failed struct{ Problems []string }

func (f *Failed) Error() string {
	return "preflight failed, nothing was changed:\n  - " + strings.Join(f.Problems, "\n  - ")
}

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	cfg := ac.Plan.Config

	if ac.AWS != nil {
		problems = append(problems, ac.Plan.AskAWS(ac.Ctx, ac.AWS, ac.AWSSecrets())...)
	}
	who, ver, err := identity(ac.Ctx, ac.Kube)
	if err != nil {
		fail("cluster not reachable: %v", err)
	} else {
		ac.Summary = fmt.Sprintf("cluster %s, Kubernetes %s, acting as %s", ac.Kube.Config.Host, ver, who)
		if t := ac.Plan.Target; t.Identity != "" {
			ac.Summary += fmt.Sprintf("; AWS account %s as %s, region %s", t.Account, t.Identity, t.Region)
		}
		if v, err := version.ParseGeneric(ver); err != nil || v.LessThan(version.MustParseGeneric(MinKubernetes)) {
			fail("Kubernetes %s is not supported (need %s or newer)", ver, MinKubernetes)
		}
		for _, gv := range []string{"apps/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"} {
			if _, err := ac.Kube.Discovery.ServerResourcesForGroupVersion(gv); err != nil {
				fail("required API %s missing: %v", gv, err)
			}
		}
		problems = append(problems, conflicts(ac)...)
	}
	if err := repoReachable(ac.Ctx, cfg); err != nil {
		fail("packages repository %s: %v", cfg.Repo.URL, err)
	}
	if len(problems) > 0 {
		return &Failed{Problems: problems}
	}
	return nil
}

func identity(ctx context.Context, c *kube.Client) (user, ver string, err error) {
	v, err := c.Typed.Discovery().ServerVersion()
	if err != nil {
		return "", "", err
	}
	review, err := c.Typed.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", v.GitVersion, fmt.Errorf("who am I: %w", err)
	}
	return review.Status.UserInfo.Username, v.GitVersion, nil
}

// conflicts finds objects fleetup will create directly that exist but were
// made by something else.
func conflicts(ac *actions.Context) []string {
	p := ac.Plan
	var ms []helm.Manifest
	ms = append(ms, p.Bootstrap...)
	ms = append(ms, p.Secrets.Store...)
	ms = append(ms, p.ApplicationSets...)
	ms = append(ms, p.ClusterSecret)
	var out []string
	for _, m := range ms {
		o := (&unstructured.Unstructured{Object: m.Object}).DeepCopy()
		cur, err := ac.Kube.Get(ac.Ctx, o)
		if err != nil {
			if kube.IsNoMatch(err) {
				continue // its CRD comes with a chart fleetup installs
			}
			out = append(out, fmt.Sprintf("cannot check %s: %v", kube.Describe(o), err))
			continue
		}
		if cur == nil || actions.Owner.Owns(cur) {
			continue
		}
		out = append(out, fmt.Sprintf("%s exists and was not created by fleetup (no %s label); remove it or rename it in the packages tree", kube.Describe(cur), plan.LabelManaged))
	}
	return out
}

func repoReachable(ctx context.Context, cfg *config.Config) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := cfg.Repo.URL
	if strings.HasPrefix(u, "file://") {
		dir := strings.TrimPrefix(u, "file://")
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return nil
		}
		if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
			return nil // bare repository
		}
		return errors.New("not a Git repository")
	}
	return lsRemote(ctx, u)
}
