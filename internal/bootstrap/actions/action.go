// Package actions defines the contract of fleetup's pipeline steps, in the
// way kind's cluster creation actions are built: each step is a small
// package with a struct that carries its own settings (given when it is
// made) and a Run method that reads an immutable Env and returns its
// Outcome. Nothing is shared between steps but the cluster itself.
package actions

import (
	"context"
	"sync"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
)

// Action is one pipeline step. Run must be idempotent: running it on a
// cluster where it already ran changes nothing.
type Action interface {
	Name() string
	// Describe says what the step will do with p, for `fleetup plan`.
	Describe(p *plan.Plan) string
	Run(ctx context.Context, env *Env) (Outcome, error)
}

// Env is what every step reads. It is not changed during a run.
type Env struct {
	Plan *plan.Plan
	Kube *kube.Client
	// AWS is set when the target or the secrets backend is AWS.
	AWS    *aws.Clients
	Helm   *helm.Releaser
	Report report.Reporter
	// Secrets are the values to write (never printed).
	Secrets []SecretValue
}

// SecretValue is one platform secret with its flattened data.
type SecretValue struct {
	Name, KubernetesName string
	Data                 map[string]string
	// JSON is the Secrets Manager document.
	JSON string
}

// AWSSecrets are the platform secrets as Secrets Manager gets them.
func (env *Env) AWSSecrets() []aws.Secret {
	out := make([]aws.Secret, 0, len(env.Secrets))
	for _, s := range env.Secrets {
		out = append(out, plan.AWSSecret(env.Plan.Config, s.Name, s.JSON))
	}
	return out
}

// Outcome is what a step did.
type Outcome struct {
	// Changed is true when the step created, updated or deleted something.
	Changed bool
	// Summary is the one-line result printed when the step ends.
	Summary string
	// Skipped marks a step that had nothing to do by design (for example
	// a release Argo CD manages now).
	Skipped bool
	// Findings are what an uninstall step found that the user must hear
	// about at the end.
	Findings Findings
}

// Skip is the outcome of a step with nothing to do by design.
func Skip(summary string) Outcome { return Outcome{Summary: summary, Skipped: true} }

// Findings are uninstall's results beyond changed or not.
type Findings struct {
	// Removed counts what was deleted, by kind of thing.
	Removed map[string]int
	// Foreign objects of a managed name, left alone.
	Foreign []string
	// Stuck are objects whose finalizers blocked their deletion.
	Stuck []Finalizers
	// ForcedOff are the finalizers --force removed.
	ForcedOff []Finalizers
}

// Add merges o into f.
func (f *Findings) Add(o Findings) {
	for k, n := range o.Removed {
		if f.Removed == nil {
			f.Removed = map[string]int{}
		}
		f.Removed[k] += n
	}
	f.Foreign = append(f.Foreign, o.Foreign...)
	f.Stuck = append(f.Stuck, o.Stuck...)
	f.ForcedOff = append(f.ForcedOff, o.ForcedOff...)
}

// Tally collects one step's outcome from several goroutines.
type Tally struct {
	mu  sync.Mutex
	out Outcome
}

// Changed notes that something was changed.
func (t *Tally) Changed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Changed = true
}

// Foreign records an object left alone because it is not fleetup's.
func (t *Tally) Foreign(what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Findings.Foreign = append(t.out.Findings.Foreign, what)
}

// Count records n removed things of a kind.
func (t *Tally) Count(kind string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Findings.Add(Findings{Removed: map[string]int{kind: n}})
}

// Stuck records an object kept by its finalizers.
func (t *Tally) Stuck(f Finalizers) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Findings.Stuck = append(t.out.Findings.Stuck, f)
}

// ForcedOff records finalizers removed with --force.
func (t *Tally) ForcedOff(f Finalizers) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Findings.ForcedOff = append(t.out.Findings.ForcedOff, f)
}

// Removed is how many things of a kind were counted so far.
func (t *Tally) Removed(kind string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.out.Findings.Removed[kind]
}

// Outcome returns what was collected, with the summary.
func (t *Tally) Outcome(summary string) Outcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.out
	out.Summary = summary
	return out
}
