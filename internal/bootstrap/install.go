// Package bootstrap runs fleetup's install pipeline: the steps of
// internal/bootstrap/actions, in order, recording progress in the cluster so
// a rerun (from any machine) converges.
package bootstrap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/addons"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/appsets"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/handoff"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/helmrelease"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/manifests"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/namespaces"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/preflight"
	secretsaction "github.com/fleetup/fleetup/internal/bootstrap/actions/secrets"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/secrets"
)

// ErrNotApproved is returned when the user answers no.
var ErrNotApproved = errors.New("install not approved; nothing was changed")

// Install is `fleetup install`.
type Install struct {
	Plan   *plan.Plan
	Kube   *kube.Client
	AWS    *aws.Clients
	Helm   *helm.Releaser
	Report actions.Reporter
	// Approve asks the user with the summary; nil means approved (--yes).
	Approve  func(summary string) (bool, error)
	Redactor *redact.Redactor

	ac *actions.Context
}

// Steps after preflight and approval, in order.
func steps() []actions.Action {
	return []actions.Action{
		namespaces.Action{},
		secretsaction.Action{},
		helmrelease.Action{Chart: plan.ArgoCDChart},
		helmrelease.Action{Chart: plan.ExternalSecretsChart},
		manifests.Action{},
		appsets.Action{},
		addons.Action{},
		handoff.Action{},
	}
}

// Result is what a finished run did.
type Result struct {
	// Changed is false when the platform was already installed and healthy.
	Changed bool
}

// StepNames lists the pipeline's steps in order, for views.
func StepNames() []string {
	names := []string{preflight.Action{}.Name()}
	for _, s := range steps() {
		names = append(names, s.Name())
	}
	return names
}

// Run is Prepare then Execute.
func (i *Install) Run(ctx context.Context) (Result, error) {
	if err := i.Prepare(ctx); err != nil {
		return Result{}, err
	}
	return i.Execute(ctx)
}

// Prepare reads the secret values, runs preflight and asks for approval:
// everything before the first change.
func (i *Install) Prepare(ctx context.Context) error {
	values, err := secrets.Desired(i.Plan.Config, i.Redactor)
	if err != nil {
		return err
	}
	i.ac = &actions.Context{Ctx: ctx, Plan: i.Plan, Kube: i.Kube, AWS: i.AWS, Helm: i.Helm, Report: i.Report}
	for _, v := range values {
		doc, err := v.JSON()
		if err != nil {
			return err
		}
		i.ac.Secrets = append(i.ac.Secrets, actions.SecretValue{Name: v.Name, KubernetesName: v.KubernetesName, Data: secrets.Flatten(v.Value), JSON: doc})
	}
	if err := i.step(i.ac, preflight.Action{}); err != nil {
		return err
	}
	if i.Approve != nil {
		ok, err := i.Approve(Summary(i.Plan, i.Kube))
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotApproved
		}
	}
	return nil
}

// Execute runs the steps that change the cluster, after Prepare. The
// reporter may be swapped in between (the terminal view starts here).
func (i *Install) Execute(ctx context.Context) (Result, error) {
	ac := i.ac
	if ac == nil {
		return Result{}, errors.New("install: Execute before Prepare")
	}
	ac.Ctx, ac.Report = ctx, i.Report
	progress, err := actions.LoadProgress(ctx, i.Kube, i.Plan.Config.ClusterName)
	if err != nil {
		return Result{}, err
	}
	hash, err := planHash(i.Plan)
	if err != nil {
		return Result{}, err
	}
	if progress.PlanHash == hash && len(progress.Done) > 0 {
		i.Report.Step("resume", actions.StepRunning, "a previous run of this plan finished "+strings.Join(doneSteps(progress), ", ")+"; every step is checked again and converges")
	}
	if err := progress.Begin(ctx, hash); err != nil {
		return Result{}, err
	}
	ac.Progress = progress
	for _, s := range steps() {
		if err := i.step(ac, s); err != nil {
			if ctx.Err() != nil {
				return Result{Changed: ac.Changed}, &Interrupted{Step: s.Name(), Done: doneSteps(progress), Cause: context.Cause(ctx)}
			}
			return Result{Changed: ac.Changed}, err
		}
		if err := progress.MarkDone(ctx, s.Name()); err != nil {
			return Result{Changed: ac.Changed}, err
		}
	}
	return Result{Changed: ac.Changed}, nil
}

func (i *Install) step(ac *actions.Context, s actions.Action) error {
	return runStep(ac, s, i.Redactor, "install")
}

// runStep runs one step, reporting its start and its end.
func runStep(ac *actions.Context, s actions.Action, red *redact.Redactor, pipeline string) error {
	ac.Report.Step(s.Name(), actions.StepRunning, "")
	ac.Summary = ""
	if err := s.Execute(ac); err != nil {
		ac.Report.Step(s.Name(), actions.StepFailed, red.String(err.Error()))
		return &StepError{Pipeline: pipeline, Step: s.Name(), Err: err}
	}
	ac.Report.Step(s.Name(), actions.StepDone, ac.Summary)
	return nil
}

// StepError is a failed step.
type StepError struct {
	Pipeline, Step string
	Err            error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s step %s: %v", e.Pipeline, e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// Interrupted is a run stopped by Ctrl-C or the overall timeout.
type Interrupted struct {
	// Command is the command to run again (install or uninstall).
	Command string
	Step    string
	Done    []string
	Cause   error
}

func (e *Interrupted) Error() string {
	done := "nothing"
	if len(e.Done) > 0 {
		done = strings.Join(e.Done, ", ")
	}
	cmd := e.Command
	if cmd == "" {
		cmd = "install"
	}
	return fmt.Sprintf("%s stopped during %s (%v); finished steps: %s. Run `fleetup %s` again to resume: every step converges", cmd, e.Step, e.Cause, done, cmd)
}

func (e *Interrupted) Unwrap() error { return e.Cause }

func doneSteps(p *actions.Progress) []string {
	var out []string
	for _, s := range steps() {
		if p.Done[s.Name()] {
			out = append(out, s.Name())
		}
	}
	return out
}

// planHash identifies a plan by its printed form (which holds no secret
// values).
func planHash(p *plan.Plan) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// Summary is what the approval prompt shows.
func Summary(p *plan.Plan, k *kube.Client) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleetup will install the platform:\n")
	fmt.Fprintf(&b, "  cluster:    %s (%s, target %s)\n", p.Config.ClusterName, k.Config.Host, p.Target.Kind)
	if p.Target.Region != "" {
		fmt.Fprintf(&b, "  region:     %s\n", p.Target.Region)
	}
	fmt.Fprintf(&b, "  account:    %s\n", p.Target.Account)
	if p.Target.Identity != "" {
		fmt.Fprintf(&b, "  identity:   %s\n", p.Target.Identity)
	}
	fmt.Fprintf(&b, "  repository: %s @ %s (%s)\n", p.Repository.URL, p.Repository.Revision, p.Repository.BasePath)
	for _, s := range p.Secrets.Items {
		fmt.Fprintf(&b, "  secret:     %s (%s, %s), keys %s\n", s.Name, p.Secrets.Backend, s.Action, strings.Join(s.Keys, ", "))
	}
	for _, r := range p.Releases {
		fmt.Fprintf(&b, "  helm:       %s %s into %s\n", r.Chart, r.Version, r.Namespace)
	}
	fmt.Fprintf(&b, "  addons (%s):\n", p.Strategy)
	for l, names := range p.Graph.Levels {
		fmt.Fprintf(&b, "    level %d: %s\n", l, strings.Join(names, ", "))
	}
	return b.String()
}
