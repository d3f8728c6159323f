// Package preflight checks, before anything is changed, that the install
// can work: config and target supported, cluster reachable with a known
// identity and a supported version, required APIs present, the packages
// repository reachable, and no foreign object under a name fleetup will use.
// Every check runs; all failures are reported together.
//
// What exists of the plan without fleetup's ownership (a platform CNOE's
// install.sh made: its Helm releases, bootstrap objects, ApplicationSets)
// is refused, listed one by one with the hint that `install --adopt`
// takes it over; with --adopt it is what the approval shows and the adopt
// step takes over (package adopt).
package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/adopt"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// reachTimeout bounds the first contact with the cluster.
const reachTimeout = 30 * time.Second

// MinKubernetes is the oldest supported API server.
const MinKubernetes = "1.29.0"

// Action is the preflight step.
type Action struct {
	// Adopt is install --adopt: what exists of the plan without fleetup's
	// ownership is to be taken over, not refused.
	Adopt bool
}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "preflight" }

// Describe implements actions.Action.
func (a Action) Describe(*plan.Plan) string {
	if a.Adopt {
		return "check config, cluster identity and version, required APIs and repository access, and list what exists without fleetup to take over (--adopt); change nothing if any fails"
	}
	return "check config, cluster identity and version, required APIs, repository access and name conflicts (objects and Helm releases of the plan made without fleetup: --adopt takes them over); change nothing if any fails"
}

// Failed lists every failed check.
type Failed struct{ Problems []string }

func (f *Failed) Error() string {
	return "preflight failed, nothing was changed:\n  - " + strings.Join(f.Problems, "\n  - ")
}

// Report is what preflight found out, for the approval summary.
type Report struct {
	Summary string
	// Live are AWS's answers, when the platform uses AWS.
	Live plan.Live
	// Takeover is what install --adopt takes over; nil without --adopt.
	Takeover *adopt.Takeover
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	r, err := a.Check(ctx, env)
	return actions.Outcome{Summary: r.Summary}, err
}

// Check runs every check and reports them all; it changes nothing.
func (a Action) Check(ctx context.Context, env *actions.Env) (Report, error) {
	var r Report
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	cfg := env.Plan.Config

	if env.AWS != nil {
		live, p := plan.AskAWS(ctx, env.Plan, env.AWS, env.AWSSecrets())
		r.Live = live
		problems = append(problems, p...)
	}
	// Requests retry an unreachable server until their deadline: a cluster
	// that does not answer within reachTimeout is reported, not waited for.
	rctx, cancel := context.WithTimeout(ctx, reachTimeout)
	who, ver, err := identity(rctx, env.Kube)
	cancel()
	if err != nil {
		fail("cluster not reachable: %v", err)
	} else {
		r.Summary = fmt.Sprintf("cluster %s, Kubernetes %s, acting as %s", env.Kube.Config.Host, ver, who)
		if r.Live.Identity != "" {
			r.Summary += fmt.Sprintf("; AWS account %s as %s, region %s", r.Live.Account, r.Live.Identity, cfg.Region)
		}
		if v, err := version.ParseGeneric(ver); err != nil || v.LessThan(version.MustParseGeneric(MinKubernetes)) {
			fail("Kubernetes %s is not supported (need %s or newer)", ver, MinKubernetes)
		}
		for _, gv := range []string{"apps/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"} {
			if _, err := env.Kube.Discovery.ServerResourcesForGroupVersion(gv); err != nil {
				fail("required API %s missing: %v", gv, err)
			}
		}
		problems = append(problems, a.takeover(ctx, env, &r)...)
		problems = append(problems, duplicateHub(ctx, env)...)
	}
	if err := repoReachable(ctx, cfg); err != nil {
		fail("packages repository %s: %v", cfg.Repo.URL, err)
	}
	for _, w := range env.Plan.Secrets.Warnings {
		r.Summary = strings.TrimPrefix(r.Summary+"; warning: "+w, "; ")
	}
	if len(problems) > 0 {
		return r, &Failed{Problems: problems}
	}
	return r, nil
}

func identity(ctx context.Context, c *kube.Client) (user, ver string, err error) {
	// Discovery's ServerVersion takes no context; this GET does.
	raw, err := c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", "", err
	}
	var v apimachineryversion.Info
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", "", fmt.Errorf("read /version: %w", err)
	}
	review, err := c.Typed.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", v.GitVersion, fmt.Errorf("who am I: %w", err)
	}
	return review.Status.UserInfo.Username, v.GitVersion, nil
}

// takeover finds what of the plan exists without fleetup's ownership:
// problems without --adopt, the takeover in r with it.
func (a Action) takeover(ctx context.Context, env *actions.Env, r *Report) []string {
	t, problems, err := adopt.Find(ctx, env)
	if err != nil {
		return []string{fmt.Sprintf("cannot check what exists of the platform: %v", err)}
	}
	problems = append(problems, t.Refused...)
	if !a.Adopt {
		return append(problems, t.Conflicts()...)
	}
	r.Takeover = t
	if t.Empty() {
		r.Summary += "; nothing to take over (--adopt)"
	} else {
		r.Summary += "; --adopt takes over " + t.Count()
	}
	return problems
}

// duplicateHub finds cluster secrets for the hub (the in-cluster server
// under the cluster's name) other than the one the plan uses: Argo CD would see the hub twice and the ApplicationSets
// would generate every addon's Application twice.
func duplicateHub(ctx context.Context, env *actions.Env) []string {
	h := env.Plan.HubSecret
	list, err := env.Kube.Typed.CoreV1().Secrets(h.Namespace).List(ctx, metav1.ListOptions{LabelSelector: plan.LabelSecretType + "=cluster"})
	if err != nil {
		return []string{fmt.Sprintf("cannot list cluster secrets in %s: %v", h.Namespace, err)}
	}
	var out []string
	for _, s := range list.Items {
		// The same cluster twice: the in-cluster server under this
		// cluster's name. Other platforms sharing this Argo CD (other names,
		// other selectors) are not duplicates.
		if s.Name == h.Name || string(s.Data["server"]) != plan.InClusterServer || string(s.Data["name"]) != env.Plan.Config.ClusterName {
			continue
		}
		out = append(out, fmt.Sprintf("Secret %s/%s is a second Argo CD cluster secret for %s (the plan uses %s, made by %s); delete it, or the hub's addons are generated twice", s.Namespace, s.Name, plan.InClusterServer, h.Name, h.MadeBy))
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
