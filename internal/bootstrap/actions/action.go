// Package actions defines the steps of fleetup's install pipeline: each step
// is a small package implementing Action, sharing one Context, in the way
// kind's cluster creation actions are built.
package actions

import (
	"context"
	"time"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
)

// Action is one pipeline step. Execute must be idempotent: running it on a
// cluster where it already ran changes nothing.
type Action interface {
	Name() string
	Execute(ac *Context) error
}

// Context is what every step shares.
type Context struct {
	Ctx  context.Context
	Plan *plan.Plan
	Kube *kube.Client
	// AWS is set when the target or the secrets backend is AWS.
	AWS      *aws.Clients
	Helm     *helm.Releaser
	Report   Reporter
	Progress *Progress
	// Secrets are the values to write (never printed).
	Secrets []SecretValue
	// Removal is uninstall's shared state; nil during install.
	Removal *Removal
	// Changed is set by any step that created or updated something.
	Changed bool
	// Summary is the current step's one-line result, printed when it ends.
	Summary string
}

// SecretValue is one platform secret with its flattened data.
type SecretValue struct {
	Name, KubernetesName string
	Data                 map[string]string
	// JSON is the Secrets Manager document.
	JSON string
}

// Reporter receives what the pipeline does. Implementations print plain
// lines, JSON lines, or drive the terminal view.
type Reporter interface {
	Step(name string, state StepState, msg string)
	Addon(a AddonStatus)
}

// StepState is a step's state.
type StepState string

// Step states.
const (
	StepRunning StepState = "running"
	StepDone    StepState = "done"
	StepSkipped StepState = "skipped"
	StepFailed  StepState = "failed"
)

// AddonState is where an addon stands during the wait.
type AddonState string

// Addon states, in the order an addon normally goes through them.
const (
	AddonWaiting     AddonState = "waiting"     // dependencies not healthy yet
	AddonStarting    AddonState = "starting"    // switched on, no Application yet
	AddonSyncing     AddonState = "syncing"     // Application exists, not synced
	AddonProgressing AddonState = "progressing" // synced, resources not healthy yet
	AddonHealthy     AddonState = "healthy"
	AddonDegraded    AddonState = "degraded" // within the grace period
	AddonFailed      AddonState = "failed"
	AddonBlocked     AddonState = "blocked" // a dependency failed
	// During uninstall.
	AddonRemoving AddonState = "removing"
	AddonRemoved  AddonState = "removed"
)

// AddonStatus is one addon's state change.
type AddonStatus struct {
	Name    string
	State   AddonState
	Message string
	// WaitingOn lists unhealthy dependencies (waiting) or failed ones (blocked).
	WaitingOn []string
	// Since is when the addon entered this state; Started when it was
	// switched on (zero if not yet).
	Since, Started time.Time
	Sync, Health   string
}

// WithTimeout bounds one wait inside a step.
func (ac *Context) WithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ac.Ctx, d)
}

// AWSSecrets are the platform secrets as Secrets Manager gets them.
func (ac *Context) AWSSecrets() []aws.Secret {
	out := make([]aws.Secret, 0, len(ac.Secrets))
	for _, s := range ac.Secrets {
		out = append(out, plan.AWSSecret(ac.Plan.Config, s.Name, s.JSON))
	}
	return out
}
