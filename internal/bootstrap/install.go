// Package bootstrap runs fleetup's install and uninstall pipelines: the
// steps of internal/bootstrap/actions, in order, each given its settings
// when it is made and an immutable Env when it runs; install records its
// progress in the cluster so a rerun (from any machine) converges.
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
	"github.com/fleetup/fleetup/internal/bootstrap/actions/adopt"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/gitops"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/handoff"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/helmrelease"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/manifests"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/namespaces"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/preflight"
	secretsaction "github.com/fleetup/fleetup/internal/bootstrap/actions/secrets"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/report"
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
	Report report.Reporter
	// Approve asks the user with the summary; nil means approved (--yes).
	Approve  func(summary string) (bool, error)
	Redactor *redact.Redactor
	// Adopt is --adopt: what exists of the plan without fleetup's
	// ownership (CNOE's install.sh made it) is taken over in place, after
	// preflight lists it and the approval shows it (package adopt).
	Adopt bool

	secrets   []actions.SecretValue
	preflight *preflight.Report
}

// InstallSteps are install's steps after preflight and approval, in order:
// the one list that install runs, plan prints and views show.
func InstallSteps() []actions.Action {
	return []actions.Action{
		namespaces.New(),
		secretsaction.New(),
		helmrelease.New(plan.ArgoCDChart, "Argo CD"),
		helmrelease.New(plan.ExternalSecretsChart, "External Secrets"),
		manifests.New(),
		gitops.New(),
		addons.New(nil),
		handoff.New(),
	}
}

// approvalStep is shown in the plan between preflight and the changes.
const approvalStep = "approval"

// DescribeInstall lists install's steps with what each will do with p.
func DescribeInstall(p *plan.Plan) []plan.Step {
	pre := preflight.New()
	steps := []plan.Step{
		{Name: pre.Name(), Description: pre.Describe(p)},
		{Name: approvalStep, Description: "show this plan and ask (skipped with --yes)"},
	}
	for _, s := range InstallSteps() {
		steps = append(steps, plan.Step{Name: s.Name(), Description: s.Describe(p)})
	}
	return steps
}

// StepNames lists the pipeline's steps in order, for views.
func StepNames() []string {
	names := []string{preflight.New().Name()}
	for _, s := range InstallSteps() {
		names = append(names, s.Name())
	}
	return names
}

// Result is what a finished run did.
type Result struct {
	// Changed is false when the platform was already installed and healthy.
	Changed bool
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
	i.secrets = nil
	for _, v := range values {
		doc, err := v.JSON()
		if err != nil {
			return err
		}
		i.secrets = append(i.secrets, actions.SecretValue{Name: v.Name, KubernetesName: v.KubernetesName, Data: secrets.Flatten(v.Value), JSON: doc})
	}
	env := i.env()
	pre := preflight.Action{Adopt: i.Adopt}
	var rep preflight.Report
	if _, err := reported(env, pre.Name(), i.Redactor, "install", func() (actions.Outcome, error) {
		var err error
		rep, err = pre.Check(ctx, env)
		return actions.Outcome{Summary: rep.Summary}, err
	}); err != nil {
		return err
	}
	i.preflight = &rep
	if i.Approve != nil {
		ok, err := i.Approve(Summary(i.Plan, i.Kube, rep.Live) + rep.Takeover.Prompt())
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotApproved
		}
	}
	return nil
}

// Preflight is what preflight found, once Prepare ran (views that start
// after it show it as done).
func (i *Install) Preflight() (name, summary string) {
	if i.preflight == nil {
		return preflight.New().Name(), ""
	}
	return preflight.New().Name(), i.preflight.Summary
}

func (i *Install) env() *actions.Env {
	return &actions.Env{Plan: i.Plan, Kube: i.Kube, AWS: i.AWS, Helm: i.Helm, Report: i.Report, Secrets: i.secrets}
}

// Execute runs the steps that change the cluster, after Prepare. The
// reporter may be swapped in between (the terminal view starts here).
func (i *Install) Execute(ctx context.Context) (Result, error) {
	if i.preflight == nil {
		return Result{}, errors.New("install: Execute before Prepare")
	}
	env := i.env()
	progress, err := record.Load(ctx, i.Kube, i.Plan.Config.ClusterName)
	if err != nil {
		return Result{}, err
	}
	hash, err := planHash(i.Plan)
	if err != nil {
		return Result{}, err
	}
	steps := InstallSteps()
	if i.Adopt {
		steps = append([]actions.Action{adopt.New(i.preflight.Takeover)}, steps...)
	}
	if progress.PlanHash == hash && len(progress.Done) > 0 {
		env.Report.Step("resume", report.StepRunning, "a previous run of this plan finished "+strings.Join(doneSteps(steps, progress), ", ")+"; every step is checked again and converges")
	}
	if err := progress.Begin(ctx, hash); err != nil {
		return Result{}, err
	}
	var res Result
	for _, s := range steps {
		out, err := runStep(ctx, env, s, i.Redactor, "install")
		res.Changed = res.Changed || out.Changed
		if err != nil {
			if ctx.Err() != nil {
				return res, &Interrupted{Step: s.Name(), Done: doneSteps(steps, progress), Cause: context.Cause(ctx)}
			}
			return res, err
		}
		if err := progress.MarkDone(ctx, s.Name()); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runStep runs one step, reporting its start and its end.
func runStep(ctx context.Context, env *actions.Env, s actions.Action, red *redact.Redactor, pipeline string) (actions.Outcome, error) {
	return reported(env, s.Name(), red, pipeline, func() (actions.Outcome, error) { return s.Run(ctx, env) })
}

// reported runs fn as the step name, reporting its start and its end; a
// failure's message is redacted.
func reported(env *actions.Env, name string, red *redact.Redactor, pipeline string, fn func() (actions.Outcome, error)) (actions.Outcome, error) {
	env.Report.Step(name, report.StepRunning, "")
	out, err := fn()
	if err != nil {
		env.Report.Step(name, report.StepFailed, red.String(err.Error()))
		return out, &StepError{Pipeline: pipeline, Step: name, Err: err}
	}
	state := report.StepDone
	if out.Skipped {
		state = report.StepSkipped
	}
	env.Report.Step(name, state, out.Summary)
	return out, nil
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

func doneSteps(steps []actions.Action, p *record.Progress) []string {
	var out []string
	for _, s := range steps {
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

// Summary is what the approval prompt shows, with AWS's answers.
func Summary(p *plan.Plan, k *kube.Client, live plan.Live) string {
	p = p.WithLive(live)
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
