// Package report holds what the pipelines tell the user while they run:
// step and addon states and the Reporter that receives them. It is a leaf
// package so that views (tui, status, cli) do not import the pipelines.
package report

import "time"

// Reporter receives what a pipeline does. Implementations print plain
// lines, JSON lines, drive the terminal view, or record for tests.
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

// AddonState is where an addon stands.
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
