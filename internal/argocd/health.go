package argocd

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/report"
)

// Verdict is what an Application's status says about its addon by itself.
// Deadlines and the grace period for Degraded are the caller's to apply.
type Verdict struct {
	State   report.AddonState
	Message string
}

// Verdict judges the Application. It is healthy when Argo CD compared the
// current spec (status.sync.comparedTo equals the spec, no refresh
// pending) after the last operation finished, and found it Synced and
// Healthy, with no operation requested, running (retries included) or
// failed on that revision. A sync operation is not required: when the
// resources already match (a release fleetup installed, then adopted by
// its Application) Argo CD never runs one.
func (a Application) Verdict() Verdict {
	switch {
	case a.Deleting:
		return Verdict{report.AddonSyncing, "the Application is being deleted; " + a.Summary()}
	case a.Invalid:
		return Verdict{report.AddonFailed, strings.Join(a.Errors, "; ")}
	case !a.Current:
		// Sync and health are leftovers, or there was no comparison yet.
		return Verdict{report.AddonSyncing, "Argo CD has not compared the current spec yet; " + a.Summary()}
	case a.Requested || a.OpPhase == "Running" || a.OpPhase == "Terminating":
		return Verdict{report.AddonSyncing, a.Summary()}
	case a.OpPhase == "Succeeded" && !a.OpFinished.IsZero() && a.ReconciledAt.Before(a.OpFinished):
		// The sync finished after the last comparison: judge the next one.
		return Verdict{report.AddonSyncing, "sync succeeded, waiting for Argo CD to compare again; " + a.Summary()}
	case a.syncFailed():
		if a.OpRevision == "" || a.OpRevision == a.Revision {
			// Automated sync does not try a revision again once it failed.
			return Verdict{report.AddonFailed, fmt.Sprintf("sync %s: %s", strings.ToLower(a.OpPhase), OneLine(a.OpMessage, 300))}
		}
		return Verdict{report.AddonSyncing, fmt.Sprintf("the sync of %s failed; waiting for a sync of %s; %s", short(a.OpRevision), short(a.Revision), a.Summary())}
	case len(a.Errors) > 0:
		// A comparison or sync error may clear (a repository briefly
		// unreachable): degraded, failed once it outlasts the grace.
		return Verdict{report.AddonDegraded, a.Summary()}
	case a.Sync != "Synced":
		return Verdict{report.AddonSyncing, a.Summary()}
	case a.Health == "Healthy":
		return Verdict{report.AddonHealthy, ""}
	case a.Health == "Degraded":
		return Verdict{report.AddonDegraded, a.Summary()}
	}
	return Verdict{report.AddonProgressing, a.Summary()}
}

// Healthy is fleetup's one definition of an addon being done: Argo CD
// manages it, synced and healthy on the current spec.
func (a Application) Healthy() bool { return a.Verdict().State == report.AddonHealthy }

func (a Application) syncFailed() bool { return a.OpPhase == "Failed" || a.OpPhase == "Error" }

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// refusals are what the API server answers when it refuses an object for
// good: an admission webhook's denial (Cluster API's, say), a field that
// may not change, a schema violation. Retrying the same spec cannot help.
var refusals = []string{"denied the request", "field is immutable", "is invalid", "Forbidden:"}

// Refused reports a sync the API server refuses and Argo CD keeps
// retrying (an Application with retries never ends such an operation on
// its own), with the API server's message.
func (a Application) Refused() (string, bool) {
	if a.OpRetries == 0 && !a.syncFailed() {
		return "", false
	}
	for _, r := range refusals {
		if strings.Contains(a.OpMessage, r) {
			return OneLine(a.OpMessage, 600), true
		}
	}
	return "", false
}
